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
 *
 * A key with a rate limit gets its window in `X-RateLimit-*` headers on both answers (ARCHITECTURE.md,
 * "Keys"), for the proxy to pass back to the client. A key's metadata is sent only when the proxy asks
 * for it by name (`?metadata=plan,region` or `X-Keyward-Metadata`): one `X-Keyward-Metadata-<name>`
 * header per name, always present, empty when the key has no such entry.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { kRequiredRights } from "../authz/authorization-interceptor.js";
import { validationFailed } from "../errors/errors.js";
import { rights as keywardRights } from "../rights/index.js";
import type { HttpRoute } from "../http/http-routes.js";
import type { Invoker } from "../transport/invoke.js";
import { CallValues } from "../transport/unary-call.js";
import { httpPeer } from "../net/peers.js";
import { CallSignal } from "../http/http-call-signal.js";
import { headersOf } from "../http/request-headers.js";
import { TIMEOUT_HEADER, timeoutMsOf } from "./rest/rest-timeout.js";
import { writeError } from "../http/http-response.js";
import { kPrincipal } from "../authn/principal.js";
import { kRateLimitReading, newRateLimitReading, rateLimitHeaders } from "../authn/meter-reading.js";

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
/** The header naming the metadata entries wanted in the answer (comma-separated), besides `?metadata=`. */
export const METADATA_HEADER = "x-keyward-metadata";
/** Each wanted metadata entry is answered in a header of this prefix and the entry's name. */
export const METADATA_ANSWER_PREFIX = "X-Keyward-Metadata-";

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
    const reading = newRateLimitReading();
    try {
      // Inside the try: a malformed timeout header is the client's mistake, answered like any other.
      call = new CallSignal(response, timeoutMsOf(incoming.headers[TIMEOUT_HEADER]), asConnectError);
      const { rights: required, metadata: wanted } = proxyConfigOf(target, incoming.headers[REQUIRED_RIGHTS_HEADER], incoming.headers[METADATA_HEADER]);
      const contextValues = new CallValues().set(kRequiredRights, required).set(kRateLimitReading, reading);
      const result = await call.race(
        invoker.invoke(method, request, {
          protocolName: "rest",
          header: headersOf(incoming),
          end: call,
          requestMethod: incoming.method ?? "GET",
          url: target,
          peer: httpPeer(incoming),
          contextValues,
        }),
      );
      const { user, apiKey, rights } = result.message;
      if (wanted.length > 0) setMetadataHeaders(response, wanted, contextValues.get(kPrincipal)?.key?.metadata);
      const headers: OutgoingHttpHeaders = {
        [IDENTITY_HEADERS.userId]: user?.userId ?? "",
        [IDENTITY_HEADERS.keyId]: apiKey?.id ?? "",
        [IDENTITY_HEADERS.tenantId]: user?.tenantId ?? "",
        [IDENTITY_HEADERS.rights]: rightsHeaderOf(rights),
        "cache-control": "no-store",
        "content-length": 0,
      };
      // In writeHead's object, not by setHeader: one setHeader before it sends every header down node:http's slow path.
      const rate = rateLimitHeaders(reading);
      if (rate !== undefined) for (const name in rate) headers[name] = rate[name];
      response.writeHead(200, headers);
      response.end();
    } catch (error) {
      const refusal = asConnectError(error);
      const reason = refusal.findDetails(ErrorInfoSchema)[0]?.reason;
      const rate = rateLimitHeaders(reading);
      writeError(response, refusal, undefined, reason === undefined ? rate : { ...rate, [REASON_HEADER]: reason });
    } finally {
      call?.dispose();
    }
  };
}

/**
 * The rights header of an answer's rights. A cached principal's answer is built once (auth-service.ts),
 * so its rights array is the same object call after call: its header is written once too.
 */
const rightsHeaders = new WeakMap<readonly number[], string>();
function rightsHeaderOf(rights: readonly number[]): string {
  let header = rightsHeaders.get(rights);
  if (header === undefined) rightsHeaders.set(rights, (header = rights.map((r) => keywardRights.name(r)).join(",")));
  return header;
}

/** The query parameters forward auth reads on its own path. */
const RIGHTS_PARAMETER = "rights";
const METADATA_PARAMETER = "metadata";
const PARAMETERS: ReadonlySet<string> = new Set([RIGHTS_PARAMETER, METADATA_PARAMETER]);

/** A metadata entry's name, as the API accepts it; also a valid HTTP header name suffix. */
const METADATA_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Most metadata entries a key holds, so most a proxy can ask for. */
const MAX_METADATA_NAMES = 16;

/** What the proxy's configuration asks of one check: rights to require, metadata entries to answer. */
interface ProxyConfig {
  readonly rights: readonly number[];
  readonly metadata: readonly string[];
}

/**
 * The rights named by `?rights=` (repeated or comma-separated) and the required-rights header, by full
 * (`RIGHT_USER_INFO`) or short (`USER_INFO`) name, any case; and the metadata entries named by
 * `?metadata=` and the metadata header. An unknown right or a malformed entry name is
 * `INVALID_ARGUMENT`: a typo in a proxy's config must not silently mean "any valid key". So is any other
 * query parameter on `/api/v1/auth/check` itself (`?right=`, `?Rights=`, `?rights[]=`): the query there
 * is the proxy's config. Below it, Envoy appends the original request's path and query, so other keys
 * there belong to that request and are ignored; a `rights` key still counts, which can only make the
 * check stricter, while `metadata` there is the original request's and is ignored too.
 */
function proxyConfigOf(target: string, rightsHeader: string | string[] | undefined, metadataHeader: string | string[] | undefined): ProxyConfig {
  const queryAt = target.indexOf("?");
  // Most proxies name nothing: no query, neither header. Nothing to parse, so nothing allocated per check.
  if (queryAt === -1 && rightsHeader === undefined && metadataHeader === undefined) return NOTHING_ASKED;
  const query = new URLSearchParams(queryAt === -1 ? "" : target.slice(queryAt + 1));
  const ownPath = queryAt !== -1 && target.slice(0, queryAt) === FORWARD_AUTH_PATH;
  if (ownPath) refuseUnknownParameters(query);
  return {
    rights: requiredRights([...query.getAll(RIGHTS_PARAMETER), ...headerValues(rightsHeader)]),
    metadata: metadataNames([...(ownPath ? query.getAll(METADATA_PARAMETER) : []), ...headerValues(metadataHeader)]),
  };
}

/** A check that names no rights and no metadata; frozen, as every check that asks nothing shares it. */
const NOTHING_ASKED: ProxyConfig = Object.freeze({ rights: Object.freeze([]), metadata: Object.freeze([]) });

function headerValues(header: string | string[] | undefined): string[] {
  return Array.isArray(header) ? header : header === undefined ? [] : [header];
}

function listItems(lists: string[]): string[] {
  return lists.flatMap((list) => list.split(/[\s,]+/)).filter((n) => n !== "");
}

function requiredRights(lists: string[]): number[] {
  const wanted = new Set<number>();
  const unknown: string[] = [];
  for (const name of listItems(lists)) {
    const right = keywardRights.fromName(name.toUpperCase());
    if (right === undefined || right === 0) unknown.push(name.slice(0, 64));
    else wanted.add(right);
  }
  if (unknown.length > 0) {
    throw validationFailed([{ field: RIGHTS_PARAMETER, description: `unknown rights: ${unknown.join(", ")}; see keyward.v1.Right` }]);
  }
  return [...wanted];
}

/**
 * The metadata entries named, each once. Header names are case-insensitive, so two names differing
 * only in case would answer in one header: refused, like a malformed name or more than a key can hold.
 */
function metadataNames(lists: string[]): string[] {
  const names = new Map<string, string>();
  for (const name of listItems(lists)) {
    if (!METADATA_NAME.test(name)) {
      throw validationFailed([{ field: METADATA_PARAMETER, description: `\`${name.slice(0, 64)}\` is not a metadata name (letters, digits, \`_\`, \`.\`, \`-\`, at most 64)` }]);
    }
    const folded = name.toLowerCase();
    const seen = names.get(folded);
    if (seen !== undefined && seen !== name) {
      throw validationFailed([{ field: METADATA_PARAMETER, description: `\`${seen}\` and \`${name}\` would answer in the same header` }]);
    }
    names.set(folded, name);
  }
  if (names.size > MAX_METADATA_NAMES) {
    throw validationFailed([{ field: METADATA_PARAMETER, description: `at most ${MAX_METADATA_NAMES} names (a key holds at most that many entries)` }]);
  }
  return [...names.values()];
}

/** Refuses every query parameter but `rights` and `metadata`, naming them (validationFailed caps how many). */
function refuseUnknownParameters(query: URLSearchParams): void {
  const unknown = new Set<string>();
  for (const key of query.keys()) if (!PARAMETERS.has(key)) unknown.add(key);
  if (unknown.size === 0) return;
  const description = `unknown query parameter; forward auth takes only \`${RIGHTS_PARAMETER}\` and \`${METADATA_PARAMETER}\` (or the X-Keyward-Required-Rights and X-Keyward-Metadata headers)`;
  throw validationFailed([...unknown].map((key) => ({ field: key, description })));
}

/** One answer header per wanted entry: its value, or empty when the key (or a session) has none. */
function setMetadataHeaders(response: ServerResponse, wanted: readonly string[], metadata: Readonly<Record<string, string>> | undefined): void {
  for (const name of wanted) {
    const value = metadata !== undefined && Object.hasOwn(metadata, name) ? metadata[name]! : "";
    response.setHeader(METADATA_ANSWER_PREFIX + name, headerValueOf(value));
  }
}

/** Printable ASCII without surrounding spaces goes as is (the common case: plan names, tenant ids). */
const PLAIN_VALUE = /^(?:[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?)?$/;
/** RFC 8187's prefix for an extended value; a plain value starting with it is encoded too, so none is ambiguous. */
const EXTENDED_PREFIX = "UTF-8''";

/**
 * A metadata value as a header value: as is when it is printable ASCII, else RFC 8187's
 * `UTF-8''<percent-encoded>` (every byte but its attr-chars encoded), which a header can carry whatever
 * the value holds.
 */
export function headerValueOf(value: string): string {
  if (PLAIN_VALUE.test(value) && !value.startsWith(EXTENDED_PREFIX)) return value;
  return EXTENDED_PREFIX + encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
