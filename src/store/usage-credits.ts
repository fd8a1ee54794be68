// A key's usage credits at a moment (ARCHITECTURE.md, "Keys"): the one statement of how a refill moves
// the count on, used by both adapters inside `takeApiKeyUses` and by whatever shows a key's count, so the
// count a user reads is the count the next call is judged by.
import type { ApiKeyRecord } from "./store.js";

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
