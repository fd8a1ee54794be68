/**
 * `auth.fail` events (ARCHITECTURE.md, "Events"): every refused credential is counted here, per
 * credential id, reason and client address, and each window (default one minute) is written as one
 * event per such tuple with its count. A refusal changes nothing in the store, so it has no write to ride
 * on; writing one row per refusal would let a flood of bad credentials fill the store, so this process
 * writes at most `maxTuples + 1` rows per window whatever it is sent.
 *
 * Memory is bounded the same way: at most {@link AuthFailureLogOptions.maxTuples} tuples are kept per
 * window; failures that fit no kept tuple are counted in one overflow tuple (empty credential id and
 * address, reason {@link OVERFLOW_REASON}). A successful call records nothing.
 *
 * The subject is the key or session id presented (for a sign-in, the user id named) and, when that key,
 * session or user exists, its user and tenant, looked up when the window is written (at most one read
 * per tuple), so the owner sees the refusal in its own Activity and a tenant admin in its tenant's.
 */
import type { Logger } from "../logger.js";
import { isStoreError, type EventActor, type NewEvent, type Store } from "../store/store.js";

/** What a refused credential was. */
export type CredentialKind = "api_key" | "session" | "user";

/** One refusal, as the authorization interceptor or sign-in reports it. */
export interface AuthFailure {
  /** The refusal's reason (`API_KEY_INVALID`, `INSUFFICIENT_RIGHTS`, `LOGIN_FAILED`, ...). */
  readonly reason: string;
  /** What was presented: a key id, a session id, or (sign-in) a user id; id `""` when it could not be told. */
  readonly kind: CredentialKind | undefined;
  readonly id: string;
  /** The client's address (`""` when unknown). */
  readonly address: string;
  readonly userAgent: string | undefined;
  /** Who was refused, when it was authenticated (`INSUFFICIENT_RIGHTS`); absent otherwise. */
  readonly actor?: EventActor;
  /** The credential's user and tenant when the caller already knows them (an authenticated principal). */
  readonly owner?: { readonly userId: string; readonly tenantId: string | undefined };
}

/** Where failures are reported: the interceptor and sign-in know only this. */
export interface AuthFailureRecorder {
  record(failure: AuthFailure): void;
}

/** A recorder that records nothing (tests and tools that build an interceptor without a store). */
export const NO_AUTH_FAILURE_RECORDER: AuthFailureRecorder = { record: () => undefined };

/** The reason of the one tuple that counts the failures that did not fit a window's cap. */
export const OVERFLOW_REASON = "AUTH_FAIL_OVERFLOW";

/** Tuning of the log. */
export interface AuthFailureLogOptions {
  /** How long failures are counted before they are written (the `--auth-fail-window` setting). */
  readonly windowMs: number;
  /** Most tuples kept per window; the rest are counted in the overflow tuple. */
  readonly maxTuples: number;
  readonly now?: () => number;
}

/** Default window: one minute, so one credential, reason and address costs at most one row a minute. */
export const DEFAULT_AUTH_FAIL_WINDOW_MS = 60_000;
/** Default cap on tuples per window (each holds a few hundred bytes at most). */
export const DEFAULT_AUTH_FAIL_MAX_TUPLES = 1_000;

interface Tuple {
  readonly failure: AuthFailure;
  readonly firstAt: number;
  count: number;
}

/** What the log reads and writes. */
export type AuthFailureStore = Pick<Store, "appendEvents" | "findApiKeyWithOwner" | "findSessionWithOwner" | "getUser">;

/** The per-process aggregator. {@link start} its timer; {@link stop} writes what is left. */
export class AuthFailureLog implements AuthFailureRecorder {
  readonly #store: AuthFailureStore;
  readonly #logger: Logger;
  readonly #windowMs: number;
  readonly #maxTuples: number;
  readonly #now: () => number;
  #tuples = new Map<string, Tuple>();
  #overflow: Tuple | undefined;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #written = 0;

  constructor(store: AuthFailureStore, logger: Logger, options: AuthFailureLogOptions) {
    this.#store = store;
    this.#logger = logger;
    this.#windowMs = options.windowMs;
    this.#maxTuples = options.maxTuples;
    this.#now = options.now ?? Date.now;
  }

  /** `auth.fail` events written since start. */
  get written(): number {
    return this.#written;
  }

  /** Tuples waiting for the end of the window, the overflow tuple included. */
  get pending(): number {
    return this.#tuples.size + (this.#overflow === undefined ? 0 : 1);
  }

  /** Counts a refusal; never throws, never waits. */
  record(failure: AuthFailure): void {
    const key = `${failure.kind ?? ""}\u0000${failure.id}\u0000${failure.reason}\u0000${failure.address}`;
    const tuple = this.#tuples.get(key);
    if (tuple !== undefined) {
      tuple.count += 1;
      return;
    }
    if (this.#tuples.size < this.#maxTuples) {
      this.#tuples.set(key, { failure, firstAt: this.#now(), count: 1 });
      return;
    }
    if (this.#overflow === undefined) {
      const overflow: AuthFailure = { reason: OVERFLOW_REASON, kind: undefined, id: "", address: "", userAgent: undefined };
      this.#overflow = { failure: overflow, firstAt: this.#now(), count: 0 };
    }
    this.#overflow.count += 1;
  }

  /** Writes a window every `windowMs` from now on. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => void this.flush(), this.#windowMs);
    this.#timer.unref();
  }

  /** Stops the timer and writes what was counted. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Ends the current window: writes one `auth.fail` event per tuple counted in it. */
  flush(): Promise<void> {
    const tuples = [...this.#tuples.values(), ...(this.#overflow === undefined ? [] : [this.#overflow])];
    this.#tuples = new Map();
    this.#overflow = undefined;
    if (tuples.length === 0) return this.#flushing;
    // One window at a time, so events of one tuple are written in the order of their windows.
    this.#flushing = this.#flushing.then(() => this.#write(tuples));
    return this.#flushing;
  }

  async #write(tuples: readonly Tuple[]): Promise<void> {
    try {
      const events: NewEvent[] = [];
      for (const tuple of tuples) events.push(await this.#eventOf(tuple));
      await this.#store.appendEvents(events);
      this.#written += events.length;
    } catch (error) {
      // The store refused (it is down, or closing): the counts are lost, which the log says.
      const lost = tuples.reduce((sum, tuple) => sum + tuple.count, 0);
      this.#logger.warn("auth.fail events not written", { error: String(error), tuples: tuples.length, failures: lost });
    }
  }

  async #eventOf(tuple: Tuple): Promise<NewEvent> {
    const { failure } = tuple;
    const owner = failure.owner ?? (await this.#ownerOf(failure));
    const subject = {
      ...(owner?.tenantId === undefined ? {} : { tenantId: owner.tenantId }),
      ...(owner === undefined ? {} : { userId: owner.userId }),
      ...(failure.kind === "api_key" && failure.id !== "" ? { apiKeyId: failure.id } : {}),
      ...(failure.kind === "session" && failure.id !== "" ? { sessionId: failure.id } : {}),
    };
    return {
      time: new Date(tuple.firstAt),
      type: "auth.fail",
      actor: { ...failure.actor },
      subject,
      client: {
        ...(failure.address === "" ? {} : { address: failure.address }),
        ...(failure.userAgent === undefined ? {} : { userAgent: failure.userAgent }),
      },
      changed: [],
      reason: failure.reason,
      count: tuple.count,
    };
  }

  /** The user and tenant of the credential presented, when it exists. */
  async #ownerOf(failure: AuthFailure): Promise<{ userId: string; tenantId: string | undefined } | undefined> {
    if (failure.id === "") return undefined;
    try {
      switch (failure.kind) {
        case "api_key": {
          const found = await this.#store.findApiKeyWithOwner(failure.id);
          return found && { userId: found.user.userId, tenantId: found.user.tenantId };
        }
        case "session": {
          const found = await this.#store.findSessionWithOwner(failure.id);
          return found && { userId: found.user.userId, tenantId: found.user.tenantId };
        }
        case "user": {
          const user = await this.#store.getUser(failure.id);
          return { userId: user.userId, tenantId: user.tenantId };
        }
        default:
          return undefined;
      }
    } catch (error) {
      if (isStoreError(error, "not_found")) return undefined;
      throw error;
    }
  }
}
