// Who is writing: the actor and client of the call in progress, carried to the store's writes so that
// every change's event names them (ARCHITECTURE.md, "Events"). The authorization interceptor runs each
// authenticated call of a method with side effects inside one; sign-in (which has no principal yet) runs
// its session's create inside one too. A write outside any call (bootstrap, expiry warnings,
// housekeeping) has none, and its event's actor is Keyward itself.
//
// An AsyncLocalStorage rather than a parameter on every write method: no write can then forget to pass
// it, and the store contract stays the shape of the records it keeps.
//
// While any AsyncLocalStorage is enabled, Node (before its async context frames) runs a hook on every
// promise and every async resource the process creates, whatever the call: a tax on the authentication
// hot path, which writes nothing. So the storage is enabled only while some context is in use, and
// disabled when the last one ends (ARCHITECTURE.md, "Performance").
import { AsyncLocalStorage } from "node:async_hooks";
import type { EventContext } from "./store.js";

const storage = new AsyncLocalStorage<EventContext>();
/** Contexts entered and not yet ended, across every call in progress. */
let inUse = 0;

/**
 * Runs `fn` with `context` as the event context of every store write it makes, however deep, until what
 * it returns settles (a promise) or it returns. Work `fn` starts and does not wait for has no context
 * once `fn` is done.
 */
export function withEventContext<T>(context: EventContext, fn: () => T): T {
  inUse++;
  let result: T;
  try {
    result = storage.run(context, fn);
  } catch (error) {
    release();
    throw error;
  }
  if (result instanceof Promise) return result.finally(release) as T;
  release();
  return result;
}

function release(): void {
  if (--inUse === 0) storage.disable();
}

/** The event context of the write in progress, or undefined when none was set (Keyward itself). */
export function currentEventContext(): EventContext | undefined {
  return storage.getStore();
}
