/**
 * The authorization interceptor: the one place every call's access is decided (ARCHITECTURE.md, "Rights and access"). It reads the
 * method's access rule, authenticates the caller, and checks the caller's effective rights against the
 * rights needed on the subject user, before the handler runs. The principal goes into the context values
 * for the handler.
 *
 * Tenant scope is decided here too (ARCHITECTURE.md, "Tenants"): a caller in a tenant that names another
 * user gets `USER_NOT_FOUND` unless that user is in its tenant, the answer a missing user gets, before the
 * handler runs; `tenant-scope.ts` holds the rule.
 *
 * The client (its address and whether its connection was encrypted) is resolved here from the peer the
 * door put into the context values, so allowed networks and the transport policy hold on every door.
 * Forward auth (src/gateway/forward-auth.ts) adds the rights its caller names through
 * {@link kRequiredRights}; they are checked here like any method's, so a gateway's answer is decided by
 * exactly the rule every call is.
 *
 * Events (ARCHITECTURE.md, "Events"): an authenticated call of a method with side effects (one not
 * declared `idempotency_level = NO_SIDE_EFFECTS`) runs inside an event context naming its principal and
 * client, so every store write it makes records who made it and from where; every refused credential,
 * and every refusal for missing rights, is reported to the `auth.fail` log. A successful call reports
 * nothing. A call refused by its key's rate limit or usage credits (judged by the verifier) is
 * a refused credential too, so its owner sees a flood of them.
 */
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { createContextKey, type Interceptor } from "@connectrpc/connect";
import {
  AccessUndeclared,
  CredentialsMissing,
  InsufficientRights,
  KeywardError,
  SessionCrossOrigin,
  UserNotFound,
  validationFailed,
} from "../errors/errors.js";
import { parseToken, SESSION_PREFIX } from "../keys/index.js";
import { missingRights, rights as keywardRights, type RightsModel } from "../rights/index.js";
import { accessRuleOf, SELF_KEY_ID, type AccessRule } from "./access-rules.js";
import type { ApiKeyVerifier } from "../authn/verifier.js";
import { ClientResolver, type Client } from "../net/client-address.js";
import { NO_AUTH_FAILURE_RECORDER, type AuthFailure, type AuthFailureRecorder } from "../authn/auth-failure-log.js";
import { withEventContext } from "../store/event-context.js";
import { credentialFrom, isSameOrigin, sessionCookieFrom } from "../authn/credentials.js";
import { kPeer } from "../net/peer.js";
import { kPrincipal, type Principal } from "../authn/principal.js";
import { kRateLimitReading } from "../authn/meter-reading.js";
import { isStoreError, type EventContext, type Store, type UserRecord } from "../store/store.js";
import { enforceReach, scopeOf } from "./tenant-scope.js";

/**
 * Told the result of every credential check: `OK`, or the refusal's reason (`CREDENTIALS_MISSING`,
 * `API_KEY_INVALID`, ...), or `ERROR` when the check itself failed (e.g. the store was unavailable).
 */
export type AuthenticationObserver = (result: string) => void;

const ignore: AuthenticationObserver = () => undefined;

/**
 * The one request message of a server-streaming call, set by the invoker: a `StreamRequest`'s message is
 * an iterable, and the subject user is read from this message as from a unary call's.
 */
export const kStreamInput = createContextKey<unknown>(undefined, { description: "the request message of a server-streaming call" });

/** Rights a call needs on top of its method's rule; set only by a door (forward auth), never from a request. */
export const kRequiredRights = createContextKey<readonly number[]>([], { description: "rights required by the door" });

/** How the interceptor tells who is calling, and who hears of each credential check. */
export interface AuthorizationOptions {
  /** Resolves the client from the peer and proxy headers; default: no trusted proxies. */
  readonly clients?: ClientResolver;
  readonly rights?: RightsModel;
  /** Told every authentication result (the metrics' counter); default: nobody. */
  readonly observe?: AuthenticationObserver;
  /** Told every refused credential and every refusal for missing rights (`auth.fail`); default: nobody. */
  readonly failures?: AuthFailureRecorder;
}

/** Reads a user for the scope decision: undefined when there is none. */
export type UserLookup = (userId: string) => Promise<UserRecord | undefined>;

/** The {@link UserLookup} of a store. */
export function userLookupOf(store: Pick<Store, "getUser">): UserLookup {
  return (userId) =>
    store.getUser(userId).catch((error: unknown) => {
      if (isStoreError(error, "not_found")) return undefined;
      throw error;
    });
}

/** The interceptor. */
export function createAuthorizationInterceptor(
  verifier: ApiKeyVerifier,
  users: UserLookup,
  options: AuthorizationOptions = {},
): Interceptor {
  const clients = options.clients ?? new ClientResolver([]);
  const rights = options.rights ?? keywardRights;
  const observe = options.observe ?? ignore;
  const failures = options.failures ?? NO_AUTH_FAILURE_RECORDER;
  return (next) => async (request) => {
    const rule = accessRuleOf(request.method);
    if (!rule) throw AccessUndeclared.create({ method: `${request.service.typeName}.${request.method.name}` });
    if (rule.public) return next(request);
    let principal: Principal;
    let client: Client | undefined;
    let credential: string | undefined;
    try {
      client = clients.resolve(request.contextValues.get(kPeer), request.header);
      // The origin a same-origin page has: https when the client's connection is (its own TLS or a trusted proxy's).
      credential = chooseCredential(request.header, client.secure);
      if (credential === undefined) throw CredentialsMissing.create();
      // A door answering with X-RateLimit-* headers put a reading in the context values for the meter to fill.
      principal = await verifier.verify(credential, client, request.contextValues.get(kRateLimitReading));
    } catch (error) {
      observe(error instanceof KeywardError ? error.reason : "ERROR");
      // No credential sent is no credential refused; a failed check (the store is down) refuses none.
      if (error instanceof KeywardError && error.reason !== CredentialsMissing.reason && client !== undefined) failures.record(refusedCredential(error.reason, credential, client));
      throw error;
    }
    observe("OK");
    const resolved = client;
    try {
      const input = request.stream ? request.contextValues.get(kStreamInput) : request.message;
      let subject = rule.subjectOf?.(input);
      const self = rule.selfKeyOf?.(input) === SELF_KEY_ID;
      if (self) subject = selfSubject(rule, principal, subject);
      if (subject === "") {
        if (!rule.optionalUserField) throw validationFailed([{ field: rule.userField, description: "required" }]);
        // No single user: every user in the caller's scope, which needs the other-user rights.
        subject = undefined;
      }
      const required = request.contextValues.get(kRequiredRights);
      // A call on the calling key itself needs no right: it hands out nothing the key does not carry.
      let missing = self ? [] : missingFor(rule, principal, subject);
      if (required.length > 0) missing = [...new Set([...missing, ...missingRights(principal.rights, required)])].sort((a, b) => a - b);
      if (missing.length > 0) {
        const names = missing.map((r) => rights.name(r)).join(", ");
        throw InsufficientRights.create({ missing: names });
      }
      if (subject !== undefined && subject !== principal.user.userId && scopeOf(principal) !== undefined) {
        const target = await users(subject);
        if (target === undefined) throw UserNotFound.create({ user_id: subject });
        enforceReach(principal, target);
      }
      request.contextValues.set(kPrincipal, principal);
      // A method declared without side effects writes nothing an event records: it needs no context.
      if (request.method.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS) return await next(request);
      return await withEventContext(eventContextOf(principal, resolved), () => next(request));
    } catch (error) {
      // Refusals of what the principal may do, here or by the principal-access rules inside a write.
      if (error instanceof KeywardError && REFUSED_PRINCIPAL.has(error.reason)) failures.record(refusedPrincipal(error.reason, principal, resolved));
      throw error;
    }
  };
}

/** Reasons that refuse an authenticated principal: recorded as `auth.fail` with the principal as actor. */
const REFUSED_PRINCIPAL: ReadonlySet<string> = new Set(["INSUFFICIENT_RIGHTS", "API_KEY_SECRET_SUPERSEDED"]);

/** The event context of `principal`'s call from `client` (ARCHITECTURE.md, "Events"). */
export function eventContextOf(principal: Principal, client: Client): EventContext {
  return {
    actor:
      principal.session !== undefined
        ? { userId: principal.user.userId, sessionId: principal.session.id }
        : principal.key !== undefined
          ? { userId: principal.user.userId, apiKeyId: principal.key.id }
          : { userId: principal.user.userId },
    client: clientOf(client),
  };
}

/** The event form of a client: its address and User-Agent when known. */
export function clientOf(client: Client): EventContext["client"] {
  const userAgent = client.userAgent;
  return {
    ...(client.address === "" ? {} : { address: client.address }),
    ...(userAgent === undefined ? {} : { userAgent: userAgent.slice(0, EVENT_USER_AGENT_MAX) }),
  };
}

/** Longest User-Agent an event keeps (the resolver already cuts it shorter; this is the event's own bound). */
const EVENT_USER_AGENT_MAX = 256;

function refusedCredential(reason: string, credential: string | undefined, client: Client): AuthFailure {
  const parsed = credential === undefined ? undefined : parseToken(credential);
  const known = parsed?.ok === true;
  return {
    reason,
    kind: known ? parsed.kind : undefined,
    id: known ? parsed.id : "",
    address: client.address,
    userAgent: client.userAgent,
  };
}

function refusedPrincipal(reason: string, principal: Principal, client: Client): AuthFailure {
  const context = eventContextOf(principal, client);
  return {
    reason,
    kind: principal.session === undefined ? "api_key" : "session",
    id: principal.session?.id ?? principal.key?.id ?? "",
    address: client.address,
    userAgent: client.userAgent,
    actor: context.actor,
    owner: { userId: principal.user.userId, tenantId: principal.user.tenantId },
  };
}

const SESSION_TOKEN_START = `${SESSION_PREFIX}.`;

/**
 * The credential a call is judged by (ARCHITECTURE.md, "Credentials and errors" and "Sessions and passwords"): a session before an API key (ThingsBoard's "JWT
 * takes precedence"), a session in a header before the cookie. The cookie counts only on a same-origin
 * request; a cross-origin request with it is judged by its header credential, or refused as
 * `SESSION_INVALID` when it has none, so a forged cross-site request never acts with the cookie.
 */
function chooseCredential(header: Headers, secure: boolean): string | undefined {
  const sent = credentialFrom(header);
  if (sent?.startsWith(SESSION_TOKEN_START)) return sent;
  const cookie = sessionCookieFrom(header);
  if (cookie === undefined) return sent;
  if (isSameOrigin(header, secure)) return cookie;
  if (sent === undefined) throw SessionCrossOrigin.create();
  return sent;
}

/**
 * The subject of a call naming the calling key as `self`: its owner. Only an API key has a self to name,
 * and a user field naming anyone else is a contradiction, refused rather than guessed at.
 */
function selfSubject(rule: AccessRule, principal: Principal, named: string | undefined): string {
  if (principal.key === undefined) {
    throw validationFailed([{ field: rule.selfKeyField, description: `\`${SELF_KEY_ID}\` names the calling API key; this call was made with a session` }]);
  }
  if (named !== undefined && named !== "" && named !== principal.user.userId) {
    throw validationFailed([{ field: rule.userField, description: `must be empty or the calling key's owner when ${rule.selfKeyField} is \`${SELF_KEY_ID}\`` }]);
  }
  return principal.user.userId;
}

/**
 * The rights the caller lacks. On its own user, the own-user rights are needed, or else the other-user
 * (admin) rights, which apply to every user; on another user or no single user, the other-user rights.
 */
function missingFor(rule: AccessRule, principal: Principal, subject: string | undefined): number[] {
  const asOther = missingRights(principal.rights, rule.otherUserRights);
  if (subject !== principal.user.userId || asOther.length === 0) return asOther;
  return missingRights(principal.rights, rule.ownUserRights);
}
