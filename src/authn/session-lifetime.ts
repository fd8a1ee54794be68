/**
 * The one rule for when a session ends (ARCHITECTURE.md, "Sessions and passwords"): at the earlier of its
 * idle end (its last use plus the idle timeout) and its absolute end (`expiresAt`, set at sign-in). The
 * verifier refuses by it, answers report it, and the store's list and prune filter by its inverse.
 */
import type { LiveSessions, SessionRecord } from "../store/store.js";

/**
 * When `session` ends unless used again, in ms since the epoch. `lastSeen` is a later use this process
 * saw that the store has not been told of yet (uses are written in batches); the stored one counts too.
 */
export function sessionEnd(session: SessionRecord, idleMs: number, lastSeen = 0): number {
  const lastUsed = Math.max(lastSeen, session.lastUsedAt.getTime());
  return Math.min(lastUsed + idleMs, session.expiresAt.getTime());
}

/**
 * The store's filter for the sessions live at `now` by their stored last use: exactly those whose
 * {@link sessionEnd} is after `now` (used after `now - idleMs`, expiring after `now`).
 */
export function liveSessionsAt(now: number, idleMs: number): LiveSessions {
  return { usedSince: new Date(now - idleMs + 1), expiresAfter: new Date(now) };
}
