/**
 * Key expiry as people choose it: never (the default, as TrueNAS and The Things Stack do), a preset
 * number of days from now, or a date (the key works through the end of that day, local time).
 */
import { timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";

/** A choice in the expiry field. `keep` (edit only) leaves the expiry as it is. */
export type ExpiryChoice =
  | { readonly kind: "keep" }
  | { readonly kind: "never" }
  | { readonly kind: "days"; readonly days: number }
  | { readonly kind: "date"; readonly date: string };

/** The presets offered, in days. */
export const EXPIRY_PRESETS: readonly number[] = [7, 30, 90, 365];

const DAY_MS = 86_400_000;

/** The timestamp a choice means now; undefined for never; null for keep. */
export function expiryTimestamp(choice: ExpiryChoice, now = Date.now()): Timestamp | undefined | null {
  switch (choice.kind) {
    case "keep":
      return null;
    case "never":
      return undefined;
    case "days":
      return timestampFromDate(new Date(now + choice.days * DAY_MS));
    case "date": {
      const [year, month, day] = choice.date.split("-").map(Number);
      return timestampFromDate(new Date(year!, month! - 1, day!, 23, 59, 59));
    }
  }
}

/** The `min` of the date input: tomorrow, as `YYYY-MM-DD`. */
export function tomorrow(now = Date.now()): string {
  const date = new Date(now + DAY_MS);
  return `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
}
