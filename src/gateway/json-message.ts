/**
 * Proto3 JSON into a message, strictly: unknown fields are refused (a typo such as `"nmae"` must not be
 * silently dropped), both JSON (`userId`) and proto (`user_id`) names are accepted, enums by name or
 * number. protobuf-es' `fromJson` does the decoding; when it refuses, the JSON is walked again to name
 * every bad field in proto path form (`api_key.expires_at`) with what it expected, reported at once as
 * `VALIDATION_FAILED` like any other bad input. Timestamps must also name a real calendar date, which
 * `fromJson` does not check (it lets `Date.parse` roll `2030-02-30` over into March).
 */
import { fromJson, mergeFromJson, type DescMessage, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { validationFailed, type FieldViolation } from "../errors.js";
import { expectedValue, isCalendarTimestamp, isPlainMessage } from "./field-values.js";

/** Decodes `json` as `schema`; `at` is the proto path the JSON sits at ("" for the whole request). */
export function messageFromJson<Desc extends DescMessage>(schema: Desc, json: JsonValue, at: string): MessageShape<Desc> {
  let message: MessageShape<Desc>;
  try {
    message = fromJson(schema, json);
  } catch (error) {
    throw validationFailed(explain(schema, json, at, error));
  }
  const impossible: FieldViolation[] = [];
  findImpossibleTimestamps(schema, json, at, impossible);
  if (impossible.length > 0) throw validationFailed(impossible);
  return message;
}

const TIMESTAMP = "google.protobuf.Timestamp";

/** Every Timestamp in `json` (decoded already, so well-formed) that names no real date or time. */
function findImpossibleTimestamps(schema: DescMessage, json: JsonValue, at: string, violations: FieldViolation[]): void {
  if (!isObject(json)) return;
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    if (!field?.message || value === null) continue;
    const path = join(at, field.name);
    const items = field.fieldKind === "list" && Array.isArray(value) ? value.map((item, i) => [item, `${path}[${i}]`] as const) : [[value, path] as const];
    for (const [item, itemPath] of items) {
      if (field.message.typeName === TIMESTAMP) {
        if (typeof item === "string" && !isCalendarTimestamp(item)) violations.push({ field: itemPath, description: `must be ${expectedValue(field)} naming a real date and time` });
      } else if (isPlainMessage(field.message)) {
        findImpossibleTimestamps(field.message, item, itemPath, violations);
      }
    }
  }
}

/** Merges `json` (an object of fields) into `message`; false when `fromJson` refuses it (the message is then unchanged or partly merged). */
export function tryMergeJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, json: JsonObject): boolean {
  try {
    mergeFromJson(schema, message, json);
    return true;
  } catch {
    return false;
  }
}

function explain(schema: DescMessage, json: JsonValue, at: string, error: unknown): FieldViolation[] {
  const violations: FieldViolation[] = [];
  walk(schema, json, at, violations);
  if (violations.length === 0) {
    // fromJson refused something the walk did not pin down; its message names the type and the value.
    violations.push({ field: at || "body", description: (error as Error).message });
  }
  return violations;
}

const isObject = (value: JsonValue): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);
const join = (at: string, name: string) => (at === "" ? name : `${at}.${name}`);

function walk(schema: DescMessage, json: JsonValue, at: string, violations: FieldViolation[]): void {
  if (!isObject(json)) {
    violations.push({ field: at || "body", description: `must be a JSON object (${schema.typeName})` });
    return;
  }
  for (const [key, value] of Object.entries(json)) {
    const field = schema.fields.find((f) => f.jsonName === key || f.name === key);
    if (!field) {
      violations.push({ field: join(at, key), description: `unknown field of ${schema.typeName}` });
      continue;
    }
    const path = join(at, field.name);
    if (value === null) continue; // null is the field's default
    if (field.fieldKind === "message" && isPlainMessage(field.message) && isObject(value)) {
      walk(field.message, value, path, violations);
    } else if (field.fieldKind === "list" && field.listKind === "message" && isPlainMessage(field.message) && Array.isArray(value)) {
      value.forEach((item, i) => walk(field.message, item, `${path}[${i}]`, violations));
    } else {
      try {
        fromJson(schema, { [key]: value });
      } catch {
        violations.push({ field: path, description: `must be ${expectedValue(field)}` });
      }
    }
  }
}
