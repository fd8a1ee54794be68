/**
 * A key's rate limit, usage credits and metadata as people choose and read them (ARCHITECTURE.md, "Keys"):
 * a period as a count of seconds, minutes, hours or days; "100 calls per minute"; "refills to 1,000 every
 * day". The dialogs hold these as text, as typed; this module turns that text into the API's fields and
 * back, and says which fields an edit changed. The ranges are the API's to judge: its refusals name the
 * field, and the dialog shows each next to it.
 */
import { create } from "@bufbuild/protobuf";
import type { Duration } from "@bufbuild/protobuf/wkt";
import { RateLimitSchema, UsageRefillSchema, type ApiKey, type RateLimit, type UsageRefill } from "../../../../gen/keyward/v1/api_key_pb.js";

/** The units a period is chosen in, longest first, with their length in seconds. */
export const PERIOD_UNITS = [
  { unit: "day", seconds: 86_400 },
  { unit: "hour", seconds: 3_600 },
  { unit: "minute", seconds: 60 },
  { unit: "second", seconds: 1 },
] as const;

/** A unit of {@link PERIOD_UNITS}. */
export type PeriodUnit = (typeof PERIOD_UNITS)[number]["unit"];

/** A period as typed: a count (text) of a unit. */
export interface PeriodInput {
  readonly count: string;
  readonly unit: PeriodUnit;
}

/** "An amount per period" as typed: the amount empty means none (no limit, no refill). */
export interface PerPeriodInput {
  readonly amount: string;
  readonly period: PeriodInput;
}

/** The most entries a key's metadata may have (the API's bound, so the dialog offers no more rows). */
export const METADATA_MAX_ENTRIES = 16;

/** One metadata row as typed. */
export interface MetadataRow {
  /** Stable across edits of the row's text, for React. */
  readonly id: number;
  readonly key: string;
  readonly value: string;
}

/** Everything the limits part of a key dialog holds. */
export interface LimitsInput {
  readonly rateLimit: PerPeriodInput;
  /** Empty: unlimited. */
  readonly remainingUses: string;
  readonly refill: PerPeriodInput;
  readonly metadata: readonly MetadataRow[];
}

let nextRowId = 1;

/** A metadata row with a fresh id. */
export function metadataRow(key = "", value = ""): MetadataRow {
  return { id: nextRowId++, key, value };
}

/** The whole seconds of a duration (the API keeps periods in whole seconds). */
export function durationSeconds(duration: Duration | undefined): number {
  return duration === undefined ? 0 : Number(duration.seconds);
}

/** A period in seconds as the longest unit that divides it: 3600 → 1 hour, 90 → 90 seconds. */
export function periodInput(seconds: number, fallback: PeriodUnit): PeriodInput {
  if (seconds <= 0) return { count: "1", unit: fallback };
  const unit = PERIOD_UNITS.find((u) => seconds % u.seconds === 0)!;
  return { count: String(seconds / unit.seconds), unit: unit.unit };
}

/** The form's starting values: empty for a new key, or what `apiKey` has now. */
export function limitsInput(apiKey?: ApiKey): LimitsInput {
  const rate = apiKey?.rateLimit;
  const refill = apiKey?.refill;
  const entries = Object.entries(apiKey?.metadata ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return {
    rateLimit: { amount: rate ? String(rate.requests) : "", period: periodInput(durationSeconds(rate?.period), "minute") },
    remainingUses: apiKey?.remainingUses === undefined ? "" : String(apiKey.remainingUses),
    refill: { amount: refill ? String(refill.amount) : "", period: periodInput(durationSeconds(refill?.period), "day") },
    metadata: entries.map(([key, value]) => metadataRow(key, value)),
  };
}

/**
 * A typed whole number, or undefined when empty. Other text the number inputs let through (which the
 * browser's own checks already flag) becomes NaN and the API refuses it by name.
 */
export function wholeNumber(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const value = Number(trimmed);
  // int32 on the wire: a larger number could not even be sent, so it is sent as the API's largest, which
  // the API refuses with its own range in words.
  return Number.isFinite(value) ? Math.min(Math.max(Math.trunc(value), -2_147_483_648), 2_147_483_647) : Number.NaN;
}

function periodDuration(period: PeriodInput): Duration {
  const seconds = (wholeNumber(period.count) ?? 0) * PERIOD_UNITS.find((u) => u.unit === period.unit)!.seconds;
  return { $typeName: "google.protobuf.Duration", seconds: BigInt(Number.isFinite(seconds) ? seconds : 0), nanos: 0 };
}

/** The rate limit typed, or undefined for none. */
export function rateLimitOf(input: LimitsInput): RateLimit | undefined {
  const requests = wholeNumber(input.rateLimit.amount);
  return requests === undefined ? undefined : create(RateLimitSchema, { requests, period: periodDuration(input.rateLimit.period) });
}

/** The refill typed, or undefined for none. */
export function refillOf(input: LimitsInput): UsageRefill | undefined {
  const amount = wholeNumber(input.refill.amount);
  return amount === undefined ? undefined : create(UsageRefillSchema, { amount, period: periodDuration(input.refill.period) });
}

/** The metadata typed: rows with a key or a value, in order (a row with only a value is the API's to refuse). */
export function metadataOf(input: LimitsInput): Record<string, string> {
  const map: Record<string, string> = {};
  for (const row of input.metadata) if (row.key.trim() !== "" || row.value !== "") map[row.key.trim()] = row.value;
  return map;
}

/** The ids of rows whose key an earlier row already has: a map cannot hold both, so the dialog says so. */
export function duplicateMetadataRows(rows: readonly MetadataRow[]): Set<number> {
  const seen = new Set<string>();
  const duplicates = new Set<number>();
  for (const row of rows) {
    const key = row.key.trim();
    if (key === "") continue;
    if (seen.has(key)) duplicates.add(row.id);
    seen.add(key);
  }
  return duplicates;
}

/** The create request's limit fields for what was typed. */
export function limitsFields(input: LimitsInput): {
  rateLimit: RateLimit | undefined;
  remainingUses: number | undefined;
  refill: UsageRefill | undefined;
  metadata: Record<string, string>;
} {
  return { rateLimit: rateLimitOf(input), remainingUses: wholeNumber(input.remainingUses), refill: refillOf(input), metadata: metadataOf(input) };
}

/** An amount per period as one comparable text ("100/60"), or "" for none. */
function perPeriodKey(value: RateLimit | UsageRefill | undefined): string {
  if (value === undefined) return "";
  return `${"requests" in value ? value.requests : value.amount}/${durationSeconds(value.period)}`;
}

function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && b[key] === a[key]);
}

/**
 * The update-mask paths of the limit fields an edit changed. The remaining uses count down while the
 * dialog is open, and setting them starts a new count, so they are sent only when the person changed
 * the number the dialog opened with (`initial`), not because calls used some meanwhile.
 */
export function changedLimitPaths(apiKey: ApiKey, initial: LimitsInput, input: LimitsInput): string[] {
  const paths: string[] = [];
  if (perPeriodKey(rateLimitOf(input)) !== perPeriodKey(apiKey.rateLimit)) paths.push("rate_limit");
  if (input.remainingUses.trim() !== initial.remainingUses.trim()) paths.push("remaining_uses");
  // A count set or cleared is sent with the refill as the dialog shows it: the API would otherwise keep
  // the stored refill with a new count, or drop it with a cleared one, unlike what the person sees.
  if (paths.includes("remaining_uses") || perPeriodKey(refillOf(input)) !== perPeriodKey(apiKey.refill)) paths.push("refill");
  if (!sameMap(metadataOf(input), apiKey.metadata)) paths.push("metadata");
  return paths;
}

const NUMBER = new Intl.NumberFormat("en-GB");

/** A count with thousands separators. */
export function countText(n: number): string {
  return NUMBER.format(n);
}

/** A period in words: "second", "10 minutes", "day" (after "per" or "every"). */
export function periodText(duration: Duration | undefined): string {
  const seconds = durationSeconds(duration);
  const { count, unit } = periodInput(seconds, "second");
  return count === "1" ? unit : `${count} ${unit}s`;
}

/** A rate limit in words: "100 calls per minute". */
export function rateLimitText(rate: RateLimit): string {
  return `${countText(rate.requests)} ${rate.requests === 1 ? "call" : "calls"} per ${periodText(rate.period)}`;
}

/** Remaining uses in words: "42 uses left", "no uses left". */
export function remainingUsesText(remaining: number): string {
  return remaining <= 0 ? "no uses left" : `${countText(remaining)} ${remaining === 1 ? "use" : "uses"} left`;
}

/** A refill in words: "refills to 1,000 every day". */
export function refillText(refill: UsageRefill): string {
  return `refills to ${countText(refill.amount)} every ${periodText(refill.period)}`;
}
