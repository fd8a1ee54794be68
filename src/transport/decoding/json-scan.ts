/**
 * A linear pre-scan of a JSON request body, run before `JSON.parse` builds anything: it refuses a body
 * with more fields or deeper nesting than the request limits allow, and a field given twice in one
 * object, under the same key (`JSON.parse` would keep the last) or under its two spellings (`pageSize`
 * and `page_size`). It follows the request's schema as it goes, so a duplicate is named by its proto
 * path (`api_key.name`). It reads the UTF-8 bytes themselves (JSON's structure is ASCII, and no byte of
 * a multi-byte UTF-8 character is), so a refused body is not even decoded. Syntax errors and bad UTF-8
 * are left to the decoding and `JSON.parse` that follow; the scan only has to stay linear on any input.
 */
import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { RequestTooComplex, validationFailed, type FieldViolation } from "../../errors/errors.js";
import { MAX_REQUEST_DEPTH, MAX_REQUEST_FIELDS } from "../../request-limits.js";
import { fieldByJsonKey, joinPath } from "./decoding-rules.js";
import { isPlainMessage } from "./field-values.js";

/** One open object or array. */
interface Frame {
  /** Fields of the message this object holds, when known; undefined for arrays, maps and free JSON. */
  readonly schema: DescMessage | undefined;
  readonly isArray: boolean;
  /** The proto path of this value. */
  readonly path: string;
  /** Objects: the spelling each field or key was first given in, by proto name (or key). */
  readonly seen: Map<string, string> | undefined;
  /** Objects: the field of the member being read; arrays: the field whose list this is. */
  field: DescField | undefined;
  /** Objects: the proto path of the member being read. */
  memberPath: string;
  /** Arrays: the index of the next element. */
  index: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Scans `bytes`, the JSON of a `schema` message (undefined: any JSON) that sits at proto path `at`.
 * Throws `REQUEST_TOO_COMPLEX` past the field or depth limit, `VALIDATION_FAILED` for fields given twice.
 * Returns false when the body holds nothing but whitespace.
 */
export function scanJson(bytes: Uint8Array, schema: DescMessage | undefined, at = ""): boolean {
  const stack: Frame[] = [];
  const duplicates: FieldViolation[] = [];
  let fields = 0;
  let expectKey = false;
  let awaitingElement = false;
  let blank = true;
  const count = () => {
    if (++fields > MAX_REQUEST_FIELDS) {
      throw RequestTooComplex.create({ problem: `has more than ${MAX_REQUEST_FIELDS} fields and array items`, limit: String(MAX_REQUEST_FIELDS) });
    }
  };
  const open = (isArray: boolean) => {
    if (stack.length === MAX_REQUEST_DEPTH) {
      throw RequestTooComplex.create({ problem: `nests objects and arrays deeper than ${MAX_REQUEST_DEPTH} levels`, limit: String(MAX_REQUEST_DEPTH) });
    }
    const parent = stack[stack.length - 1];
    let frame: Frame;
    if (parent === undefined) {
      frame = newFrame(isArray ? undefined : schema, isArray, at, undefined);
    } else if (parent.isArray) {
      const element = parent.field?.fieldKind === "list" && parent.field.listKind === "message" ? parent.field.message : undefined;
      frame = newFrame(isArray ? undefined : plain(element), isArray, `${parent.path}[${parent.index - 1}]`, undefined);
    } else {
      const field = parent.field;
      const message = field?.fieldKind === "message" ? field.message : undefined;
      frame = newFrame(isArray ? undefined : plain(message), isArray, parent.memberPath, isArray ? field : undefined);
    }
    stack.push(frame);
  };

  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) continue;
    blank = false;
    const top = stack[stack.length - 1];
    if (awaitingElement && c !== 0x5d) {
      count();
      top!.index++;
      awaitingElement = false;
    }
    switch (c) {
      case 0x7b: // {
        open(false);
        expectKey = true;
        break;
      case 0x5b: // [
        open(true);
        awaitingElement = true;
        break;
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop();
        expectKey = false;
        awaitingElement = false;
        break;
      case 0x2c: // ,
        if (top?.isArray) awaitingElement = true;
        else if (top !== undefined) expectKey = true;
        break;
      case QUOTE: {
        const end = endOfString(bytes, i);
        if (expectKey && top !== undefined && !top.isArray) {
          count();
          readKey(top, keyText(bytes, i, end), duplicates);
          expectKey = false;
        }
        i = end;
        break;
      }
      default:
        break; // ':' and the characters of numbers and literals
    }
  }
  if (duplicates.length > 0) throw validationFailed(duplicates);
  return !blank;
}

function newFrame(schema: DescMessage | undefined, isArray: boolean, path: string, field: DescField | undefined): Frame {
  return { schema, isArray, path, seen: isArray ? undefined : new Map(), field, memberPath: path, index: 0 };
}

/** Only messages whose JSON is an object of their fields are followed; well-known types are leaves. */
function plain(message: DescMessage | undefined): DescMessage | undefined {
  return message !== undefined && isPlainMessage(message) ? message : undefined;
}

/** Records the key of a member of the object `frame`, noting a field given twice. */
function readKey(frame: Frame, key: string, duplicates: FieldViolation[]): void {
  const field = frame.schema === undefined ? undefined : fieldByJsonKey(frame.schema, key);
  const name = field?.name ?? key;
  frame.field = field;
  frame.memberPath = joinPath(frame.path, name);
  const first = frame.seen!.get(name);
  if (first === undefined) {
    frame.seen!.set(name, key);
    return;
  }
  const spellings = first === key ? `\`${key}\` twice` : `as \`${first}\` and \`${key}\``;
  duplicates.push({ field: frame.memberPath, description: `given more than once (${spellings}); give each field once` });
}

/** The index of the quote that ends the string starting at `start` (or the end of the bytes). */
function endOfString(bytes: Uint8Array, start: number): number {
  for (let i = start + 1; i < bytes.length; i++) {
    const c = bytes[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i;
  }
  return bytes.length;
}

const KEY_TEXT = new TextDecoder("utf-8");

/** The key between the quotes at `start` and `end`, its escapes resolved (`"\u0061"` is `a`). */
function keyText(bytes: Uint8Array, start: number, end: number): string {
  const quoted = KEY_TEXT.decode(bytes.subarray(start, end + 1));
  if (!quoted.includes("\\")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1); // malformed: JSON.parse of the whole body reports it
  }
}
