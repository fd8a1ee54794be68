/**
 * Per-key usage credits (ARCHITECTURE.md, "Keys"): every authenticated call with a key that has
 * `remaining_uses` takes one. A process leases a block of uses from the store (`takeApiKeyUses`, one
 * atomic write) and serves them from memory, so across any number of processes no more calls succeed
 * than the key was granted; unused uses go back (`returnApiKeyUses`) when the key sits idle, when it
 * changes, and on a graceful stop. A process killed mid-lease loses at most its block.
 *
 * A lease carries the key's `refilledAt` (its epoch): an update that sets a new count or a refill makes
 * older leases void. A lease is dropped when its refill falls due or when the key is evicted (the
 * revocation feed, or a change on this node), and what it returns the store takes back only if the epoch
 * still matches. A key known to be empty is refused from memory for a moment (or until its refill), so a
 * flood of calls with it writes little.
 */
import { ApiKeyUsageExhausted } from "../errors/errors.js";
import type { Logger } from "../logger.js";
import type { ApiKeyRecord, Store } from "../store/store.js";
import { creditsAt } from "../store/usage-credits.js";

/** Uses leased at once when the store last held `remaining`. */
export function creditBlockOf(remaining: number): number {
  return Math.max(1, Math.min(100, Math.floor(remaining / 20)));
}

/**
 * How long a key found empty is refused without asking the store again: uses another process gives
 * back are seen within this time.
 */
export const EMPTY_RECHECK_MS = 1_000;

/** One key's lease as this process holds it. */
interface CreditLease {
  readonly userId: string;
  /** The key's `refilledAt` the lease was taken from (ms); NaN before the first. */
  epoch: number;
  /** Uses leased and not yet used. */
  left: number;
  /** Uses the store held after the last lease: the next block's size follows it. */
  remaining: number;
  /** When the leased uses lapse: the next refill (ms), or Infinity. */
  lapsesAt: number;
  /** Until then the key is refused from memory (it was found empty). */
  emptyUntil: number;
  /** When the next refill is due, for the refusal's message and wait (ms); undefined without refill. */
  nextRefillAt: number | undefined;
  /** The lease in flight, shared by the calls that wait for it (single flight per key). */
  leasing: Promise<boolean> | undefined;
  usedAt: number;
}

/** The credit leases of one process. */
export class CreditLeases {
  private readonly leases = new Map<string, CreditLease>();
  /** Blocks leased and uses given back since start, for /metrics. */
  readonly counts = { leases: 0, returned: 0 };

  constructor(
    private readonly store: Pick<Store, "takeApiKeyUses" | "returnApiKeyUses">,
    private readonly now: () => number,
    private readonly logger?: Logger,
  ) {}

  /**
   * Takes one use of `key` (which has `remainingUses`) at `now`: undefined when it came from this
   * process's lease, a promise when a block had to be leased. Throws (or rejects with)
   * `API_KEY_USAGE_EXHAUSTED`, or the store's error (fail closed).
   */
  admit(key: ApiKeyRecord, now: number): Promise<void> | undefined {
    let lease = this.leases.get(key.id);
    if (lease === undefined) {
      // The stored count is only a hint for the first block's size: leases change it without a feed entry.
      const hint = creditsAt(key, new Date(now))?.remaining ?? 0;
      lease = { userId: key.userId, epoch: Number.NaN, left: 0, remaining: hint, lapsesAt: 0, emptyUntil: 0, nextRefillAt: undefined, leasing: undefined, usedAt: now };
      this.leases.set(key.id, lease);
    }
    lease.usedAt = now;
    // A refill that fell due replaces the count the lease was taken from.
    if (now >= lease.lapsesAt) lease.left = 0;
    if (lease.left > 0) {
      lease.left--;
      return undefined;
    }
    if (now < lease.emptyUntil) throw exhausted(key.id, lease, now);
    // Decided again once the block is in: by then other calls may have used it, or the key changed.
    return this.lease(key.id, lease).then((metered) => (metered ? this.admit(key, this.now()) : undefined));
  }

  /** Gives back the unused uses of a key that changed and drops its lease: the next call leases anew. */
  forgetKey(keyId: string): void {
    const lease = this.leases.get(keyId);
    if (lease === undefined) return;
    this.leases.delete(keyId);
    void this.giveBack(keyId, lease);
  }

  /** Like {@link forgetKey} for every key of a user. */
  forgetUser(userId: string): void {
    for (const [id, lease] of this.leases) if (lease.userId === userId) this.forgetKey(id);
  }

  /** Like {@link forgetKey} for every key. */
  forgetAll(): void {
    for (const id of [...this.leases.keys()]) this.forgetKey(id);
  }

  /** Gives back the leases of keys not used for `idleMs`, and drops them. */
  sweep(now: number, idleMs: number): Promise<void> {
    const returns: Promise<void>[] = [];
    for (const [id, lease] of this.leases) {
      if (lease.leasing !== undefined || now - lease.usedAt < idleMs) continue;
      this.leases.delete(id);
      returns.push(this.giveBack(id, lease));
    }
    return Promise.all(returns).then(() => undefined);
  }

  /** Gives back every lease (a graceful stop). */
  async returnAll(): Promise<void> {
    const held = [...this.leases];
    this.leases.clear();
    await Promise.all(held.map(([id, lease]) => this.giveBack(id, lease)));
  }

  /** Leases held now. */
  get size(): number {
    return this.leases.size;
  }

  /** Leases a block, once per key at a time; false when the key turned out unlimited (or gone). */
  private lease(keyId: string, lease: CreditLease): Promise<boolean> {
    lease.leasing ??= this.leaseBlock(keyId, lease).finally(() => {
      lease.leasing = undefined;
    });
    return lease.leasing;
  }

  private async leaseBlock(keyId: string, lease: CreditLease): Promise<boolean> {
    const now = this.now();
    const taken = await this.store.takeApiKeyUses(keyId, creditBlockOf(lease.remaining), new Date(now));
    if (this.leases.get(keyId) !== lease) {
      // The key changed while the lease was in flight: give it back (the store keeps it only if the epoch still holds).
      if (taken !== undefined && taken.granted > 0) await this.giveBack(keyId, { epoch: taken.epoch.getTime(), left: taken.granted, lapsesAt: Number.POSITIVE_INFINITY });
      return true;
    }
    if (taken === undefined) {
      // Gone, or unlimited now: the feed will evict the key; until then the call is not metered.
      this.leases.delete(keyId);
      return false;
    }
    this.counts.leases++;
    lease.epoch = taken.epoch.getTime();
    lease.left = taken.granted;
    lease.remaining = taken.remaining;
    lease.nextRefillAt = taken.nextRefillAt?.getTime();
    lease.lapsesAt = lease.nextRefillAt ?? Number.POSITIVE_INFINITY;
    lease.emptyUntil = taken.granted > 0 ? 0 : Math.min(lease.lapsesAt, now + EMPTY_RECHECK_MS);
    return true;
  }

  private async giveBack(keyId: string, lease: Pick<CreditLease, "left" | "epoch" | "lapsesAt">): Promise<void> {
    const count = lease.left;
    if (count <= 0 || Number.isNaN(lease.epoch) || this.now() >= lease.lapsesAt) return;
    lease.left = 0;
    try {
      if (await this.store.returnApiKeyUses(keyId, count, new Date(lease.epoch))) this.counts.returned += count;
    } catch (error) {
      // Lost uses are the bounded cost of a store failure (at most a block); the key's owner can reset the count.
      this.logger?.warn("could not give back leased API key uses", { count, error });
    }
  }
}

function exhausted(keyId: string, lease: CreditLease, now: number) {
  const refill = lease.nextRefillAt;
  if (refill === undefined) return ApiKeyUsageExhausted.create({ key_id: keyId, until: "" });
  return ApiKeyUsageExhausted.create({ key_id: keyId, until: ` until ${new Date(refill).toISOString()}` }, { retryDelayMs: Math.max(1, refill - now) });
}
