/**
 * Path variables and query parameters into the request message. Both are strings in the URL and go
 * through `fromJson` in their JSON form (field-values.ts), so they obey the same rules as a JSON body.
 *
 * Query parameters name fields by JSON or proto name, dotted for nested messages (`pageSize`,
 * `page_size`), each field under one of them only; a repeated field takes one value per occurrence
 * (`?rights=A&rights=B`), a singular field exactly one. Unlike grpc-gateway, which silently ignores them, keys Keyward cannot honour are refused
 * with `VALIDATION_FAILED` naming the key: unknown keys, keys naming a field bound by the URL path (the
 * path always wins and cannot be overridden from the query) or carried by the body, and any key on a
 * `body: "*"` route, which takes every field from the body.
 */
import { create, type DescField, type DescMessage, type JsonObject, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import { RequestTooComplex, validationFailed, type FieldViolation } from "../../errors/errors.js";
import { MAX_QUERY_PARAMETERS } from "../../request-limits.js";
import { givenTwice } from "../../transport/decoding/decoding-rules.js";
import { FieldPathError, pathsOverlap, protoPath, resolveFieldPath } from "./field-paths.js";
import { expectedValue, fieldMaskPaths, isFieldMask, isPlainMessage, isUrlSettable, urlValueToJson } from "../../transport/decoding/field-values.js";
import type { RestRoute } from "./http-rules.js";
import { tryMergeJson } from "../../transport/decoding/json-decoding.js";

/** A query parameter a route accepts, for the OpenAPI document and for error messages. */
export interface QueryParameter {
  /** The JSON-name spelling, dotted: `pageSize`, `apiKey.name`. */
  readonly name: string;
  readonly fields: readonly DescField[];
}

/** How deep query parameters reach into nested messages (message types may be recursive). */
const MAX_DEPTH = 4;

/** The proto paths a route binds outside the query: its path variables and its body field. */
function boundPaths(route: RestRoute): string[] {
  const paths = route.pathFields.map(protoPath);
  if (route.body.kind === "field") paths.push(route.body.field.name);
  return paths;
}

/** Every query parameter `route` accepts: URL-settable fields bound neither by the path nor by the body. */
export function queryParametersOf(route: RestRoute): QueryParameter[] {
  if (route.body.kind === "all") return [];
  const bound = boundPaths(route);
  const found: QueryParameter[] = [];
  const visit = (message: DescMessage, prefix: readonly DescField[]) => {
    for (const field of message.fields) {
      const chain = [...prefix, field];
      const path = protoPath(chain);
      if (bound.some((b) => path === b || path.startsWith(`${b}.`))) continue;
      if (isUrlSettable(field)) {
        found.push({ name: chain.map((f) => f.jsonName).join("."), fields: chain });
      } else if (field.fieldKind === "message" && isPlainMessage(field.message) && chain.length < MAX_DEPTH) {
        visit(field.message, chain);
      }
    }
  };
  visit(route.method.input, []);
  return found;
}

/** Sets each path variable's field from its captured value; path values override the body's. */
export function applyPathVariables<Desc extends DescMessage>(route: RestRoute, schema: Desc, message: MessageShape<Desc>, captures: readonly string[]): void {
  const violations: FieldViolation[] = [];
  route.pathFields.forEach((fields, i) => {
    if (!mergeUrlValues(schema, message, fields, [captures[i]!])) {
      violations.push({ field: protoPath(fields), description: `must be ${expectedValue(fields[fields.length - 1]!)}` });
    }
  });
  if (violations.length > 0) throw validationFailed(violations);
}

/**
 * Throws `REQUEST_TOO_COMPLEX` for a query string with more than {@link MAX_QUERY_PARAMETERS} parameters,
 * counted on the raw text before anything is decoded or looked up.
 */
export function checkQuerySize(query: string): void {
  let parameters = 0;
  for (let at = 0; at <= query.length; ) {
    const end = query.indexOf("&", at);
    const next = end === -1 ? query.length : end;
    if (next > at && ++parameters > MAX_QUERY_PARAMETERS) {
      throw RequestTooComplex.create({ problem: `has more than ${MAX_QUERY_PARAMETERS} query parameters`, limit: String(MAX_QUERY_PARAMETERS) });
    }
    at = next + 1;
  }
}

/**
 * Sets fields from the query string; throws `VALIDATION_FAILED` listing every key it refuses. A field is
 * set under one key only: `?pageSize=1&page_size=2` is refused (it would be last-wins), and so is a
 * singular field given twice (`?pageSize=1&pageSize=2`).
 */
export function applyQuery<Desc extends DescMessage>(route: RestRoute, schema: Desc, message: MessageShape<Desc>, query: Iterable<readonly [string, string]>): void {
  const byKey = new Map<string, string[]>();
  for (const [key, value] of query) byKey.set(key, [...(byKey.get(key) ?? []), value]);
  // Violations in the order their keys came, whether found per key or per field.
  const found: Array<readonly [order: number, violation: FieldViolation]> = [];
  const byField = new Map<string, { readonly order: number; readonly fields: DescField[]; readonly keys: string[]; readonly values: string[] }>();
  let order = 0;
  for (const [key, values] of byKey) {
    order++;
    const fields = fieldsOfKey(route, schema, key);
    if (typeof fields === "string") {
      found.push([order, { field: key, description: fields }]);
      continue;
    }
    const path = protoPath(fields);
    const entry = byField.get(path) ?? { order, fields, keys: [], values: [] };
    entry.keys.push(key);
    entry.values.push(...values);
    byField.set(path, entry);
  }
  for (const [path, { order, fields, keys, values }] of byField) {
    const leaf = fields[fields.length - 1]!;
    if (keys.length > 1) {
      found.push([order, givenTwice(path, `as ${keys.map((k) => `\`${k}\``).join(" and ")}`)]);
    } else if (values.length > 1 && leaf.fieldKind !== "list") {
      found.push([order, { field: keys[0]!, description: "given more than once, but the field takes one value" }]);
    } else if (!mergeUrlValues(schema, message, fields, values)) {
      found.push([order, { field: keys[0]!, description: `must be ${expectedValue(leaf)}` }]);
    }
  }
  if (found.length > 0) throw validationFailed(found.sort((a, b) => a[0] - b[0]).map(([, violation]) => violation));
}

/** The fields `key` names, or why it is refused. */
function fieldsOfKey(route: RestRoute, schema: DescMessage, key: string): DescField[] | string {
  if (route.body.kind === "all") {
    return `unknown query parameter: ${route.httpMethod} ${route.template.source} takes every field from the JSON body`;
  }
  let fields: DescField[] | undefined;
  try {
    fields = resolveFieldPath(schema, key, "proto-or-json");
  } catch (error) {
    if (!(error instanceof FieldPathError)) throw error;
  }
  // Well-known types are set whole (`gracePeriod=3600s`), never through their inner fields.
  if (fields === undefined || fields.slice(0, -1).some((f) => !isPlainMessage(f.message!))) {
    const accepted = queryParametersOf(route).map((p) => p.name);
    return `unknown query parameter; ${accepted.length === 0 ? "this route takes none" : `this route takes ${accepted.join(", ")}`}`;
  }
  const path = protoPath(fields);
  const bound = route.pathFields.map(protoPath).find((p) => pathsOverlap(p, path));
  if (bound !== undefined) return `\`${bound}\` is set by the URL path and cannot be set from the query`;
  if (route.body.kind === "field" && pathsOverlap(route.body.field.name, path)) {
    return `\`${route.body.field.name}\` is set by the JSON body and cannot be set from the query`;
  }
  const leaf = fields[fields.length - 1]!;
  if (!isUrlSettable(leaf)) return "names a message, map or list of messages, which a query parameter cannot set";
  return fields;
}

/**
 * Sets the field at the end of `fields` from its URL values (one, unless the field is a list); false when
 * a value is not one of the field. A field mask is set to the paths as written (see `fieldMaskPaths`).
 */
function mergeUrlValues<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, fields: readonly DescField[], values: readonly string[]): boolean {
  const leaf = fields[fields.length - 1]!;
  if (isFieldMask(leaf) && leaf.fieldKind === "message" && fields.every((f) => f.oneof === undefined)) {
    let target = message as Record<string, unknown>;
    for (const field of fields.slice(0, -1)) target = (target[field.localName] ??= create(field.message!)) as Record<string, unknown>;
    target[leaf.localName] = create(FieldMaskSchema, { paths: fieldMaskPaths(values[0]!) });
    return true;
  }
  const json = values.map((value) => urlValueToJson(leaf, value));
  if (json.some((value) => value === undefined)) return false;
  return tryMergeJson(schema, message, nest(fields, leaf.fieldKind === "list" ? (json as JsonValue[]) : json[0]!));
}

/** `{a: {b: value}}` for the chain `a.b`, with JSON names. */
function nest(fields: readonly DescField[], value: JsonValue): JsonObject {
  let json: JsonValue = value;
  for (let i = fields.length - 1; i >= 0; i--) json = { [fields[i]!.jsonName]: json };
  return json as JsonObject;
}
