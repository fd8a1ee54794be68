/** How times are shown: in the reader's locale and time zone, with the ISO instant as a tooltip. */
import { timestampDate, type Timestamp } from "@bufbuild/protobuf/wkt";

const DATE_TIME = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

/** A timestamp for a table cell, or `fallback` when unset. */
export function formatTime(timestamp: Timestamp | undefined, fallback: string): { text: string; iso?: string } {
  if (timestamp === undefined) return { text: fallback };
  return formatDate(timestampDate(timestamp));
}

/** A date for a table cell. */
export function formatDate(date: Date): { text: string; iso: string } {
  return { text: DATE_TIME.format(date), iso: date.toISOString() };
}
