/**
 * Usage errors (exit 2) and the parsers of flag values the CLI checks before calling the API. Only what
 * cannot be sent as typed is checked here (dates, durations, numbers); the server judges the rest.
 */
import { durationFromMs, timestampFromMs, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { durationProblem, parseDuration } from "../durations.js";
import { PAGE_SIZE_MAX } from "../services/validation.js";

/** A bad command line: printed as `error: <message>` with a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const RFC_3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch of an RFC 3339 date-time (`2027-01-31T00:00:00Z`), or undefined. */
export function parseRfc3339(text: string): number | undefined {
  const match = RFC_3339.exec(text.trim());
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second] = match.map(Number) as number[];
  const ms = Date.parse(text.trim().replace(" ", "T").toUpperCase());
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 2027-02-30 over to March; a real calendar date round-trips.
  const calendar = new Date(Date.UTC(year!, month! - 1, day!, hour, minute, second));
  const valid =
    calendar.getUTCMonth() === month! - 1 && calendar.getUTCDate() === day && hour! < 24 && minute! < 60 && second! < 60;
  return valid ? ms : undefined;
}

/** What the expiry flags ask for: leave it (update only), remove it, or a time. */
export type ExpiryChoice = { kind: "unchanged" } | { kind: "never" } | { kind: "at"; expiresAt: Timestamp };

/**
 * `--expiry <RFC 3339>` (or `false` from `--no-expiry`) and `--expires-in <duration>`, at most one,
 * resolving to a time after `now`.
 */
export function resolveExpiry(flags: { expiry?: string | false; expiresIn?: string }, now: number): ExpiryChoice {
  const { expiry, expiresIn } = flags;
  if (expiry !== undefined && expiresIn !== undefined) {
    throw new UsageError(`--expires-in cannot be combined with ${expiry === false ? "--no-expiry" : "--expiry"}; give one of them`);
  }
  if (expiry === false) return { kind: "never" };
  if (expiry !== undefined) {
    const at = parseRfc3339(expiry);
    if (at === undefined) throw new UsageError(`--expiry \`${expiry}\` is not an RFC 3339 time; write e.g. 2027-01-31T00:00:00Z, or use --expires-in 90d`);
    if (at <= now) throw new UsageError(`--expiry \`${expiry}\` is in the past; it must be in the future`);
    return { kind: "at", expiresAt: timestampFromMs(at) };
  }
  if (expiresIn !== undefined) {
    const ms = parseDuration(expiresIn);
    if (ms === undefined) throw new UsageError(`--expires-in \`${expiresIn}\` ${durationProblem(expiresIn)}`);
    if (ms <= 0) throw new UsageError(`--expires-in \`${expiresIn}\` must be longer than 0; write e.g. 90d, 12h, 30m or 1h30m`);
    return { kind: "at", expiresAt: timestampFromMs(now + ms) };
  }
  return { kind: "unchanged" };
}

/** `--grace-period 1h` as a Duration; `0` is allowed (the old secret stops at once). */
export function parseGracePeriod(text: string, flag = "--grace-period"): Duration {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${flag} \`${text}\` ${durationProblem(text)}`);
  return durationFromMs(ms);
}

/** `--page-size`: a whole number from 1 to the server's maximum. */
export function parsePageSize(text: string): number {
  const size = /^\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!(size >= 1 && size <= PAGE_SIZE_MAX)) throw new UsageError(`--page-size \`${text}\` must be a whole number from 1 to ${PAGE_SIZE_MAX}`);
  return size;
}

/** A count and a period, as `--rate-limit 100/60s` and `--refill 1000/1d` give them. */
export interface CountPer {
  readonly count: number;
  readonly period: Duration;
}

/**
 * `<count>/<duration>` (`100/60s`, `1000/1d`; a bare unit means one of it: `5/s`). Only the shape is
 * checked here; the server judges the ranges and names the field.
 */
export function parseCountPer(flag: string, text: string): CountPer {
  const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(text);
  const example = flag === "--refill" ? "1000/1d" : "100/60s";
  if (!match) throw new UsageError(`${flag} \`${text}\` must be <count>/<duration>, e.g. ${example}`);
  const periodText = /^[a-z]+$/.test(match[2]!) ? `1${match[2]}` : match[2]!;
  const ms = parseDuration(periodText);
  if (ms === undefined) throw new UsageError(`${flag} \`${text}\`: the period ${durationProblem(match[2]!)}`);
  const count = Number(match[1]);
  if (!Number.isSafeInteger(count) || count > 2_147_483_647) throw new UsageError(`${flag} \`${text}\`: the count is too large`);
  return { count, period: durationFromMs(ms) };
}

/** `--remaining-uses`: a whole number (the server judges the range). */
export function parseUses(text: string): number {
  const uses = /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
  if (!(uses <= 2_147_483_647)) throw new UsageError(`--remaining-uses \`${text}\` must be a whole number, e.g. 1000`);
  return uses;
}

/** Repeated `--metadata key=value` as one map: each splits at its first `=`; a key given twice is a mistake. */
export function parseMetadata(given: readonly string[]): Record<string, string> {
  const metadata: Record<string, string> = {};
  for (const text of given) {
    const at = text.indexOf("=");
    if (at <= 0) throw new UsageError(`--metadata \`${text}\` must be key=value, e.g. plan=pro`);
    const key = text.slice(0, at);
    if (Object.hasOwn(metadata, key)) throw new UsageError(`--metadata key \`${key}\` is given twice`);
    metadata[key] = text.slice(at + 1);
  }
  return metadata;
}
