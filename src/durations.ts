/**
 * Human durations for flags and env: `500ms`, `45s`, `30m`, `12h`, `90d`, or combinations such as
 * `1h30m`. Leaf module: imports nothing from src/.
 */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+)(ms|s|m|h|d)/gy;

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
