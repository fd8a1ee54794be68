import { generateKey, hashSecret } from "../keys/index.js";
import type { ApiKeyRecord } from "../store/store.js";

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
      createdAt: init.now,
      updatedAt: init.now,
    },
  };
}
