/**
 * The one strict decoder every door uses for its request bodies: gRPC (binary), Connect (JSON and
 * binary), gRPC-Web (binary, text and JSON) and REST (JSON, plus URL values that follow the same JSON
 * rules). Every door refuses the same inputs, before any credential is checked: unknown fields, enum
 * names or numbers the enum lacks, impossible timestamps and durations, a field given twice (under two
 * spellings, or twice under one), and requests past the field count and nesting limits, which are
 * checked by a linear scan before a message is built. Refusals are `VALIDATION_FAILED` naming each field
 * in proto path form, `REQUEST_TOO_COMPLEX`, `MALFORMED_JSON` or `MALFORMED_MESSAGE`, all
 * INVALID_ARGUMENT. The rules themselves are in decoding-rules.ts, json-scan.ts, json-decoding.ts and
 * binary-decoding.ts; the numbers in request-limits.ts.
 */
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { messageFromBinary } from "./binary-decoding.js";
import { messageFromJson, parseJson } from "./json-decoding.js";

/** How a request body is encoded. */
export type BodyFormat = "json" | "binary";

/** Decodes a whole request body as `schema` (an empty JSON body is the empty message). */
export function decodeRequest<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array, format: BodyFormat): MessageShape<Desc> {
  if (format === "binary") return messageFromBinary(schema, bytes);
  return messageFromJson(schema, parseJson(bytes, schema) ?? {}, "");
}
