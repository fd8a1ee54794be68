/**
 * Per-key rate limits (ARCHITECTURE.md, "Keys"): a fixed window per key that starts at the first call
 * after the previous one ended. The window's count lives in the store as the attempt counter
 * `rate:<key id>` (attempts: calls granted in the window; `expiresAt`: the window's end), so every
 * process and node sharing the store counts together. A process leases a block of calls from that
 * counter in one atomic write and serves them from memory, so the calls granted in a window never exceed
 * the limit; a process may refuse early while others hold unused calls of their blocks, by at most
 * (processes − 1) × block. The block is a twentieth of the limit (1 to 100), so a small limit is leased
 * one call at a time and is exact.
 *
 * Once a window is known to be full, later calls in it are refused from memory: a flood of refused calls
 * writes nothing.
 */
import { ApiKeyRateLimited } from "../errors/errors.js";
import type { ApiKeyRecord, AttemptCounter, RateLimitRecord, Store } from "../store/store.js";
import type { RateLimitReading } from "./meter-reading.js";

/** Calls leased at once for a limit of `requests` per window. */
export function rateBlockOf(requests: number): number {
  return Math.max(1, Math.min(100, Math.floor(requests / 20)));
}

/** The attempt counter holding a key's current window. */
export function rateCounterId(keyId: string): string {
  return `rate:${keyId}`;
}

/** One key's window as this process knows it. */
interface RateWindow {
  readonly requests: number;
  readonly periodMs: number;
  readonly userId: string;
  /** When the window known here ends (ms); 0 before the first lease. */
  endsAt: number;
  /** Calls leased by this process and not yet used. */
  left: number;
  /** Calls the store had granted in the window at this process's last lease, its own included. */
  counted: number;
  /** The lease in flight, shared by the calls that wait for it (single flight per key). */
  leasing: Promise<void> | undefined;
  /** Last call, for dropping idle windows. */
  usedAt: number;
}

/** Thrown by the lease's updater when the window is full: nothing is written. */
class WindowFull extends Error {}
const WINDOW_FULL = new WindowFull("rate window full");

/** The rate windows of one process. */
export class RateWindows {
  private readonly windows = new Map<string, RateWindow>();
  /** Blocks leased from the store since start, for /metrics. */
  leases = 0;

  constructor(
    private readonly store: Pick<Store, "updateAttemptCounter">,
    private readonly now: () => number,
  ) {}

  /**
   * Admits one call of `key` (which has a rate limit) at `now`, filling `reading` when given: undefined
   * when it was decided from memory, or a promise when a block had to be leased. Throws (or rejects with)
   * `API_KEY_RATE_LIMITED` with the wait until the window ends, or the store's error (fail closed).
   */
  admit(key: ApiKeyRecord, limit: RateLimitRecord, now: number, reading: RateLimitReading | undefined): Promise<void> | undefined {
    let window = this.windows.get(key.id);
    // A changed limit (the feed evicted the key and it was read again) starts from the store's count.
    if (window === undefined || window.requests !== limit.requests || window.periodMs !== limit.periodMs) {
      window = { requests: limit.requests, periodMs: limit.periodMs, userId: key.userId, endsAt: 0, left: 0, counted: 0, leasing: undefined, usedAt: now };
      this.windows.set(key.id, window);
    }
    window.usedAt = now;
    if (now >= window.endsAt) {
      // The window ended: calls leased in it and not used lapse with it.
      window.left = 0;
      window.counted = 0;
    }
    if (window.left > 0) {
      window.left--;
      if (reading !== undefined) fill(reading, window, now);
      return undefined;
    }
    if (window.endsAt > now && window.counted >= window.requests) {
      if (reading !== undefined) fill(reading, window, now);
      throw limited(key.id, window, now);
    }
    // Decided again once the block is in: by then other calls may have used it, or the key changed.
    return this.lease(key.id, window).then(() => this.admit(key, limit, this.now(), reading));
  }

  /** Drops what this process knows of a key's window (it changed): the next call asks the store. */
  forgetKey(keyId: string): void {
    this.windows.delete(keyId);
  }

  /** Drops the windows of a user's keys. */
  forgetUser(userId: string): void {
    for (const [id, window] of this.windows) if (window.userId === userId) this.windows.delete(id);
  }

  /** Drops every window. */
  forgetAll(): void {
    this.windows.clear();
  }

  /** Drops windows that ended and were not used for `idleMs`; their unused calls lapsed with them. */
  sweep(now: number, idleMs: number): void {
    for (const [id, window] of this.windows) {
      if (window.leasing === undefined && now >= window.endsAt && now - window.usedAt >= idleMs) this.windows.delete(id);
    }
  }

  /** Windows held now. */
  get size(): number {
    return this.windows.size;
  }

  /** Leases a block, once per key at a time: calls arriving meanwhile wait for the same write. */
  private lease(keyId: string, window: RateWindow): Promise<void> {
    window.leasing ??= this.leaseBlock(keyId, window).finally(() => {
      window.leasing = undefined;
    });
    return window.leasing;
  }

  private async leaseBlock(keyId: string, window: RateWindow): Promise<void> {
    const now = this.now();
    const block = rateBlockOf(window.requests);
    // Set by the updater's last run (an adapter may run it again on a conflict).
    let granted = 0;
    let counted = 0;
    let endsAt = 0;
    const take = (current: AttemptCounter | undefined): AttemptCounter => {
      if (current === undefined) {
        // The first call after the previous window ended starts a new one.
        endsAt = now + window.periodMs;
        granted = Math.min(block, window.requests);
        counted = granted;
        return { attempts: counted, nextAttemptAt: new Date(endsAt), expiresAt: new Date(endsAt) };
      }
      // A window begun under a longer period (the limit changed since) ends one new period from now at
      // the latest: its count carries over, so the change loosens nothing, but it does not outlast the
      // period the key now has.
      const storedEnd = current.expiresAt.getTime();
      endsAt = Math.min(storedEnd, now + window.periodMs);
      const end = new Date(endsAt);
      if (current.attempts >= window.requests) {
        granted = 0;
        counted = current.attempts;
        if (endsAt === storedEnd) throw WINDOW_FULL;
        return { attempts: counted, nextAttemptAt: end, expiresAt: end };
      }
      granted = Math.min(block, window.requests - current.attempts);
      counted = current.attempts + granted;
      return { attempts: counted, nextAttemptAt: end, expiresAt: end };
    };
    try {
      await this.store.updateAttemptCounter(rateCounterId(keyId), new Date(now), take);
      this.leases++;
    } catch (error) {
      if (error !== WINDOW_FULL) throw error;
    }
    window.endsAt = endsAt;
    window.counted = counted;
    window.left = granted;
  }
}

/** What a call learns of its key's window: the limit, the calls left in it as known here, and its end. */
function fill(reading: RateLimitReading, window: RateWindow, now: number): void {
  reading.limit = window.requests;
  reading.remaining = Math.max(0, window.requests - window.counted) + window.left;
  reading.resetMs = Math.max(0, window.endsAt - now);
}

function limited(keyId: string, window: RateWindow, now: number) {
  const waitMs = Math.max(1, window.endsAt - now);
  return ApiKeyRateLimited.create(
    { key_id: keyId, requests: String(window.requests), period: periodText(window.periodMs), retry_after_seconds: String(Math.ceil(waitMs / 1000)) },
    { retryDelayMs: waitMs },
  );
}

/** A period as a refusal names it: "second", "minute", "hour", "day", else seconds. */
export function periodText(periodMs: number): string {
  switch (periodMs) {
    case 1_000:
      return "second";
    case 60_000:
      return "minute";
    case 3_600_000:
      return "hour";
    case 86_400_000:
      return "day";
    default:
      return `${periodMs / 1000} s`;
  }
}
