/**
 * Routes read from `google.api.http` (src/gateway/rest/http-rules.ts): the real API's twelve bindings, rules
 * checked against the messages at startup, `additional_bindings`, and conflicting routes failing
 * startup rather than shadowing each other.
 */
import { create, setExtension, type DescMessage, type DescMethodUnary } from "@bufbuild/protobuf";
import { MethodOptionsSchema } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { http } from "../../../gen/google/api/annotations_pb.js";
import { HttpRuleSchema } from "../../../gen/google/api/http_pb.js";
import { UpdateApiKeyRequestSchema } from "../../../gen/keyward/v1/api_key_pb.js";
import { UserRegistry, UserSchema } from "../../../gen/keyward/v1/user_pb.js";
import { createRestGateway } from "../../../src/gateway/rest/rest-gateway.js";
import { HttpRuleError, restRoutesOf } from "../../../src/gateway/rest/http-rules.js";
import { RouteConflictError } from "../../../src/gateway/rest/route-table.js";
import { silentLogger } from "../../../src/logger.js";
import type { Invoker } from "../../../src/transport/invoke.js";
import { customRoute, KEYWARD_METHODS, KEYWARD_ROUTES } from "../support/routes.js";

/** A stand-in for `method` carrying another `google.api.http` rule. */
function withRule(method: DescMethodUnary, rule: Parameters<typeof create<typeof HttpRuleSchema>>[1]): DescMethodUnary {
  const options = create(MethodOptionsSchema);
  setExtension(options, http, create(HttpRuleSchema, rule));
  return { ...method, proto: { ...method.proto, options } } as DescMethodUnary;
}

describe("gateway/http-rules", () => {
  it("reads every RPC's binding from the descriptors (ARCHITECTURE.md, 'The API')", () => {
    expect(KEYWARD_ROUTES.map((r) => `${r.httpMethod} ${r.template.source} ${r.body.kind === "field" ? r.body.field.name : r.body.kind}`)).to.deep.equal([
      "POST /api/v1/users user",
      "GET /api/v1/users/{user_id} none",
      "GET /api/v1/users none",
      "PATCH /api/v1/users/{user.user_id} user",
      "DELETE /api/v1/users/{user_id} none",
      "PUT /api/v1/users/{user_id}/password all",
      "POST /api/v1/users/{user_id}/api-keys all",
      "GET /api/v1/users/{user_id}/api-keys none",
      "GET /api/v1/users/{user_id}/api-keys/{key_id} none",
      "PATCH /api/v1/users/{api_key.user_id}/api-keys/{api_key.id} api_key",
      "DELETE /api/v1/users/{user_id}/api-keys/{key_id} none",
      "POST /api/v1/users/{user_id}/api-keys/{key_id}:regenerate all",
      "POST /api/v1/api-keys/{key_id=self}:regenerate all",
      "GET /api/v1/auth_info none",
      "POST /api/v1/sessions all",
      "GET /api/v1/users/{user_id}/sessions none",
      "DELETE /api/v1/users/{user_id}/sessions/{session_id} none",
    ]);
    expect(KEYWARD_ROUTES.filter((r) => r.responseField).map((r) => `${r.operationId} ${r.responseField!.name}`)).to.deep.equal([
      "UserRegistry_GetUser user",
      "ApiKeyRegistry_GetApiKey api_key",
    ]);
    expect(KEYWARD_METHODS).to.have.length(16);
  });

  it("adds additional_bindings as routes of their own", () => {
    const method = withRule(UserRegistry.method.getUser, {
      pattern: { case: "get", value: "/api/v1/users/{user_id}" },
      additionalBindings: [{ pattern: { case: "custom", value: { kind: "head", path: "/v2/{user_id=users/*}" } } }],
    });
    const routes = restRoutesOf([method]);
    expect(routes.map((r) => [r.httpMethod, r.template.source, r.operationId, r.name])).to.deep.equal([
      ["GET", "/api/v1/users/{user_id}", "UserRegistry_GetUser", "keyward.v1.UserRegistry.GetUser"],
      ["HEAD", "/v2/{user_id=users/*}", "UserRegistry_GetUser_1", "keyward.v1.UserRegistry.GetUser (binding 1)"],
    ]);
  });

  const bad: Array<[string, DescMessage, Parameters<typeof customRoute>[1], string]> = [
    ["unknown path field", UserSchema, { pattern: { case: "get", value: "/v1/{nope}" } }, "`nope` is not a field of keyward.v1.User"],
    ["path through a scalar", UserSchema, { pattern: { case: "get", value: "/v1/{name.x}" } }, "`name` is not a singular message field"],
    ["path to a repeated field", UpdateApiKeyRequestSchema, { pattern: { case: "get", value: "/v1/{api_key.rights}" } }, "must name a singular scalar or enum field"],
    ["path to a message", UpdateApiKeyRequestSchema, { pattern: { case: "get", value: "/v1/{api_key}" } }, "must name a singular scalar or enum field"],
    ["multi-segment capture into an enum", UpdateApiKeyRequestSchema, { pattern: { case: "get", value: "/v1/{api_key.state=**}" } }, "must name a string field"],
    ["unknown body field", UserSchema, { pattern: { case: "post", value: "/v1/x" }, body: "nope" }, "body `nope` is not a top-level field"],
    ["nested body field", UpdateApiKeyRequestSchema, { pattern: { case: "post", value: "/v1/x" }, body: "api_key.name" }, "body `api_key.name` is not a top-level field"],
    ["unknown response field", UserSchema, { pattern: { case: "get", value: "/v1/x" }, responseBody: "nope" }, "response_body `nope` is not a top-level field"],
    ["bad template", UserSchema, { pattern: { case: "get", value: "/v1/**/x" } }, "`**` must be the last segment"],
    ["custom kind that is not a method", UserSchema, { pattern: { case: "custom", value: { kind: "*", path: "/v1/x" } } }, "custom kind `*` is not an HTTP method"],
    ["no pattern", UserSchema, {}, "the rule has no pattern"],
  ];
  for (const [what, input, rule, problem] of bad) {
    it(`refuses at startup: ${what}`, () => {
      expect(() => customRoute(input, rule)).to.throw(problem);
    });
  }

  it("refuses nested additional_bindings, naming the method", () => {
    const method = withRule(UserRegistry.method.getUser, {
      pattern: { case: "get", value: "/a/{user_id}" },
      additionalBindings: [{ pattern: { case: "get", value: "/b/{user_id}" }, additionalBindings: [{ pattern: { case: "get", value: "/c/{user_id}" } }] }],
    });
    expect(() => restRoutesOf([method])).to.throw(HttpRuleError, "google.api.http of keyward.v1.UserRegistry.GetUser (binding 1): additional_bindings must not nest");
  });

  it("fails the gateway's startup on two methods bound to the same method and path shape", () => {
    const clash = withRule(UserRegistry.method.deleteUser, { pattern: { case: "get", value: "/api/v1/users/{user_id}" } });
    const invoker = { methods: new Map([["a", UserRegistry.method.getUser], ["b", clash]]) } as unknown as Invoker;
    expect(() => createRestGateway({ invoker, maxBodyBytes: 1024, logger: silentLogger })).to.throw(
      RouteConflictError,
      "GET /api/v1/users/* is bound twice: by keyward.v1.UserRegistry.GetUser and by keyward.v1.UserRegistry.DeleteUser",
    );
  });
});
