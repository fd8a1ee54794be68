/**
 * Proto3 JSON into a message, strictly, for every door that takes JSON (REST, Connect JSON, gRPC-Web
 * JSON). The bytes must be UTF-8 JSON that passes the pre-scan (json-scan.ts: field count, depth, no field
 * given twice) before `JSON.parse` runs. Then: unknown fields are refused (a typo such as `"allowedIPs"`
 * must not be silently dropped), both JSON (`userId`) and proto (`user_id`) names are accepted, enums by
 * name or by a number the enum has, timestamps only when they name a real calendar date (protobuf-es
 * lets `Date.parse` roll `2030-02-30` over into March). protobuf-es' `fromJson` does the decoding; when it
 * refuses, or a value is one it lets through, the JSON is walked to name every bad field in proto path
 * form (`api_key.expires_at`) with what it expected, reported at once as `VALIDATION_FAILED`.
 */
import {
  fromJson,
  mergeFromJson,
  ScalarType,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type MessageShape,
} from "@bufbuild/protobuf";
import { MalformedJson, validationFailed, type FieldViolation } from "../../errors/errors.js";
import { enumChoices, fieldByJsonKey, givenTwice, isEnumNumber, joinPath, TIMESTAMP, unknownField } from "./decoding-rules.js";
import { expectedElement, expectedValue, isCalendarTimestamp, isPlainMessage } from "./field-values.js";
import { scanJson } from "./json-scan.js";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The JSON of a request body, after the pre-scan; undefined when the body is empty or blank. `schema` is
 * the message the JSON holds (undefined: not a message) and `at` its proto path, to name duplicates.
 * Throws `MALFORMED_JSON`, `REQUEST_TOO_COMPLEX` or `VALIDATION_FAILED`.
 */
export function parseJson(bytes: Uint8Array, schema: DescMessage | undefined, at = ""): JsonValue | undefined {
  if (!scanJson(bytes, schema, at)) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw MalformedJson.create({ problem: "the body is not UTF-8" });
  }
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw MalformedJson.create({ problem: (error as Error).message.slice(0, 200) });
  }
}

/** Decodes `json` as `schema`; `at` is the proto path the JSON sits at ("" for the whole request). */
export function messageFromJson<Desc extends DescMessage>(schema: Desc, json: JsonValue, at: string): MessageShape<Desc> {
  const violations: FieldViolation[] = [];
  let message: MessageShape<Desc> | undefined;
  try {
    message = fromJson(schema, json);
  } catch (error) {
    walk(schema, json, at, violations, true);
    // fromJson refused something the walk did not pin down; its message names the type and the value.
    if (violations.length === 0) violations.push({ field: at || "body", description: (error as Error).message });
    throw validationFailed(violations);
  }
  walk(schema, json, at, violations, false);
  if (violations.length > 0) throw validationFailed(violations);
  return message;
}

/** Merges `json` (an object of fields) into `message`; false when it is not a value of those fields. */
export function tryMergeJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, json: JsonObject): boolean {
  const violations: FieldViolation[] = [];
  walk(schema, json, "", violations, false);
  if (violations.length > 0) return false;
  try {
    mergeFromJson(schema, message, json);
    return true;
  } catch {
    return false;
  }
}

const isObject = (value: JsonValue): value is JsonObject => typeof value === "object" && value !== null && !Array.isArray(value);

/**
 * Every bad field of `json`: unknown keys, two members of one oneof, values `fromJson` lets through
 * (enum numbers the enum lacks, impossible dates) and, with `decodeLeaves`, values it refuses.
 */
function walk(schema: DescMessage, json: JsonValue, at: string, violations: FieldViolation[], decodeLeaves: boolean): void {
  if (!isObject(json)) {
    violations.push({ field: at || "body", description: `must be a JSON object (${schema.typeName})` });
    return;
  }
  const oneofs = new Map<string, string>();
  for (const [key, value] of Object.entries(json)) {
    const field = fieldByJsonKey(schema, key);
    if (!field) {
      violations.push(unknownField(at, key, schema));
      continue;
    }
    const path = joinPath(at, field.name);
    if (value === null) continue; // null is the field's default
    if (field.oneof !== undefined) {
      const other = oneofs.get(field.oneof.name);
      if (other !== undefined) violations.push(givenTwice(path, `\`${other}\` and \`${key}\` are both members of oneof ${field.oneof.name}`));
      oneofs.set(field.oneof.name, key);
    }
    if (field.fieldKind === "message" && isPlainMessage(field.message) && isObject(value)) {
      walk(field.message, value, path, violations, decodeLeaves);
    } else if (field.fieldKind === "list" && field.listKind === "message" && isPlainMessage(field.message) && Array.isArray(value)) {
      value.forEach((item, i) => walk(field.message, item, `${path}[${i}]`, violations, decodeLeaves));
    } else if (decodeLeaves && !decodes(schema, key, value)) {
      violations.push(...leafViolations(schema, key, field, value, path));
    } else {
      checkLeaf(field, value, path, violations);
    }
  }
}

function decodes(schema: DescMessage, key: string, value: JsonValue): boolean {
  try {
    fromJson(schema, { [key]: value });
    return true;
  } catch {
    return false;
  }
}

/** Why `fromJson` refuses a leaf: each bad item of a list by index, else the field as a whole. */
function leafViolations(schema: DescMessage, key: string, field: DescField, value: JsonValue, path: string): FieldViolation[] {
  if (field.fieldKind === "list" && Array.isArray(value)) {
    const bad = value.flatMap((item, i) => (isItemOf(field, item) ?? decodes(schema, key, [item]) ? [] : [i]));
    if (bad.length > 0) return bad.map((i) => ({ field: `${path}[${i}]`, description: `must be ${expectedElement(field)}` }));
  }
  return [{ field: path, description: `must be ${expectedValue(field)}` }];
}

/**
 * Whether `item` is a JSON value of one element of `field`, for strings, booleans and enums (the lists
 * Keyward's requests have), decided without `fromJson`, whose refusals cost tens of microseconds each:
 * a list of a thousand bad items must not cost an unauthenticated client that many. Undefined for
 * other types, which `fromJson` then decides.
 */
function isItemOf(field: DescField, item: JsonValue): boolean | undefined {
  if (field.enum !== undefined) {
    return (typeof item === "string" && field.enum.values.some((v) => v.name === item)) || (typeof item === "number" && Number.isInteger(item));
  }
  if (field.scalar === ScalarType.STRING) return typeof item === "string";
  if (field.scalar === ScalarType.BOOL) return typeof item === "boolean";
  return undefined;
}

/** A leaf value `fromJson` accepts but Keyward does not: an enum number the enum lacks, an impossible date. */
function checkLeaf(field: DescField, value: JsonValue, path: string, violations: FieldViolation[]): void {
  const items = field.fieldKind === "list" && Array.isArray(value) ? value.map((item, i) => [item, `${path}[${i}]`] as const) : [[value, path] as const];
  for (const [item, itemPath] of items) {
    if (field.enum !== undefined && typeof item === "number" && !isEnumNumber(field.enum, item)) {
      violations.push({ field: itemPath, description: `must be ${enumChoices(field.enum)} (${item} is no value of ${field.enum.typeName})` });
    } else if (field.message?.typeName === TIMESTAMP && typeof item === "string" && !isCalendarTimestamp(item)) {
      violations.push({ field: itemPath, description: `must be ${expectedElement(field)} naming a real date and time` });
    }
  }
}
