// Who is writing: the actor and client of the call in progress, carried to the store's writes so that
// every change's event names them (ARCHITECTURE.md, "Events"). The authorization interceptor runs each
// authenticated call inside one; sign-in (which has no principal yet) runs its session's create inside
// one too. A write outside any call (bootstrap, expiry warnings, housekeeping) has none, and its event's
// actor is Keyward itself.
//
// An AsyncLocalStorage rather than a parameter on every write method: no write can then forget to pass
// it, and the store contract stays the shape of the records it keeps.
import { AsyncLocalStorage } from "node:async_hooks";
import type { EventContext } from "./store.js";

const storage = new AsyncLocalStorage<EventContext>();

/** Runs `fn` with `context` as the event context of every store write it makes, however deep. */
export function withEventContext<T>(context: EventContext, fn: () => T): T {
  return storage.run(context, fn);
}

/** The event context of the write in progress, or undefined when none was set (Keyward itself). */
export function currentEventContext(): EventContext | undefined {
  return storage.getStore();
}
