/**
 * A background loop of one process (ARCHITECTURE.md, "Events"): runs a round, then waits an interval or
 * until woken, and stops cleanly: `stop()` resolves once the round in progress has ended (each round
 * bounds its own time) and no further round starts. A failing round is logged once per distinct failure,
 * not on every interval, and retried at the next one.
 */
import type { Logger } from "../logger.js";

/**
 * Lets pending I/O run before more work. SQLite's calls are synchronous, so a loop of store calls that
 * only awaits them never gives the event loop back: between batches, background work waits for this,
 * and calls in flight are answered in between.
 */
export function yieldToIo(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One round: resolves true when it left work undone and the next should start at once. */
export type Round = () => Promise<boolean>;

export class PeriodicTask {
  readonly #name: string;
  readonly #intervalMs: number;
  readonly #minGapMs: number;
  readonly #round: Round;
  readonly #logger: Logger;
  #running: Promise<void> | undefined;
  #stopping = false;
  #woken = false;
  #wakeUp: (() => void) | undefined;
  #lastFailure = "";

  /**
   * `minGapMs` is the least time between two rounds started by {@link wake}, so a burst of wakes costs
   * one round, not one each.
   */
  constructor(name: string, intervalMs: number, round: Round, logger: Logger, minGapMs = 0) {
    this.#name = name;
    this.#intervalMs = intervalMs;
    this.#minGapMs = minGapMs;
    this.#round = round;
    this.#logger = logger;
  }

  /** Starts the loop (its first round at once). Idempotent. */
  start(): void {
    this.#running ??= this.#loop();
  }

  /** Starts the next round early: something may have become due. */
  wake(): void {
    this.#woken = true;
    this.#wakeUp?.();
  }

  /** Lets the round in progress end and starts no other. Idempotent. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wakeUp?.();
    await this.#running;
  }

  async #loop(): Promise<void> {
    while (!this.#stopping) {
      const started = Date.now();
      let more = false;
      try {
        more = await this.#round();
        if (this.#lastFailure !== "") this.#logger.info(`${this.#name}: working again`);
        this.#lastFailure = "";
      } catch (error) {
        const message = (error as Error).message;
        if (message !== this.#lastFailure) this.#logger.warn(`${this.#name} failed; retrying every interval`, { error: message });
        this.#lastFailure = message;
      }
      if (this.#stopping) break;
      if (more) {
        await yieldToIo();
        continue;
      }
      await this.#sleep(started);
    }
  }

  /** Waits the interval, or until woken (but no sooner than `minGapMs` after `started`), or stopped. */
  async #sleep(started: number): Promise<void> {
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(timer);
        this.#wakeUp = undefined;
        resolve();
      };
      const early = () => {
        if (this.#stopping) return done();
        clearTimeout(timer);
        timer = setTimeout(done, Math.max(0, started + this.#minGapMs - Date.now()));
      };
      this.#wakeUp = early;
      timer = setTimeout(done, this.#intervalMs);
      timer.unref();
      if (this.#woken) early();
    });
    this.#woken = false;
  }
}
