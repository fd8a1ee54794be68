/**
 * The meter (ARCHITECTURE.md, "Keys"): a key's rate limit and usage credits, judged by the verifier after
 * the key's other checks, so every door and forward auth share them. The rate limit is asked first;
 * credits are taken only for a call it admits. Every authenticated call with a metered key counts, also
 * one then refused for missing rights. When a block must be leased and the store does not answer, the
 * call fails (fail closed).
 *
 * A key that is not metered never reaches this file: its cache entry says so once (`KeyEntry.metered`).
 */
import type { Logger } from "../logger.js";
import type { ApiKeyRecord, Store } from "../store/store.js";
import { CreditLeases } from "./credit-leases.js";
import type { RateLimitReading } from "./meter-reading.js";
import { RateWindows } from "./rate-windows.js";

/** Whether calls with `key` are metered: it has a rate limit or usage credits. */
export function isMetered(key: Pick<ApiKeyRecord, "rateLimit" | "remainingUses">): boolean {
  return key.rateLimit !== undefined || key.remainingUses !== undefined;
}

export interface KeyMeterOptions {
  /** A key unused this long gives back its leased uses and drops its windows. */
  readonly idleMs: number;
}

export const DEFAULT_KEY_METER_OPTIONS: KeyMeterOptions = { idleMs: 5_000 };

export class KeyMeter {
  private readonly rates: RateWindows;
  private readonly credits: CreditLeases;
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    store: Pick<Store, "updateAttemptCounter" | "takeApiKeyUses" | "returnApiKeyUses">,
    private readonly now: () => number,
    private readonly options: KeyMeterOptions = DEFAULT_KEY_METER_OPTIONS,
    logger?: Logger,
  ) {
    this.rates = new RateWindows(store, now);
    this.credits = new CreditLeases(store, now, logger);
  }

  /**
   * Admits one call of a metered `key` at `now`: undefined when decided from memory, else a promise.
   * Throws (or rejects with) `API_KEY_RATE_LIMITED`, `API_KEY_USAGE_EXHAUSTED` or the store's error.
   * Fills `reading` for a key with a rate limit.
   */
  admit(key: ApiKeyRecord, now: number, reading: RateLimitReading | undefined): Promise<void> | undefined {
    this.scheduleSweep();
    const limit = key.rateLimit;
    const rated = limit === undefined ? undefined : this.rates.admit(key, limit, now, reading);
    if (key.remainingUses === undefined) return rated;
    if (rated === undefined) return this.credits.admit(key, now);
    return rated.then(() => this.credits.admit(key, this.now()));
  }

  /** The key changed (on this node, or named by the revocation feed): its leases go back, its window is read anew. */
  forgetKey(keyId: string): void {
    this.rates.forgetKey(keyId);
    this.credits.forgetKey(keyId);
  }

  forgetUser(userId: string): void {
    this.rates.forgetUser(userId);
    this.credits.forgetUser(userId);
  }

  forgetAll(): void {
    this.rates.forgetAll();
    this.credits.forgetAll();
  }

  /** What the meter did since start and holds now, for /metrics (metrics.ts's `MeterCounts` says what each is). */
  get counts() {
    return {
      rateLeases: this.rates.leases,
      creditLeases: this.credits.counts.leases,
      creditsReturned: this.credits.counts.returned,
      keys: this.rates.size + this.credits.size,
    };
  }

  /** Gives back every unused lease; call before the store closes. Calls admitted later lease anew. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    await this.credits.returnAll();
  }

  /** Returns idle keys' leases and drops ended windows, while anything is held. */
  private scheduleSweep(): void {
    if (this.sweepTimer !== undefined || this.stopped) return;
    this.sweepTimer = setTimeout(() => void this.sweep(), this.options.idleMs).unref();
  }

  private async sweep(): Promise<void> {
    this.sweepTimer = undefined;
    const now = this.now();
    this.rates.sweep(now, this.options.idleMs);
    await this.credits.sweep(now, this.options.idleMs);
    if (this.rates.size > 0 || this.credits.size > 0) this.scheduleSweep();
  }
}
