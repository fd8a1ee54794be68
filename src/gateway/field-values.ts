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
 * The JSON form of a URL string for one element of `field` (call {@link isUrlSettable} first). Booleans
 * become `true`/`false`, enum numbers become numbers, field mask paths become lowerCamelCase (both
 * `expires_at` and `expiresAt` are accepted); everything else stays a string, which `fromJson` accepts
 * for numbers, bytes (base64) and the string-typed well-known types.
 */
export function urlValueToJson(field: DescField, value: string): JsonValue {
  const element = elementOf(field);
  if (element === undefined) return value;
  if ("enum" in element) return /^-?\d+$/.test(value) ? Number(value) : value;
  if ("message" in element) {
    const type = element.message.typeName;
    if (type === "google.protobuf.FieldMask") return fieldMaskJson(value);
    if (type === "google.protobuf.BoolValue") return booleanJson(value);
    return value;
  }
  return element.scalar === ScalarType.BOOL ? booleanJson(value) : value;
}

function booleanJson(value: string): JsonValue {
  return value === "true" ? true : value === "false" ? false : value;
}

/** `name, expires_at` → `name,expiresAt`: the JSON form of a FieldMask. */
function fieldMaskJson(value: string): string {
  return value
    .split(",")
    .map((path) => path.trim())
    .filter((path) => path !== "")
    .map((path) => path.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()))
    .join(",");
}

/** What `field` expects, for a violation: "must be <this>". */
export function expectedValue(field: DescField): string {
  if (field.fieldKind === "map") return "a JSON object";
  const element = elementOf(field)!;
  const one = describeElement(element);
  return field.fieldKind === "list" ? `a JSON array of ${one}` : one;
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
