// A key's usage credits at a moment (ARCHITECTURE.md, "Keys"): the one statement of how a refill moves
// the count on, used by both adapters inside `takeApiKeyUses` and by whatever shows a key's count, so the
// count a user reads is the count the next call is judged by.
import type { ApiKeyRecord, UsesLease } from "./store.js";

/** A key's usage credits as of some moment. */
export interface CreditsNow {
  /** Uses left (not counting uses leased to servers and not yet used). */
  readonly remaining: number;
  /** When the current count began: the stored `refilledAt`, moved on by the refills due. */
  readonly refilledAt: Date;
  /** When the next refill is due; undefined without a refill. */
  readonly nextRefillAt: Date | undefined;
}

/**
 * The credits of `key` at `now`: its stored count, or `refill.amount` when one or more refills fell due
 * since `refilledAt` (a refill sets the count, it does not add to it), with `refilledAt` moved on by the
 * whole periods that passed. Undefined for a key without credits (unlimited).
 */
export function creditsAt(key: Pick<ApiKeyRecord, "remainingUses" | "refill" | "refilledAt">, now: Date): CreditsNow | undefined {
  if (key.remainingUses === undefined) return undefined;
  const since = key.refilledAt ?? now;
  const refill = key.refill;
  if (refill === undefined || refill.periodMs <= 0) return { remaining: key.remainingUses, refilledAt: since, nextRefillAt: undefined };
  const periods = Math.floor((now.getTime() - since.getTime()) / refill.periodMs);
  if (periods <= 0) return { remaining: key.remainingUses, refilledAt: since, nextRefillAt: new Date(since.getTime() + refill.periodMs) };
  const refilledAt = new Date(since.getTime() + periods * refill.periodMs);
  return { remaining: refill.amount, refilledAt, nextRefillAt: new Date(refilledAt.getTime() + refill.periodMs) };
}

/**
 * What the count a lease may be returned into must look like after a create or an update: `next` with its
 * `refilledAt` settled. Without credits, no `refilledAt` (nor refill). A new count begins (a new epoch, so
 * that leases from before are void: never returned, see `ApiKeyStore.returnApiKeyUses`) when the credits
 * appear, when `remainingUses` or the refill changes, or when the updater moved `refilledAt` itself (how a
 * service starts a new count of the same size); the new `refilledAt` is `now`, kept later than the old one
 * (on a create, the `refilledAt` given, if any).
 * A refill changed without a new count carries the count as of `now` into the new epoch, so a refill that
 * was due is not lost. Otherwise the stored count and epoch stay, whatever the updater copied.
 */
export function settleUsageEpoch(current: ApiKeyRecord | undefined, next: ApiKeyRecord, now: Date): ApiKeyRecord {
  const { refilledAt: _refilledAt, ...unmetered } = next;
  if (next.remainingUses === undefined) return unmetered;
  const before = current?.remainingUses === undefined ? undefined : current;
  const sameRefill = before !== undefined && before.refill?.amount === next.refill?.amount && before.refill?.periodMs === next.refill?.periodMs;
  const movedEpoch = next.refilledAt !== undefined && next.refilledAt.getTime() !== before?.refilledAt?.getTime();
  if (before !== undefined && sameRefill && !movedEpoch && next.remainingUses === before.remainingUses) {
    return { ...next, refilledAt: before.refilledAt ?? now };
  }
  const oldEpoch = before?.refilledAt?.getTime() ?? Number.NEGATIVE_INFINITY;
  const epoch = movedEpoch && before === undefined ? next.refilledAt! : new Date(Math.max(now.getTime(), oldEpoch + 1));
  const carried = before !== undefined && next.remainingUses === before.remainingUses && !movedEpoch ? creditsAt(before, now)!.remaining : next.remainingUses;
  return { ...next, remainingUses: carried, refilledAt: epoch };
}

/** The lease of `granted` uses taken from `credits`, leaving `remaining` in the store. */
export function leaseOf(granted: number, remaining: number, credits: CreditsNow): UsesLease {
  const lease: UsesLease = { granted, remaining, epoch: credits.refilledAt };
  if (credits.nextRefillAt !== undefined) lease.nextRefillAt = credits.nextRefillAt;
  return lease;
}

/**
 * The fields an updater sets to give `current` a new count of `remainingUses` at `now`: a `refilledAt`
 * later than the stored one, so the store starts a new epoch even when the count is the one it has.
 */
export function newUsageCount(current: Pick<ApiKeyRecord, "refilledAt">, remainingUses: number, now: Date): Pick<ApiKeyRecord, "remainingUses" | "refilledAt"> {
  return { remainingUses, refilledAt: new Date(Math.max(now.getTime(), (current.refilledAt?.getTime() ?? Number.NEGATIVE_INFINITY) + 1)) };
}
