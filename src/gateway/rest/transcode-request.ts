/**
 * An HTTP request into the method's request message, in grpc-gateway's and vanguard-go's order: the
 * JSON body (`body: "*"` into the whole message, `body: "field"` into that field), then the path
 * variables (which override the body), then the query parameters (fields outside path and body only,
 * see url-fields.ts), then, for PATCH, the inferred update mask.
 *
 * Update mask inference (grpc-gateway's `allow_patch_feature`): a PATCH whose body is a message field
 * and whose request has a `google.protobuf.FieldMask update_mask`, sent with no `update_mask` query
 * parameter at all, gets the mask of the body's top-level keys, in proto names. Keys bound by the URL path
 * (`user_id` under `PATCH /api/v1/users/{user.user_id}`) are left out: they name the resource, not a
 * change, and the path overrides them anyway. So `PATCH /api/v1/users/alice {"name":"Alice"}` changes
 * only the name; the service still refuses read-only keys such as `createdAt` by name.
 */
import { create, type DescField, type DescMessage, type JsonValue, type MessageShape } from "@bufbuild/protobuf";
import { FieldMaskSchema } from "@bufbuild/protobuf/wkt";
import type { RestRoute } from "./http-rules.js";
import { messageFromJson } from "../../transport/decoding/json-decoding.js";
import { applyPathVariables, applyQuery } from "./url-fields.js";

/** The parts of an HTTP request that carry the message. */
export interface RequestParts {
  /** The decoded value of each path variable, in template order. */
  readonly captures: readonly string[];
  /** The query parameters, in order (a `URLSearchParams`, or none); only read. */
  readonly query: Iterable<readonly [string, string]>;
  /** The parsed JSON body; undefined when there is none (a route with a body then gets an empty message). */
  readonly body: JsonValue | undefined;
}

/** Builds the request message. Throws `VALIDATION_FAILED` naming every bad field or query key. */
export function transcodeRequest(route: RestRoute, parts: RequestParts): MessageShape<DescMessage> {
  const schema = route.method.input;
  const body = route.body;
  let message: MessageShape<DescMessage>;
  if (body.kind === "all") message = messageFromJson(schema, parts.body ?? {}, "");
  else if (body.kind === "field" && parts.body !== undefined) message = messageFromJson(schema, { [body.field.name]: parts.body }, "");
  else message = create(schema);
  applyPathVariables(route, schema, message, parts.captures);
  applyQuery(route, schema, message, parts.query);
  const maskField = updateMaskFieldOf(route);
  if (maskField && body.kind === "field" && isJsonObject(parts.body)) {
    // Only an absent mask is inferred: an explicit empty `?update_mask=` reaches the service, which refuses it.
    if ((message as Record<string, unknown>)[maskField.localName] === undefined) {
      (message as Record<string, unknown>)[maskField.localName] = create(FieldMaskSchema, { paths: inferredPaths(route, body.field, parts.body) });
    }
  }
  return message;
}

/** The `update_mask` FieldMask field a PATCH route with a message body field infers, if any. */
export function updateMaskFieldOf(route: RestRoute): DescField | undefined {
  if (route.httpMethod !== "PATCH" || route.body.kind !== "field" || route.body.field.fieldKind !== "message") return undefined;
  return route.method.input.fields.find((f) => f.name === "update_mask" && f.message?.typeName === FieldMaskSchema.typeName);
}

function inferredPaths(route: RestRoute, bodyField: DescField, json: Record<string, JsonValue>): string[] {
  const target = bodyField.message!;
  const boundInBody = new Set(
    route.pathFields.filter((fields) => fields[0] === bodyField && fields.length === 2).map((fields) => fields[1]!.name),
  );
  const paths = new Set<string>();
  for (const key of Object.keys(json)) {
    const field = target.fields.find((f) => f.jsonName === key || f.name === key);
    // Unknown keys cannot be here: the body was decoded strictly before.
    if (field && !boundInBody.has(field.name)) paths.add(field.name);
  }
  return [...paths];
}

function isJsonObject(value: JsonValue | undefined): value is Record<string, JsonValue> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
