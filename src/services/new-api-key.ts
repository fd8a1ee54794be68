import { generateKey, hashSecret } from "../keys/index.js";
import type { ApiKeyRecord, RateLimitRecord, UsageRefillRecord } from "../store/store.js";

/** A key about to be stored, and its full text, which is shown once and never stored. */
export interface NewApiKey {
  readonly record: ApiKeyRecord;
  readonly key: string;
}

/** Generates a new active key for `userId`: a fresh id and secret, only the secret's hash in the record. */
export function newApiKey(init: {
  userId: string;
  name: string;
  rights: number[];
  expiresAt?: Date | undefined;
  /** Canonical CIDRs; empty or absent means anywhere. */
  allowedIps?: string[];
  rateLimit?: RateLimitRecord | undefined;
  /** Undefined means unlimited; a refill is kept only with a count. */
  remainingUses?: number | undefined;
  refill?: UsageRefillRecord | undefined;
  /** Empty or absent means none. */
  metadata?: Record<string, string> | undefined;
  now: Date;
}): NewApiKey {
  const { id, secret, key } = generateKey();
  return {
    key,
    record: {
      id,
      userId: init.userId,
      name: init.name,
      rights: init.rights,
      state: "active",
      secretHash: hashSecret(secret),
      expiresAt: init.expiresAt,
      ...(init.allowedIps !== undefined && init.allowedIps.length > 0 ? { allowedIps: init.allowedIps } : {}),
      ...(init.rateLimit === undefined ? {} : { rateLimit: init.rateLimit }),
      // The count begins now: `refilledAt` is the epoch leases carry and refills count from.
      ...(init.remainingUses === undefined
        ? {}
        : { remainingUses: init.remainingUses, refilledAt: init.now, ...(init.refill === undefined ? {} : { refill: init.refill }) }),
      ...(init.metadata === undefined || Object.keys(init.metadata).length === 0 ? {} : { metadata: init.metadata }),
      createdAt: init.now,
      updatedAt: init.now,
    },
  };
}
