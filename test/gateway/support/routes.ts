/** REST routes of Keyward's real services, and hand-made rules over its messages, for the gateway tests. */
import { create, type DescMessage, type DescMethodUnary, type MessageInitShape } from "@bufbuild/protobuf";
import { HttpRuleSchema } from "../../../gen/google/api/http_pb.js";
import { ApiKeyRegistry } from "../../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../../gen/keyward/v1/user_pb.js";
import { restRouteOf, restRoutesOf, type RestRoute } from "../../../src/gateway/rest/http-rules.js";

/** Every unary method of Keyward's four services. */
export const KEYWARD_METHODS: DescMethodUnary[] = [UserRegistry, ApiKeyRegistry, AuthService, SessionRegistry].flatMap(
  (service) => service.methods.filter((m) => m.methodKind === "unary") as DescMethodUnary[],
);

/** The routes of the real API. */
export const KEYWARD_ROUTES: RestRoute[] = restRoutesOf(KEYWARD_METHODS);

/** The route of a real method, e.g. `UserRegistry_GetUser`. */
export function keywardRoute(operationId: string): RestRoute {
  const route = KEYWARD_ROUTES.find((r) => r.operationId === operationId);
  if (!route) throw new Error(`no route ${operationId}`);
  return route;
}

/** A route for `rule` on a stand-in method whose request message is `input`. */
export function customRoute(input: DescMessage, rule: MessageInitShape<typeof HttpRuleSchema>): RestRoute {
  const method = { ...UserRegistry.method.getUser, input } as unknown as DescMethodUnary;
  return restRouteOf(method, create(HttpRuleSchema, rule), `test ${input.typeName}`, "Test_Route");
}

/** `customRoute` for a GET without body. */
export function getRoute(input: DescMessage, path: string): RestRoute {
  return customRoute(input, { pattern: { case: "get", value: path } });
}
