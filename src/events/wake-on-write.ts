/**
 * Wakes this process's dispatcher after its own writes that append events (and so may queue
 * deliveries), so a webhook hears of a change made here at once instead of at the next poll
 * (ARCHITECTURE.md, "Events"). Writes of other processes are found by the poll. A write that appends
 * events but is missing here is only delivered a poll interval later: nothing is lost either way.
 */
import type { Store } from "../store/store.js";

/** The store's methods whose writes append events (see `EventStore` in store/store.ts). */
const EVENT_WRITES = [
  "createUser",
  "updateUser",
  "deleteUser",
  "setPassword",
  "createTenant",
  "updateTenant",
  "deleteTenant",
  "createApiKey",
  "updateApiKey",
  "deleteApiKey",
  "createSession",
  "deleteSession",
  "appendEvents",
  "warnExpiringKeys",
] as const satisfies ReadonlyArray<keyof Store>;

/** `store` calling `wake` after each successful write that appends events. */
export function wakeOnEventWrites<S extends Store>(store: S, wake: () => void): S {
  const wrapped = Object.create(store) as Record<string, unknown>;
  for (const name of EVENT_WRITES) {
    const method = (store as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name]!;
    wrapped[name] = async (...args: unknown[]) => {
      const result = await method.apply(store, args);
      wake();
      return result;
    };
  }
  return wrapped as unknown as S;
}
