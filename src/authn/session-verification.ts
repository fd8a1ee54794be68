/**
 * A session token's checks (ARCHITECTURE.md, "Sessions and passwords"), after the lookup: secret → user
 * state → absolute expiry → idle expiry (one rule: session-lifetime.ts). Its principal holds the user's
 * whole universe, and its idle end follows the uses this process saw before the store was told of them.
 */
import { SessionExpired, SessionInvalid, UserSuspended } from "../errors/errors.js";
import { secretChecker } from "../keys/index.js";
import type { RightsModel } from "../rights/index.js";
import type { SessionWithOwner } from "../store/store.js";
import type { CachedCredential } from "./credential-cache.js";
import { rightsOwnerOf, type Principal } from "./principal.js";
import { sessionEnd } from "./session-lifetime.js";

/** A verified session as cached. */
export interface SessionEntry extends CachedCredential {
  readonly kind: "session";
  readonly principal: Principal;
  readonly checkSecret: (secret: string) => boolean;
  /**
   * The session's last use seen by this process: its idle end follows uses the store has not been told of
   * yet (uses are written in batches).
   */
  lastUsed: number;
}

/**
 * The entry of a session and its user as read at `fetchedAt`; `previous` is the entry it replaces, whose
 * uses it keeps (a re-read after the TTL must not forget them).
 */
export function sessionEntry({ session, user }: SessionWithOwner, fetchedAt: number, rights: RightsModel, previous: SessionEntry | undefined): SessionEntry {
  return {
    kind: "session",
    principal: {
      key: undefined,
      session,
      user,
      rights: rights.universe(rightsOwnerOf(user)),
      supersededSecret: false,
    },
    checkSecret: secretChecker(session.secretHash),
    fetchedAt,
    touchedAt: fetchedAt,
    lastUsed: previous?.lastUsed ?? 0,
  };
}

/** The principal of a session presented with `secret` at `now`, or the error saying why not; counts the use. */
export function checkSession(entry: SessionEntry | undefined, secret: string, now: number, idleMs: number): Principal {
  if (!entry || !entry.checkSecret(secret)) throw SessionInvalid.create();
  const { user } = entry.principal;
  const session = entry.principal.session!;
  // Suspension deletes the user's sessions (store contract); this covers a cached entry meanwhile.
  if (user.state === "suspended") throw UserSuspended.create({ user_id: user.userId });
  const end = sessionEnd(session, idleMs, entry.lastUsed);
  if (end <= now) throw SessionExpired.create({ session_id: session.id, expired_at: new Date(end).toISOString() });
  entry.lastUsed = now;
  return entry.principal;
}

