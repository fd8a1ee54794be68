/**
 * Readiness (ARCHITECTURE.md, "Configuration and lifecycle"): ready while the store answers and the server is not draining. The store is
 * asked in the background, once a second, with one cheap indexed read that must answer within two
 * seconds, so /readyz and gRPC health answer from memory and a flood of probes never reaches the store.
 */
import type { Logger } from "../logger.js";
import type { Store } from "../store/store.js";

/** Why the server is not ready; deliberately coarse, since /readyz is unauthenticated. */
export type NotReadyReason = "draining" | "store unavailable";

/** The current answer. */
export type ReadinessState = { ready: true } | { ready: false; reason: NotReadyReason };

/** Timing of the store check. */
export interface ReadinessOptions {
  /** How often the store is asked. */
  readonly intervalMs: number;
  /** How long the store may take to answer before the server counts as not ready. */
  readonly timeoutMs: number;
}

export const DEFAULT_READINESS_OPTIONS: ReadinessOptions = { intervalMs: 1_000, timeoutMs: 2_000 };

/** A key id no key has (ids are 39 base32 characters): the probe reads the by-id index and finds nothing. */
const PROBE_KEY_ID = "readiness-probe";

/** Tracks readiness and tells its subscribers (gRPC health, the `keyward_ready` gauge) whenever it flips. */
export class Readiness {
  #state: ReadinessState = { ready: true };
  #storeUp = true;
  #draining = false;
  #timer: NodeJS.Timeout | undefined;
  #probing = false;
  readonly #subscribers: Array<(ready: boolean) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly options: ReadinessOptions = DEFAULT_READINESS_OPTIONS,
  ) {}

  /** Calls `onChange` with the current answer now and with every change after. */
  subscribe(onChange: (ready: boolean) => void): void {
    this.#subscribers.push(onChange);
    onChange(this.#state.ready);
  }

  /** The answer now. */
  get state(): ReadinessState {
    return this.#state;
  }

  /** Starts the background checks (the store was just opened, so the server starts ready). */
  start(): void {
    if (this.#draining) return;
    this.#timer ??= setInterval(() => void this.check(), this.options.intervalMs).unref();
  }

  /** Not ready from now on: the server is shutting down. Stops the checks. */
  drain(): void {
    this.#draining = true;
    clearInterval(this.#timer);
    this.#update();
  }

  /** Asks the store once (skipped while the previous question is still open). Exposed for tests. */
  async check(): Promise<void> {
    if (this.#probing || this.#draining) return;
    this.#probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
      });
      await Promise.race([this.store.findApiKey(PROBE_KEY_ID), timedOut]);
      this.#setStoreUp(true, undefined);
    } catch (error) {
      this.#setStoreUp(false, error);
    } finally {
      clearTimeout(timer);
      this.#probing = false;
    }
  }

  #setStoreUp(up: boolean, error: unknown): void {
    if (up === this.#storeUp) return;
    this.#storeUp = up;
    if (up) this.logger.info("store answers again: ready");
    else this.logger.warn("store does not answer: not ready", { error: error instanceof Error ? error.message : String(error) });
    this.#update();
  }

  #update(): void {
    const next: ReadinessState = this.#draining
      ? { ready: false, reason: "draining" }
      : this.#storeUp
        ? { ready: true }
        : { ready: false, reason: "store unavailable" };
    const changed = next.ready !== this.#state.ready;
    this.#state = next;
    if (changed) for (const onChange of this.#subscribers) onChange(next.ready);
  }
}
