/**
 * The one check of a presented password, for sign-in and for changing one's own password (ARCHITECTURE.md, "Sessions and passwords"):
 * counted per user id and client network before any hashing (login-throttle.ts), the same slow
 * comparison whether or not the user exists or has a password, waiting in the client's lane of the
 * hashing queue.
 */
import { PasswordQueueFull } from "../errors/errors.js";
import { isStoreError, type Store, type UserRecord } from "../store/store.js";
import type { LoginThrottle } from "./login-throttle.js";
import type { PasswordHasher } from "./password-hasher.js";

/** What a password check reads and counts with: the user and its hash, the throttle, the hashing queue. */
export interface PasswordCheckDeps {
  readonly store: Pick<Store, "getUser" | "getPassword">;
  readonly throttle: LoginThrottle;
  readonly passwords: PasswordHasher;
}

/**
 * The user when `password` is theirs, they are active and the attempt is not throttled; undefined for
 * every other failure (unknown user, no password, wrong password, suspended), all alike. Throws
 * `LOGIN_THROTTLED` (with the wait) when this user id or address has used up its allowance.
 */
export async function checkPassword(deps: PasswordCheckDeps, userId: string, password: string, address: string): Promise<UserRecord | undefined> {
  const attempt = await deps.throttle.reserve(userId, address);
  const [user, stored] = await Promise.all([
    deps.store.getUser(userId).catch(absentAsUndefined),
    deps.store.getPassword(userId).catch(absentAsUndefined),
  ]);
  let matches: boolean;
  try {
    // Always one argon2 verification: against a dummy hash when there is nothing to compare with.
    matches = await deps.passwords.verify(password, stored?.hash, attempt.client);
  } catch (error) {
    // Refused by the queue, so never checked: the attempt does not count.
    if (PasswordQueueFull.is(error)) await deps.throttle.unchecked(attempt);
    throw error;
  }
  if (!matches || user === undefined || user.state !== "active") return undefined;
  await deps.throttle.succeeded(attempt);
  return user;
}

function absentAsUndefined(error: unknown): undefined {
  if (isStoreError(error, "not_found")) return undefined;
  throw error;
}
