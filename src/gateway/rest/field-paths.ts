/**
 * Dotted field paths (`api_key.user_id`) resolved against a message descriptor, as path variables, query
 * parameters and `body`/`response_body` name fields. Every element before the last must be a singular
 * message field (google/api/http.proto: no repeated or map fields on the way).
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";

/** Which spellings a path element may use: proto names only (templates), or JSON names too (query keys). */
export type FieldNames = "proto" | "proto-or-json";

/** A path that names no field, or passes through a repeated or non-message field. */
export class FieldPathError extends Error {
  override readonly name = "FieldPathError";
}

/** Resolves `path` to its chain of fields; throws {@link FieldPathError} with the reason. */
export function resolveFieldPath(message: DescMessage, path: string, names: FieldNames): DescField[] {
  const chain: DescField[] = [];
  let current: DescMessage = message;
  const elements = path.split(".");
  elements.forEach((element, i) => {
    const field = current.fields.find((f) => f.name === element || (names === "proto-or-json" && f.jsonName === element));
    if (!field) throw new FieldPathError(`\`${element}\` is not a field of ${current.typeName}`);
    chain.push(field);
    if (i < elements.length - 1) {
      if (field.fieldKind !== "message") throw new FieldPathError(`\`${field.name}\` is not a singular message field, so \`${path}\` cannot go through it`);
      current = field.message;
    }
  });
  return chain;
}

/** The proto-name form of a resolved chain, e.g. `api_key.user_id`. */
export function protoPath(chain: readonly DescField[]): string {
  return chain.map((f) => f.name).join(".");
}

/** True when `a` and `b` name the same field or one lies inside the other (`api_key` and `api_key.id`). */
export function pathsOverlap(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}
