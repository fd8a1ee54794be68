/**
 * The one check of a presented password, for sign-in and for changing one's own password (DESIGN §11):
 * throttled per user id and client address before any hashing, the same slow comparison whether or not
 * the user exists or has a password, and every failure counted.
 */
import { LoginThrottled } from "../errors.js";
import { isStoreError, type UserRecord } from "../store/store.js";
import type { ServiceDeps } from "./service-deps.js";

/**
 * The user when `password` is theirs, they are active and the attempt is not throttled; undefined for
 * every other failure (unknown user, no password, wrong password, suspended), all alike. Throws
 * `LOGIN_THROTTLED` (with the wait) when this user id or address has failed too often lately.
 */
export async function checkPassword(deps: ServiceDeps, userId: string, password: string, address: string): Promise<UserRecord | undefined> {
  const blocked = deps.throttle.check(userId, address);
  if (blocked) {
    throw LoginThrottled.create(
      { subject: blocked.subject === "user" ? "user id" : "address", retry_after_seconds: String(Math.ceil(blocked.retryDelayMs / 1000)) },
      { retryDelayMs: blocked.retryDelayMs },
    );
  }
  const [user, stored] = await Promise.all([
    deps.store.getUser(userId).catch(absentAsUndefined),
    deps.store.getPassword(userId).catch(absentAsUndefined),
  ]);
  // Always one argon2 verification: against a dummy hash when there is nothing to compare with.
  const matches = await deps.passwords.verify(password, stored?.hash);
  if (!matches || user === undefined || user.state !== "active") {
    deps.throttle.failed(userId, address);
    return undefined;
  }
  deps.throttle.succeeded(userId);
  return user;
}

function absentAsUndefined(error: unknown): undefined {
  if (isStoreError(error, "not_found")) return undefined;
  throw error;
}
