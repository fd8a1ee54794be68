// Records and assertions shared by the conformance sections. Ids are unique per call so tests never
// depend on each other's data, and timestamps carry odd milliseconds to catch precision loss.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import {
  isStoreError,
  type ApiKeyLimits,
  type ApiKeyRecord,
  type StoreEntity,
  type StoreError,
  type StoreErrorKind,
  type UserRecord,
} from "../../../src/store/store.js";

/** A fixed instant with non-zero milliseconds; tests derive every timestamp from it. */
export const T0 = Date.UTC(2025, 0, 2, 3, 4, 5, 678);

/** `T0 + offsetMs` as a Date. */
export function at(offsetMs: number): Date {
  return new Date(T0 + offsetMs);
}

/** A cap no test reaches. */
export const NO_CAP: ApiKeyLimits = { maxKeysPerUser: 1_000_000 };

let sequence = 0;

/** A fresh user id (valid per ARCHITECTURE.md, "The API"). */
export function newUserId(prefix = "user"): string {
  sequence++;
  return `${prefix}-${sequence}-${randomBytes(3).toString("hex")}`;
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** A fresh key id shaped like real ones (39 base32 characters). */
export function newKeyId(): string {
  return Array.from(randomBytes(39), (byte) => BASE32[byte % 32]).join("");
}

/** A user record with every field set; `overrides` replace fields. */
export function userRecord(overrides: Partial<UserRecord> = {}): UserRecord {
  const userId = overrides.userId ?? newUserId();
  return {
    userId,
    name: `Name of ${userId}`,
    email: `${userId}@example.com`,
    admin: false,
    state: "active",
    createdAt: at(0),
    updatedAt: at(1),
    ...overrides,
  };
}

/** A key record with only required fields set; `overrides` replace or add fields. */
export function apiKeyRecord(userId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: newKeyId(),
    userId,
    name: "ci pipeline",
    rights: [1, 2],
    state: "active",
    secretHash: `sha256:${randomBytes(32).toString("base64url")}`,
    createdAt: at(0),
    updatedAt: at(1),
    ...overrides,
  };
}

/** A key record with every optional field set too. */
export function fullApiKeyRecord(userId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return apiKeyRecord(userId, {
    rights: [7, 1, 4, 1],
    previousSecretHash: `sha256:${randomBytes(32).toString("base64url")}`,
    previousSecretValidUntil: at(86_400_001),
    expiresAt: at(365 * 86_400_000 + 3),
    lastUsedAt: at(5_007),
    allowedIps: ["192.0.2.0/24", "2001:db8::/32"],
    rateLimit: { requests: 120, periodMs: 60_000 },
    remainingUses: 999,
    refill: { amount: 1_000, periodMs: 86_400_000 },
    refilledAt: at(7_001),
    metadata: { plan: "gold", "region.eu": "Zürich \"quoted\"" },
    ...overrides,
  });
}

/** Awaits `promise` and returns what it rejected with; a promise that resolves fails the test. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  expect.fail("expected the call to be refused, but it went through");
}

/** A `catch` handler reading a record that is gone as undefined, and failing on anything else. */
export function absentIfNotFound(error: unknown): undefined {
  if (isStoreError(error, "not_found")) return undefined;
  throw error;
}

/** Awaits `promise` and asserts it rejects with a StoreError of `kind` (and `entity`, when given). */
export async function expectStoreError(
  promise: Promise<unknown>,
  kind: StoreErrorKind,
  entity?: StoreEntity,
): Promise<StoreError> {
  const error = await rejectionOf(promise);
  expect(error, `expected a StoreError ${kind}`).to.be.instanceOf(Error);
  if (!isStoreError(error)) throw new Error(`expected a StoreError ${kind}, got ${String(error)}`);
  expect(error.kind, error.message).to.equal(kind);
  if (entity !== undefined) expect(error.entity, error.message).to.equal(entity);
  return error;
}

/** Newest first, ties broken by id descending: the order every list must return. */
export function newestFirst<T extends { createdAt: Date }>(idOf: (item: T) => string): (a: T, b: T) => number {
  return (a, b) => {
    const byTime = b.createdAt.getTime() - a.createdAt.getTime();
    if (byTime !== 0) return byTime;
    return idOf(a) < idOf(b) ? 1 : idOf(a) > idOf(b) ? -1 : 0;
  };
}
