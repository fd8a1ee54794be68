/**
 * REST as an HTTP client sees it, built from a method's `google.api.http` rule rather than a hand-written
 * URL, so a test can call any RPC over REST: path variables filled from the request, the body the rule
 * names, every other set field in the query string. The answer is the same normalised {@link Outcome} the
 * other doors give.
 */
import { create, getOption, toJson, type DescField, type DescMessage, type DescMethod, type JsonObject, type JsonValue, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { http } from "../../../gen/google/api/annotations_pb.js";
import type { Outcome } from "./doors.js";

/** What a request becomes over REST. */
export interface RestRequest {
  readonly method: string;
  /** Path and query, e.g. `/api/v1/users/alice?update_mask=name`. */
  readonly url: string;
  readonly body: string | undefined;
}

/** The HTTP request the method's rule makes of `init`. */
export function restRequestOf<I extends DescMessage>(method: DescMethod, init: MessageInitShape<I>): RestRequest {
  const rule = getOption(method, http);
  if (rule.pattern.case === undefined || rule.pattern.case === "custom") throw new Error(`${method.name}: no simple google.api.http pattern`);
  const schema = method.input;
  const message = create(schema, init as MessageInitShape<DescMessage>);
  const json = toJson(schema, message) as JsonObject;
  const bound = new Set<string>();
  const path = rule.pattern.value.replace(/\{([^}=]+)(?:=[^}]*)?\}/g, (_, fieldPath: string) => {
    bound.add(fieldPath.split(".")[0]!);
    return encodeURIComponent(String(valueAt(schema, message as unknown as Record<string, unknown>, fieldPath)));
  });
  let body: JsonValue | undefined;
  const rest: JsonObject = {};
  for (const field of schema.fields) {
    const value = json[field.jsonName];
    if (value === undefined) continue;
    if (rule.body === "*") continue;
    if (rule.body === field.name) body = value;
    else if (!bound.has(field.name)) rest[field.jsonName] = value;
  }
  if (rule.body === "*") body = json;
  const query = new URLSearchParams();
  flatten(rest, "", query);
  const search = query.toString();
  return { method: rule.pattern.case.toUpperCase(), url: search === "" ? path : `${path}?${search}`, body: body === undefined ? undefined : JSON.stringify(body) };
}

/** Calls `method` over REST at `baseUrl` with `key` as a Bearer token. */
export async function callRest<I extends DescMessage>(baseUrl: string, method: DescMethod, init: MessageInitShape<I>, key?: string): Promise<Outcome> {
  const request = restRequestOf(method, init);
  const headers: Record<string, string> = { accept: "application/json" };
  if (key !== undefined) headers["authorization"] = `Bearer ${key}`;
  if (request.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(new URL(request.url, baseUrl), { method: request.method, headers, body: request.body });
  const text = await response.text();
  const parsed = text === "" ? {} : (JSON.parse(text) as JsonObject);
  if (response.ok) return { ok: true, message: parsed as never };
  const code = Number(parsed["code"] ?? Code.Unknown) as Code;
  const details = (parsed["details"] as JsonObject[] | undefined) ?? [];
  const info = details.find((d) => String(d["@type"]).endsWith("google.rpc.ErrorInfo"));
  return {
    ok: false,
    code,
    codeName: Code[code],
    reason: String(info?.["reason"] ?? ""),
    message: String(parsed["message"] ?? ""),
    metadata: (info?.["metadata"] as Record<string, string> | undefined) ?? {},
  };
}

/** The value at a dotted proto path of `message` (singular fields only, as path variables are). */
function valueAt(schema: DescMessage, message: Record<string, unknown>, fieldPath: string): unknown {
  let value: unknown = message;
  let current: DescMessage | undefined = schema;
  for (const name of fieldPath.split(".")) {
    const field: DescField | undefined = current?.fields.find((f) => f.name === name);
    if (!field) throw new Error(`${schema.typeName}: no field ${fieldPath}`);
    value = (value as Record<string, unknown> | undefined)?.[field.localName];
    current = field.message;
  }
  return value ?? "";
}

/** Query parameters for JSON: nested objects as dotted names, arrays as repeated keys. */
function flatten(json: JsonObject, prefix: string, into: URLSearchParams): void {
  for (const [name, value] of Object.entries(json)) {
    const key = prefix === "" ? name : `${prefix}.${name}`;
    if (Array.isArray(value)) for (const item of value) into.append(key, String(item));
    else if (typeof value === "object" && value !== null) flatten(value, key, into);
    else into.append(key, String(value));
  }
}
