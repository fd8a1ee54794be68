/**
 * Forward auth for edge proxies (ARCHITECTURE.md, "The network edge"): nginx `auth_request`, Caddy `forward_auth`, Traefik
 * ForwardAuth and Envoy's HTTP `ext_authz` ask `/api/v1/auth/check` (any method, any path below it)
 * whether the request they hold may go on to a downstream service.
 *
 * It decides nothing itself. It calls the real `AuthService.GetAuthInfo` through the shared invoker,
 * with the rights the proxy names added to the call's requirement (`kRequiredRights`), so the one
 * interceptor chain authenticates (verifier, cache, networks, transport policy, usage) and checks the
 * rights exactly as for every other call. What it adds is the answer's shape: 200 with the identity in
 * headers for the proxy to copy upstream, or the refusal's status with its reason in `X-Keyward-Reason`
 * and a `google.rpc.Status` body. The credential is never echoed.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import { createContextValues, type ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { kRequiredRights } from "../authz/authorization-interceptor.js";
import { validationFailed } from "../errors/errors.js";
import { rights as keywardRights } from "../rights/index.js";
import type { HttpRoute } from "../http/http-routes.js";
import type { Invoker } from "../transport/invoke.js";
import { httpPeer } from "../net/peers.js";
import { CallSignal } from "../http/http-call-signal.js";
import { headersOf } from "../http/request-headers.js";
import { TIMEOUT_HEADER, timeoutMsOf } from "./rest/rest-timeout.js";
import { writeError } from "../http/http-response.js";

/** Where forward auth is served; any path below it too (`/api/v1/auth/check/orders/42`). */
export const FORWARD_AUTH_PATH = "/api/v1/auth/check";
/** The header naming the rights the downstream request needs (comma-separated), besides `?rights=`. */
export const REQUIRED_RIGHTS_HEADER = "x-keyward-required-rights";
/**
 * The answer's identity headers, for the proxy to pass upstream. Each is always present, empty when it
 * does not apply (no key for a session, no tenant for a system user), so a proxy copying them overwrites
 * whatever a client sent under the same name.
 */
export const IDENTITY_HEADERS = {
  userId: "X-Keyward-User-Id",
  keyId: "X-Keyward-Key-Id",
  tenantId: "X-Keyward-Tenant-Id",
  rights: "X-Keyward-Rights",
} as const;
/** The refusal's reason (`API_KEY_INVALID`, `INSUFFICIENT_RIGHTS`, ...), for logs and for the proxy. */
export const REASON_HEADER = "X-Keyward-Reason";

/** Whether `path` (without the query) is forward auth's. */
export function isForwardAuthPath(path: string): boolean {
  return path === FORWARD_AUTH_PATH || path.startsWith(`${FORWARD_AUTH_PATH}/`);
}

/** The forward-auth route: every method on its paths, so it comes before the REST routes. */
export function createForwardAuthRoute(invoker: Invoker, asConnectError: (error: unknown) => ConnectError): HttpRoute {
  const check = createForwardAuth(invoker, asConnectError);
  return { claims: (_request, path) => isForwardAuthPath(path), answer: check };
}

/** The forward-auth handler; it answers every request itself. */
function createForwardAuth(invoker: Invoker, asConnectError: (error: unknown) => ConnectError) {
  const method = AuthService.method.getAuthInfo;
  const request = create(method.input);
  return async (incoming: IncomingMessage, response: ServerResponse): Promise<void> => {
    const target = incoming.url ?? "/";
    let call: CallSignal | undefined;
    try {
      // Inside the try: a malformed timeout header is the client's mistake, answered like any other.
      call = new CallSignal(response, timeoutMsOf(incoming.headers[TIMEOUT_HEADER]), asConnectError);
      const required = requiredRights(target, incoming.headers[REQUIRED_RIGHTS_HEADER]);
      const result = await call.race(
        invoker.invoke(method, request, {
          protocolName: "rest",
          header: headersOf(incoming),
          end: call,
          requestMethod: incoming.method ?? "GET",
          url: target,
          peer: httpPeer(incoming),
          contextValues: createContextValues().set(kRequiredRights, required),
        }),
      );
      const { user, apiKey, rights } = result.message;
      response.writeHead(200, {
        [IDENTITY_HEADERS.userId]: user?.userId ?? "",
        [IDENTITY_HEADERS.keyId]: apiKey?.id ?? "",
        [IDENTITY_HEADERS.tenantId]: user?.tenantId ?? "",
        [IDENTITY_HEADERS.rights]: rights.map((r) => keywardRights.name(r)).join(","),
        "cache-control": "no-store",
        "content-length": 0,
      });
      response.end();
    } catch (error) {
      const refusal = asConnectError(error);
      const reason = refusal.findDetails(ErrorInfoSchema)[0]?.reason;
      if (reason !== undefined && !response.headersSent) response.setHeader(REASON_HEADER, reason);
      writeError(response, refusal);
    } finally {
      call?.dispose();
    }
  };
}

/** The one query parameter forward auth reads on its own path. */
const RIGHTS_PARAMETER = "rights";

/**
 * The rights named by `?rights=` (repeated or comma-separated) and the required-rights header, by full
 * (`RIGHT_USER_INFO`) or short (`USER_INFO`) name, any case. An unknown name is `INVALID_ARGUMENT`: a
 * typo in a proxy's config must not silently mean "any valid key". So is any other query parameter on
 * `/api/v1/auth/check` itself (`?right=`, `?Rights=`, `?rights[]=`): the query there is the proxy's
 * config. Below it, Envoy appends the original request's path and query, so other keys there belong to
 * that request and are ignored; a `rights` key still counts, which can only make the check stricter.
 */
function requiredRights(target: string, header: string | string[] | undefined): number[] {
  const queryAt = target.indexOf("?");
  const query = new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1));
  if (queryAt !== -1 && target.slice(0, queryAt) === FORWARD_AUTH_PATH) refuseUnknownParameters(query);
  const names = query.getAll(RIGHTS_PARAMETER);
  names.push(...(Array.isArray(header) ? header : header === undefined ? [] : [header]));
  const wanted = new Set<number>();
  const unknown: string[] = [];
  for (const name of names.flatMap((list) => list.split(/[\s,]+/)).filter((n) => n !== "")) {
    const right = keywardRights.fromName(name.toUpperCase());
    if (right === undefined || right === 0) unknown.push(name.slice(0, 64));
    else wanted.add(right);
  }
  if (unknown.length > 0) {
    throw validationFailed([{ field: RIGHTS_PARAMETER, description: `unknown rights: ${unknown.join(", ")}; see keyward.v1.Right` }]);
  }
  return [...wanted];
}

/** Refuses every query parameter but `rights`, naming them (validationFailed caps how many). */
function refuseUnknownParameters(query: URLSearchParams): void {
  const unknown = new Set<string>();
  for (const key of query.keys()) if (key !== RIGHTS_PARAMETER) unknown.add(key);
  if (unknown.size === 0) return;
  const description = `unknown query parameter; forward auth takes only \`${RIGHTS_PARAMETER}\` (or the X-Keyward-Required-Rights header)`;
  throw validationFailed([...unknown].map((key) => ({ field: key, description })));
}
