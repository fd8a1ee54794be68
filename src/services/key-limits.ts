/**
 * A key's rate limit, usage credits, refill and metadata as a request gives them (ARCHITECTURE.md,
 * "Keys"): checked here, on create and update alike, and turned into the store's records. Every bad value
 * is reported by field, with the range it must lie in.
 */
import type { Duration } from "@bufbuild/protobuf/wkt";
import type { RateLimit, UsageRefill } from "../../gen/keyward/v1/api_key_pb.js";
import type { RateLimitRecord, UsageRefillRecord } from "../store/store.js";
import { describeMs, type Violations } from "./validation.js";

export const RATE_LIMIT_REQUESTS_MAX = 1_000_000;
export const RATE_LIMIT_PERIOD_MIN_MS = 1_000;
export const RATE_LIMIT_PERIOD_MAX_MS = 86_400_000;
/** Most uses a key may be given at once, by `remaining_uses` or by a refill. */
export const USES_MAX = 1_000_000_000;
export const REFILL_PERIOD_MIN_MS = 60_000;
export const REFILL_PERIOD_MAX_MS = 366 * 86_400_000;
export const METADATA_ENTRIES_MAX = 16;
export const METADATA_VALUE_MAX_BYTES = 256;
export const METADATA_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Control characters (C0, DEL, C1): a value ends up in HTTP headers and terminals. */
const CONTROL = /\p{Cc}/u;

/** A rate limit: 1 to 1,000,000 requests per 1 s to 1 d in whole seconds. Undefined when unset or bad. */
export function checkRateLimit(v: Violations, field: string, given: RateLimit | undefined): RateLimitRecord | undefined {
  if (given === undefined) return undefined;
  const requestsOk = checkCount(v, `${field}.requests`, given.requests, 1, RATE_LIMIT_REQUESTS_MAX);
  const periodMs = checkPeriod(v, `${field}.period`, given.period, RATE_LIMIT_PERIOD_MIN_MS, RATE_LIMIT_PERIOD_MAX_MS);
  return requestsOk && periodMs !== undefined ? { requests: given.requests, periodMs } : undefined;
}

/** Remaining uses: 0 to 1,000,000,000; undefined (unlimited) when unset. */
export function checkRemainingUses(v: Violations, field: string, given: number | undefined): number | undefined {
  if (given === undefined) return undefined;
  return checkCount(v, field, given, 0, USES_MAX) ? given : undefined;
}

/** A refill: 1 to 1,000,000,000 uses every 1 min to 366 d in whole seconds. Undefined when unset or bad. */
export function checkRefill(v: Violations, field: string, given: UsageRefill | undefined): UsageRefillRecord | undefined {
  if (given === undefined) return undefined;
  const amountOk = checkCount(v, `${field}.amount`, given.amount, 1, USES_MAX);
  const periodMs = checkPeriod(v, `${field}.period`, given.period, REFILL_PERIOD_MIN_MS, REFILL_PERIOD_MAX_MS);
  return amountOk && periodMs !== undefined ? { amount: given.amount, periodMs } : undefined;
}

/**
 * Metadata: at most 16 entries, keys of {@link METADATA_KEY_PATTERN}, values at most 256 bytes of UTF-8
 * without control characters. Each bad entry is named by its key (`metadata[plan]`). Undefined when empty.
 */
export function checkMetadata(v: Violations, field: string, given: Readonly<Record<string, string>>): Record<string, string> | undefined {
  const entries = Object.entries(given);
  v.check(entries.length <= METADATA_ENTRIES_MAX, field, `at most ${METADATA_ENTRIES_MAX} entries (${entries.length} given)`);
  for (const [key, value] of entries.slice(0, METADATA_ENTRIES_MAX + 1)) {
    if (!METADATA_KEY_PATTERN.test(key)) {
      // A key that is not valid is not quoted back whole: it may be long or hold control characters.
      v.add(field, `key \`${key.slice(0, 64).replace(/[^\x20-\x7e]/g, "?")}\` must be 1 to 64 of A-Z, a-z, 0-9, \`_\`, \`-\` and \`.\`, starting with a letter or digit`);
      continue;
    }
    const bytes = Buffer.byteLength(value, "utf8");
    v.check(bytes <= METADATA_VALUE_MAX_BYTES, `${field}[${key}]`, `must be at most ${METADATA_VALUE_MAX_BYTES} bytes of UTF-8 (${bytes} given)`);
    v.check(!CONTROL.test(value), `${field}[${key}]`, "must not contain control characters");
  }
  return entries.length === 0 ? undefined : { ...given };
}

function checkCount(v: Violations, field: string, value: number, min: number, max: number): boolean {
  return v.check(Number.isInteger(value) && value >= min && value <= max, field, `must be ${min} to ${max.toLocaleString("en-US")}`);
}

/** A duration in whole seconds within [min, max]; its milliseconds, or undefined when unset or bad. */
function checkPeriod(v: Violations, field: string, period: Duration | undefined, minMs: number, maxMs: number): number | undefined {
  const range = `${describeMs(minMs)} to ${describeMs(maxMs)} in whole seconds (e.g. \`${minMs / 1000}s\`)`;
  if (!v.check(period !== undefined, field, `required: ${range}`)) return undefined;
  const seconds = Number(period!.seconds);
  const ok = period!.nanos === 0 && Number.isSafeInteger(seconds) && seconds * 1000 >= minMs && seconds * 1000 <= maxMs;
  return v.check(ok, field, `must be ${range}`) ? seconds * 1000 : undefined;
}
