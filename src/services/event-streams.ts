/**
 * Live tails of the audit trail (ARCHITECTURE.md, "Events"), for `EventRegistry.StreamEvents`. A tail
 * polls the store (`readEvents`), so it sees the events every process writes, and is woken early when
 * this process writes (the store handed to the services is {@link wakingStore}), so a change made here
 * reaches its streams at once. Bounded: at most `maxStreams` open in this process and
 * `maxStreamsPerClient` from one client address; each reads at most `batchSize` events at a time, and
 * reads again only after its reader took them (the door's back-pressure), so a resumed stream catches up
 * at its reader's pace and holds one batch in memory at most.
 *
 * A stream never skips: one resumed from an event retention already pruned, or overtaken by retention
 * while it lags, ends with `EVENTS_PRUNED`; one whose reader takes nothing for the door's stall time ends
 * with `EVENTS_STREAM_BEHIND` naming the last event it sent. Either way the client resumes with
 * `after_id`. On {@link EventStreams.close} (the server stops) every stream ends cleanly.
 */
import { EventsPruned, EventsStreamBehind, EventsStreamsExhausted, validationFailed } from "../errors/errors.js";
import type { StreamPace } from "../stream-pace.js";
import type { EventFilter, EventRecord, Store } from "../store/store.js";
import { eventIdOf } from "./convert.js";

/** Bounds and pace of the tails. */
export interface EventStreamOptions {
  /** Most streams open at once in this process. */
  readonly maxStreams: number;
  /** Most streams open at once from one client address. */
  readonly maxStreamsPerClient: number;
  /** How often an idle stream reads the store (events written by other processes arrive this late at most). */
  readonly pollIntervalMs: number;
  /** Most events read at once per stream. */
  readonly batchSize: number;
  /** How soon after a write in this process its streams read (writes in a burst share one read). */
  readonly wakeDelayMs: number;
}

/** The defaults: docs/events.md states the caps. */
export const DEFAULT_EVENT_STREAM_OPTIONS: EventStreamOptions = {
  maxStreams: 100,
  maxStreamsPerClient: 5,
  pollIntervalMs: 1_000,
  batchSize: 100,
  wakeDelayMs: 20,
};

/** Where a tail starts and what it passes. */
export interface TailRequest {
  readonly filter: EventFilter;
  /** Start after this seq; undefined: with the next event written. */
  readonly afterSeq: number | undefined;
  /** The client address the stream counts against. */
  readonly address: string;
  /** Aborts when the call ends (the client went away). */
  readonly signal: AbortSignal;
  /** Where the door marks a stalled reader; undefined: never stalls (a caller that is no door). */
  readonly pace: StreamPace | undefined;
}

/** The open tails of this process. */
export class EventStreams {
  readonly #store: Pick<Store, "readEvents" | "eventChainHead">;
  readonly #options: EventStreamOptions;
  readonly #perClient = new Map<string, number>();
  #open = 0;
  #closed = false;
  #waiters = new Set<() => void>();
  #wakeTimer: NodeJS.Timeout | undefined;

  constructor(store: Pick<Store, "readEvents" | "eventChainHead">, options: EventStreamOptions = DEFAULT_EVENT_STREAM_OPTIONS) {
    this.#store = store;
    this.#options = options;
  }

  /** Streams open now. */
  get open(): number {
    return this.#open;
  }

  /** Tells the open streams that this process wrote: they read soon. Cheap when none is open. */
  wake = (): void => {
    if (this.#waiters.size === 0 || this.#wakeTimer !== undefined) return;
    this.#wakeTimer = setTimeout(() => {
      this.#wakeTimer = undefined;
      this.#release();
    }, this.#options.wakeDelayMs);
  };

  /** Ends every stream cleanly and admits no more (the server is stopping). */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#wakeTimer);
    this.#wakeTimer = undefined;
    this.#release();
  }

  /** The events of `request` as they are written, oldest first, until the call or this process ends. */
  async *tail(request: TailRequest): AsyncGenerator<EventRecord, void, undefined> {
    const release = this.#admit(request.address);
    try {
      const head = await this.#store.eventChainHead();
      let cursor: number;
      if (request.afterSeq === undefined) cursor = head.seq;
      else if (request.afterSeq > head.seq) throw validationFailed([{ field: "after_id", description: `no event has this id yet (the newest is \`${eventIdOf(head.seq)}\`)` }]);
      else cursor = request.afterSeq;
      let lastSent = cursor;
      const { batchSize } = this.#options;
      while (!this.#closed && !request.signal.aborted) {
        const now = await this.#store.eventChainHead();
        if (cursor < now.prunedThroughSeq) {
          throw EventsPruned.create({ pruned_through: eventIdOf(now.prunedThroughSeq), oldest_id: eventIdOf(now.prunedThroughSeq + 1) });
        }
        const events = await this.#store.readEvents(cursor, batchSize, request.filter);
        for (const event of events) {
          yield event;
          lastSent = event.seq;
          cursor = event.seq;
          // The door wrote it but its reader has taken nothing for the stall time: end here, naming it.
          const stalledMs = request.pace?.stalledMs;
          if (stalledMs !== undefined) throw EventsStreamBehind.create({ last_id: eventIdOf(lastSent), stall: `${Math.round(stalledMs / 1000)} s` });
        }
        if (events.length === batchSize) continue;
        // Every event up to the head read before this batch has been seen, those the filter passed over too.
        cursor = Math.max(cursor, now.seq);
        await this.#wait(request.signal);
      }
    } finally {
      release();
    }
  }

  #admit(address: string): () => void {
    if (this.#closed) throw EventsStreamsExhausted.create({ scope: "this server, which is stopping,", limit: "0" });
    const { maxStreams, maxStreamsPerClient } = this.#options;
    if (this.#open >= maxStreams) throw EventsStreamsExhausted.create({ scope: "this server", limit: String(maxStreams) });
    const mine = this.#perClient.get(address) ?? 0;
    if (mine >= maxStreamsPerClient) throw EventsStreamsExhausted.create({ scope: "this client address", limit: String(maxStreamsPerClient) });
    this.#open += 1;
    this.#perClient.set(address, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open -= 1;
      const left = (this.#perClient.get(address) ?? 1) - 1;
      if (left === 0) this.#perClient.delete(address);
      else this.#perClient.set(address, left);
    };
  }

  /** Until a wake, the poll interval, the call's end or close. */
  #wait(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.#waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, this.#options.pollIntervalMs);
      signal.addEventListener("abort", done);
      this.#waiters.add(done);
    });
  }

  #release(): void {
    const waiters = [...this.#waiters];
    for (const done of waiters) done();
  }
}

/** Store methods that only read: every other method may write, and wakes the streams when it settles. */
const READS = /^(get|find|list|read|count|eventChainHead|close)/;

/**
 * `store`, with every method that may write waking `streams` once it has settled, so an event written by
 * this process reaches its streams without waiting for their next poll.
 */
export function wakingStore<S extends object>(store: S, wake: () => void): S {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function" || typeof property !== "string" || READS.test(property)) return value;
      let fn = wrapped.get(property);
      if (fn === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        fn = (...args: unknown[]) => {
          const result = method.apply(target, args);
          if (result instanceof Promise) return result.finally(wake);
          wake();
          return result;
        };
        wrapped.set(property, fn);
      }
      return fn;
    },
  });
}
