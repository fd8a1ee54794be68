// Bounded retries for version-conditional writes (optimistic concurrency).
import { setTimeout as sleep } from "node:timers/promises";
import { updateConflict, type Subject } from "../store-errors.js";

/** Attempts before an update gives up with `conflict`. */
export const MAX_UPDATE_ATTEMPTS = 10;

/**
 * Calls `attempt` until it returns a value; `undefined` means the document changed between read and
 * write, so it reads again. Waits a random, growing delay between attempts so that concurrent writers
 * spread out instead of colliding again. Rejects with `conflict` after `maxAttempts` ({@link MAX_UPDATE_ATTEMPTS} unless given).
 */
export async function retryOnVersionChange<T>(subject: Subject, attempt: () => Promise<T | undefined>, maxAttempts = MAX_UPDATE_ATTEMPTS): Promise<T> {
  for (let attempts = 1; ; attempts++) {
    const result = await attempt();
    if (result !== undefined) return result;
    if (attempts === maxAttempts) throw updateConflict(subject, attempts);
    await sleep(Math.random() * Math.min(100, 2 ** (attempts + 1)));
  }
}
