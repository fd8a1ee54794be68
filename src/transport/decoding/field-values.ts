/**
 * What a field's value looks like in proto3 JSON, for two jobs: turning a path variable or query
 * parameter (always a string) into the JSON value protobuf-es' `fromJson` reads, so URL values follow
 * exactly the JSON rules (enums by name or number, RFC 3339 timestamps, `"3600s"` durations, 64-bit
 * integers as strings); and saying, in a violation, what a field expected.
 */
import { ScalarType, type DescEnum, type DescField, type DescMessage, type JsonValue } from "@bufbuild/protobuf";

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map((t) => `google.protobuf.${t}Value`),
);
/** Well-known types whose JSON form is a single string, number or boolean, so a URL value can carry them. */
const URL_MESSAGES = new Set(["google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", ...WRAPPERS]);

/** True for a message whose JSON is an object of its fields; the well-known types have JSON forms of their own. */
export function isPlainMessage(message: DescMessage): boolean {
  return !message.typeName.startsWith("google.protobuf.");
}

/** The element type of a field: the field itself, or what its list holds. */
type Element = { readonly scalar: ScalarType } | { readonly enum: DescEnum } | { readonly message: DescMessage };

function elementOf(field: DescField): Element | undefined {
  if (field.fieldKind === "map") return undefined;
  if (field.message) return { message: field.message };
  if (field.enum) return { enum: field.enum };
  return { scalar: field.scalar };
}

/** True when a path variable or query parameter can set `field`: a scalar, enum, or scalar-like WKT, or a list of those. */
export function isUrlSettable(field: DescField): boolean {
  const element = elementOf(field);
  return element !== undefined && (!("message" in element) || URL_MESSAGES.has(element.message.typeName));
}

/**
 * The JSON form of a URL string for one element of `field` (call {@link isUrlSettable} first), or
 * undefined when the string is not a value of the field. Booleans become `true`/`false`, enum numbers
 * become numbers; numbers must be written in decimal (`fromJson` would read `0x10` as 16), timestamps must
 * name a real calendar date and time (`Date.parse` would roll `2030-02-30` over into March); everything
 * else stays a string, which `fromJson` accepts for numbers, bytes (base64) and the string-typed
 * well-known types. Field masks are not JSON-converted at all: see {@link fieldMaskPaths}.
 */
export function urlValueToJson(field: DescField, value: string): JsonValue | undefined {
  const element = elementOf(field);
  if (element === undefined) return value;
  if ("enum" in element) return /^-?\d+$/.test(value) ? Number(value) : value;
  if ("message" in element) {
    const type = element.message.typeName;
    if (type === "google.protobuf.BoolValue") return booleanJson(value);
    if (type === "google.protobuf.Timestamp") return isCalendarTimestamp(value) ? value : undefined;
    const wrapped = WRAPPERS.has(type) ? element.message.fields[0] : undefined;
    return wrapped === undefined || isScalarText(wrapped.scalar!, value) ? value : undefined;
  }
  if (element.scalar === ScalarType.BOOL) return booleanJson(value);
  return isScalarText(element.scalar, value) ? value : undefined;
}

/** True for a `google.protobuf.FieldMask` field, which URLs set as the comma list the caller wrote. */
export function isFieldMask(field: DescField): boolean {
  return field.message?.typeName === "google.protobuf.FieldMask";
}

/**
 * A mask's paths exactly as written (`name, expires_at` → `["name", "expires_at"]`), so a service's
 * message about a bad path quotes the caller's spelling; services accept proto and JSON names. Going
 * through `fromJson` would rewrite them (`NAME` → `_n_a_m_e`). `""` gives no paths: an explicit empty mask.
 */
export function fieldMaskPaths(value: string): string[] {
  return value
    .split(",")
    .map((path) => path.trim())
    .filter((path) => path !== "");
}

function booleanJson(value: string): JsonValue {
  return value === "true" ? true : value === "false" ? false : value;
}

const DECIMAL_INTEGER = /^-?\d+$/;
const DECIMAL_NUMBER = /^-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Numbers in decimal only; other scalars (strings, bytes) as they are. */
function isScalarText(scalar: ScalarType, value: string): boolean {
  switch (scalar) {
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return DECIMAL_NUMBER.test(value) || value === "NaN" || value === "Infinity" || value === "-Infinity";
    case ScalarType.STRING:
    case ScalarType.BYTES:
    case ScalarType.BOOL:
      return true;
    default:
      return DECIMAL_INTEGER.test(value);
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-](\d{2}):(\d{2}))$/;

/**
 * True when `text` is an RFC 3339 timestamp naming a real date and time: month 1-12, a day that month
 * has (leap years included), hour 0-23, minute and second 0-59, offset up to 23:59. protobuf-es reads
 * timestamps with `Date.parse`, which silently rolls impossible dates over; Keyward validates instead of
 * normalising, so `2030-02-30T00:00:00Z` is refused rather than stored as 2030-03-02.
 */
export function isCalendarTimestamp(text: string): boolean {
  const m = RFC3339.exec(text);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[7] === undefined || (Number(m[7]) <= 23 && Number(m[8]) <= 59);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth && hour <= 23 && minute <= 59 && second <= 59 && offsetOk;
}

/** What `field` expects, for a violation: "must be <this>". */
export function expectedValue(field: DescField): string {
  if (field.fieldKind === "map") return "a JSON object";
  const element = elementOf(field)!;
  const one = describeElement(element);
  return field.fieldKind === "list" ? `a JSON array of ${one}` : one;
}

/** What one element of `field` expects (an item, for a list): "must be <this>". */
export function expectedElement(field: DescField): string {
  return field.fieldKind === "map" ? "a JSON object" : describeElement(elementOf(field)!);
}

function describeElement(element: Element): string {
  if ("enum" in element) return `one of ${element.enum.values.map((v) => v.name).join(", ")}`;
  if ("message" in element) return describeMessage(element.message);
  return SCALARS[element.scalar];
}

function describeMessage(message: DescMessage): string {
  switch (message.typeName) {
    case "google.protobuf.Timestamp":
      return 'an RFC 3339 timestamp such as "2030-01-31T12:00:00Z"';
    case "google.protobuf.Duration":
      return 'a duration in seconds with an "s" suffix, such as "3600s"';
    case "google.protobuf.FieldMask":
      return "a comma-separated list of field names";
    default: {
      const value = WRAPPERS.has(message.typeName) ? message.fields[0] : undefined;
      return value ? describeElement(elementOf(value)!) : `a JSON object (${message.typeName})`;
    }
  }
}

const SCALARS: Record<ScalarType, string> = {
  [ScalarType.DOUBLE]: "a number",
  [ScalarType.FLOAT]: "a number",
  [ScalarType.INT64]: "a 64-bit integer",
  [ScalarType.UINT64]: "an unsigned 64-bit integer",
  [ScalarType.INT32]: "a 32-bit integer",
  [ScalarType.FIXED64]: "an unsigned 64-bit integer",
  [ScalarType.FIXED32]: "an unsigned 32-bit integer",
  [ScalarType.BOOL]: "true or false",
  [ScalarType.STRING]: "a string",
  [ScalarType.BYTES]: "base64-encoded bytes",
  [ScalarType.UINT32]: "an unsigned 32-bit integer",
  [ScalarType.SFIXED32]: "a 32-bit integer",
  [ScalarType.SFIXED64]: "a 64-bit integer",
  [ScalarType.SINT32]: "a 32-bit integer",
  [ScalarType.SINT64]: "a 64-bit integer",
};
