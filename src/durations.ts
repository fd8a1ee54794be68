/**
 * Human durations for flags and env: `500ms`, `45s`, `30m`, `12h`, `90d`, or combinations such as
 * `1h30m`. Leaf module: imports nothing from src/.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/gy;

/** The units a duration may use, for messages: `ms, s, m, h, d`. */
export const DURATION_UNITS = Object.keys(UNITS).join(", ");

/** Milliseconds of `text`, or undefined when it is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (trimmed === "0") return 0;
  PART.lastIndex = 0;
  let total = 0;
  let end = 0;
  for (let match = PART.exec(trimmed); match; match = PART.exec(trimmed)) {
    total += Number(match[1]) * UNITS[match[2]!]!;
    end = PART.lastIndex;
  }
  return end === trimmed.length && Number.isSafeInteger(total) ? total : undefined;
}

/**
 * Why `text` is not a duration, for an error message: a number with a unit Keyward does not know
 * (`1y`, `2w`, `10sec`) names the unit and lists the known ones, as that is what a person got wrong;
 * anything else gets the general shape.
 */
export function durationProblem(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "is empty; write a duration like 90d, 12h, 30m or 1h30m";
  const unknownUnit = /^(?:\d+(?:ms|s|m|h|d))*\d+([a-zA-Z]+)/.exec(trimmed)?.[1];
  if (unknownUnit !== undefined && !(unknownUnit in UNITS)) {
    return `has the unknown unit \`${unknownUnit}\`; the units are ${DURATION_UNITS} (e.g. 365d for a year)`;
  }
  if (/^\d+$/.test(trimmed)) return `has no unit; the units are ${DURATION_UNITS} (e.g. ${trimmed}s)`;
  return `is not a duration; write e.g. 90d, 12h, 30m or 1h30m (units: ${DURATION_UNITS})`;
}

/** `ms` as the duration text {@link parseDuration} reads back: `250ms`, `5s`, `8h`, `1m30s`; `0` for zero. */
export function formatDuration(ms: number): string {
  if (ms === 0) return "0";
  let left = ms;
  let text = "";
  for (const [unit, size] of Object.entries(UNITS).reverse()) {
    if (left >= size) {
      text += `${Math.floor(left / size)}${unit}`;
      left %= size;
    }
  }
  return text;
}
