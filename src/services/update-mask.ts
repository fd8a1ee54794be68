/**
 * `update_mask` validation (ARCHITECTURE.md, "The API"): unknown or read-only paths are `INVALID_ARGUMENT`, never silently
 * ignored. What is writable is read from the message's `google.api.field_behavior` annotations: a field
 * marked OUTPUT_ONLY or IMMUTABLE cannot be updated, nor can one marked INPUT_ONLY (`User.password`: it has
 * an RPC of its own, which checks the current password).
 */
import { getOption, hasOption, type DescMessage } from "@bufbuild/protobuf";
import type { FieldMask } from "@bufbuild/protobuf/wkt";
import { field_behavior, FieldBehavior } from "../../gen/google/api/field_behavior_pb.js";
import type { Violations } from "./validation.js";

const cache = new WeakMap<DescMessage, { writable: ReadonlySet<string>; readOnly: ReadonlySet<string> }>();

function pathsOf(message: DescMessage) {
  let paths = cache.get(message);
  if (!paths) {
    const readOnly = new Set<string>();
    const writable = new Set<string>();
    for (const field of message.fields) {
      const behaviors = hasOption(field, field_behavior) ? getOption(field, field_behavior) : [];
      const fixed = [FieldBehavior.OUTPUT_ONLY, FieldBehavior.IMMUTABLE, FieldBehavior.INPUT_ONLY].some((b) => behaviors.includes(b));
      (fixed ? readOnly : writable).add(field.name);
    }
    paths = { writable, readOnly };
    cache.set(message, paths);
  }
  return paths;
}

/**
 * Checks `mask` against the writable fields of `message` and returns its paths without repeats. Paths
 * may use proto names (`expires_at`) or JSON names (`expiresAt`); both come back as proto names. A bad
 * path is quoted as the caller wrote it.
 */
export function checkUpdateMask(v: Violations, mask: FieldMask | undefined, message: DescMessage): string[] {
  const { writable, readOnly } = pathsOf(message);
  const list = [...writable].join(", ");
  const given = mask?.paths ?? [];
  if (given.length === 0) {
    // An explicit empty mask is refused too: it must never fall back to "every field in the body".
    v.add("update_mask", mask === undefined ? `required: name the fields to change (${list})` : `is empty: name at least one field to change (${list})`);
    return [];
  }
  const paths = new Set<string>();
  for (const raw of given) {
    const path = message.fields.find((f) => f.jsonName === raw)?.name ?? raw;
    if (readOnly.has(path)) v.add("update_mask", `\`${raw}\` cannot be changed; writable: ${list}`);
    else if (!writable.has(path)) v.add("update_mask", `unknown field \`${raw}\`; writable: ${list}`);
    else paths.add(path);
  }
  return [...paths];
}
