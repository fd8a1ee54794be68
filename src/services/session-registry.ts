/**
 * `keyward.v1.SessionRegistry` (ARCHITECTURE.md, "Sessions and passwords"): sign-in with a password, and a user's sessions. Access to
 * ListSessions and DeleteSession is decided by the authorization interceptor from the proto's rules, and
 * whose sessions a caller may end by the user-access rule (src/authz/principal-access.ts) inside the delete;
 * CreateSession is public and throttled (password-check.ts).
 */
import type { ServiceImpl } from "@connectrpc/connect";
import type { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { checkCookieSignIn, clearedSessionCookie, sessionCookie } from "../authn/credentials.js";
import { PASSWORD_MAX_LENGTH } from "../passwords/password-hasher.js";
import { callerOf, enforceEndSession } from "../authz/principal-access.js";
import { enforceReach } from "../authz/tenant-scope.js";
import { principalOf } from "../authn/principal.js";
import { KeywardError, LoginFailed, LoginThrottled } from "../errors/errors.js";
import { clientOf } from "../authz/authorization-interceptor.js";
import { withEventContext } from "../store/event-context.js";
import { generateKey, hashSecret } from "../keys/index.js";
import { liveSessionsAt } from "../authn/session-lifetime.js";
import type { LiveSessions, SessionRecord } from "../store/store.js";
import { characterCount } from "../text-length.js";
import { sessionToMessage } from "./convert.js";
import { checkPassword } from "../passwords/password-check.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkPageSize, checkSessionId, checkUserId, Violations } from "./validation.js";

export function createSessionRegistry(deps: ServiceDeps): ServiceImpl<typeof SessionRegistry> {
  const { store, caches, sessions } = deps;
  /** Which sessions are live at `now`. */
  const liveAt = (now: number): LiveSessions => liveSessionsAt(now, sessions.idleMs);

  return {
    async createSession(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      if (v.check(request.password !== "", "password", "required")) {
        v.check(characterCount(request.password, PASSWORD_MAX_LENGTH) <= PASSWORD_MAX_LENGTH, "password", `must be at most ${PASSWORD_MAX_LENGTH} characters`);
      }
      v.done();
      const client = deps.clients.resolveCall(context);
      // Login CSRF: refused before the password is checked or counted.
      if (request.setCookie) checkCookieSignIn(context.requestHeader, context.protocolName, client.secure);
      let user;
      try {
        user = await checkPassword(deps, request.userId, request.password, client.address);
        if (user === undefined) throw LoginFailed.create();
      } catch (error) {
        // A refused sign-in is an `auth.fail` about the user id named (ARCHITECTURE.md, "Events").
        if (LoginFailed.is(error) || LoginThrottled.is(error)) {
          const failure = { reason: (error as KeywardError).reason, kind: "user" as const, id: request.userId, address: client.address, userAgent: client.userAgent };
          deps.authFailures?.record(failure);
        }
        throw error;
      }
      const now = deps.now();
      // Sign-in has no principal yet: the user signing in is the actor of what it writes.
      const signInContext = { actor: { userId: user.userId }, client: clientOf(client) };
      // Housekeeping at the one moment a user's sessions grow: ended ones are dropped.
      await withEventContext(signInContext, () => store.pruneSessions(user.userId, liveAt(now)));
      const token = generateKey(undefined, "session");
      const record: SessionRecord = {
        id: token.id,
        userId: user.userId,
        secretHash: hashSecret(token.secret),
        createdAt: new Date(now),
        expiresAt: new Date(now + sessions.absoluteMs),
        lastUsedAt: new Date(now),
        // Shortened and without control characters, as for keys' last use: it is shown to people.
        userAgent: client.userAgent ?? "",
        address: client.address,
      };
      await withEventContext(signInContext, () => store.createSession(record));
      if (request.setCookie) context.responseHeader.append("set-cookie", sessionCookie(token.key, sessions.absoluteMs, client.secure));
      return { session: sessionToMessage(record, sessions.end(record)), token: request.setCookie ? "" : token.key };
    },

    async listSessions(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      const pageSize = checkPageSize(v, request.pageSize);
      v.done();
      // An unknown user is USER_NOT_FOUND, not an empty list; so is one out of the caller's tenant scope.
      enforceReach(principalOf(context), await store.getUser(request.userId));
      const page = await store.listSessions(request.userId, { pageSize, pageToken: request.pageToken, live: liveAt(deps.now()) });
      return {
        sessions: page.items.map((s) => sessionToMessage(s, sessions.end(s))),
        nextPageToken: page.nextPageToken,
        totalSize: page.totalSize,
      };
    },

    async deleteSession(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      checkSessionId(v, "session_id", request.sessionId);
      v.done();
      const caller = callerOf(context);
      // The user-access rule judges the session's user inside the delete.
      await store.deleteSession(request.userId, request.sessionId, (owner) => enforceEndSession(caller, owner));
      caches.forgetSession(request.sessionId);
      // Signing out: the browser drops its cookie too.
      if (caller.principal.session?.id === request.sessionId) {
        context.responseHeader.append("set-cookie", clearedSessionCookie(deps.clients.resolveCall(context).secure));
      }
      return {};
    },
  };
}
