/** A timestamp in a `<time>` element, or a fallback word. */
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { formatTime } from "../format.js";

/** Shows `value`, or `fallback` when unset. */
export function TimeText({ value, fallback }: { readonly value: Timestamp | undefined; readonly fallback: string }) {
  const { text, iso } = formatTime(value, fallback);
  return iso === undefined ? <span className="muted">{text}</span> : <time dateTime={iso} title={iso}>{text}</time>;
}
