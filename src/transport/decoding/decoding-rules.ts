/**
 * The rules the JSON and binary decoders share, so both forms of a request are refused for the same
 * reasons and in the same words: how fields are named in violations (proto paths such as
 * `api_key.rights[2]`), which enum numbers exist, and which timestamps and durations are possible.
 */
import type { DescEnum, DescField, DescMessage } from "@bufbuild/protobuf";
import { clipText, type FieldViolation } from "../../errors/errors.js";

/** `at.name`, or `name` at the top. */
export function joinPath(at: string, name: string): string {
  return at === "" ? name : `${at}.${name}`;
}

const byKey = new WeakMap<DescMessage, Map<string, DescField>>();

/** The field a JSON key names, by JSON name (`pageSize`) or proto name (`page_size`). */
export function fieldByJsonKey(schema: DescMessage, key: string): DescField | undefined {
  let fields = byKey.get(schema);
  if (fields === undefined) {
    fields = new Map();
    for (const field of schema.fields) {
      fields.set(field.name, field);
      fields.set(field.jsonName, field);
    }
    byKey.set(schema, fields);
  }
  return fields.get(key);
}

const byNumber = new WeakMap<DescMessage, Map<number, DescField>>();

/** The field with binary field number `no`. */
export function fieldByNumber(schema: DescMessage, no: number): DescField | undefined {
  let fields = byNumber.get(schema);
  if (fields === undefined) {
    fields = new Map(schema.fields.map((field) => [field.number, field]));
    byNumber.set(schema, fields);
  }
  return fields.get(no);
}

/** The violation for a field `schema` does not have; `name` is the client's key or field number, cut short. */
export function unknownField(at: string, name: string, schema: DescMessage): FieldViolation {
  return { field: joinPath(at, clipText(name, 64)), description: `unknown field of ${schema.typeName}` };
}

/** The violation for a field given twice: `how` says under which spellings or numbers. */
export function givenTwice(path: string, how: string): FieldViolation {
  return { field: path, description: `given more than once (${how}); give each field once` };
}

/** True when `value` is one of `enumeration`'s numbers (proto3 enums are open: decoders accept any). */
export function isEnumNumber(enumeration: DescEnum, value: number): boolean {
  return enumeration.values.some((v) => v.number === value);
}

/** What an enum field takes, for a violation. */
export function enumChoices(enumeration: DescEnum): string {
  return `one of ${enumeration.values.map((v) => v.name).join(", ")}`;
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z in Unix seconds: the range of `google.protobuf.Timestamp`. */
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n;
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n;
/** About 10,000 years either way: the range of `google.protobuf.Duration`. */
const MAX_DURATION_SECONDS = 315_576_000_000n;
const MAX_NANOS = 999_999_999;

export const TIMESTAMP = "google.protobuf.Timestamp";
export const DURATION = "google.protobuf.Duration";

/** Why a binary Timestamp is impossible, or undefined when it names a real instant. */
export function timestampProblem(seconds: bigint, nanos: number): string | undefined {
  if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) return "must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z";
  if (nanos < 0 || nanos > MAX_NANOS) return "must have nanos between 0 and 999999999";
  return undefined;
}

/** Why a binary Duration is impossible, or undefined. */
export function durationProblem(seconds: bigint, nanos: number): string | undefined {
  if (seconds < -MAX_DURATION_SECONDS || seconds > MAX_DURATION_SECONDS) return "must be within 315576000000 seconds either way";
  if (nanos < -MAX_NANOS || nanos > MAX_NANOS) return "must have nanos between -999999999 and 999999999";
  if ((seconds > 0n && nanos < 0) || (seconds < 0n && nanos > 0)) return "must have seconds and nanos of the same sign";
  return undefined;
}
