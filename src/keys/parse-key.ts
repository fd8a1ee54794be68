import { crc32 } from "node:zlib";
import { decodeBase32Into } from "./base32.js";
import { ID_BYTES, ID_LENGTH, KEY_LENGTH, KEY_PREFIX, SECRET_BYTES, SECRET_LENGTH, SECRET_RANDOM_BYTES } from "./key-format.js";

/** Why a string is not a key. Stable names, safe to show: they never contain the input. */
export type KeyProblem = "empty" | "prefix" | "length" | "alphabet" | "checksum";

/** Human text for each problem, used in `CREDENTIALS_MALFORMED` messages. */
export const KEY_PROBLEM_TEXT: Readonly<Record<KeyProblem, string>> = {
  empty: "the API key is empty",
  prefix: "an API key starts with `NNSXS.`",
  length: `an API key is ${KEY_LENGTH} characters: NNSXS.<39-character id>.<52-character secret>`,
  alphabet: "an API key's id and secret use only A-Z and 2-7",
  checksum: "the API key's checksum does not match (mistyped or truncated key)",
};

/** A parsed key, or the reason the input is not one. */
export type ParsedKey = { ok: true; id: string; secret: string } | { ok: false; problem: KeyProblem };

const PREFIX_WITH_DOT = `${KEY_PREFIX}.`;
const ID_START = PREFIX_WITH_DOT.length;
const ID_END = ID_START + ID_LENGTH;
const SECRET_START = ID_END + 1;

/**
 * Parsing runs on every authenticated call, so it allocates nothing but its result: id and secret are
 * decoded straight into this one buffer, laid out as the checksum input followed by the checksum,
 *
 *     "NNSXS" (5) | id (24) | secret bytes 0..27 (28) | checksum (4)
 *
 * so one CRC-32 call covers it (the same value as `keyChecksum`, which chains three calls). Sharing the
 * buffer is safe: parseKey is synchronous and nothing else sees it.
 */
const SCRATCH = Buffer.alloc(KEY_PREFIX.length + ID_BYTES + SECRET_BYTES);
SCRATCH.write(KEY_PREFIX, 0, "ascii");
const CHECKSUM_OFFSET = KEY_PREFIX.length + ID_BYTES + SECRET_RANDOM_BYTES;
const CHECKSUM_INPUT = SCRATCH.subarray(0, CHECKSUM_OFFSET);

/**
 * Parses `NNSXS.<id>.<secret>`. Total: any string gives a key or a problem, never a throw. Checks, in
 * order: prefix, length and layout, alphabet (canonical base32), checksum. Needs no store.
 */
export function parseKey(input: string): ParsedKey {
  if (input.length === 0) return { ok: false, problem: "empty" };
  if (!input.startsWith(PREFIX_WITH_DOT)) return { ok: false, problem: "prefix" };
  if (input.length !== KEY_LENGTH || input.charCodeAt(ID_END) !== 0x2e /* . */) return { ok: false, problem: "length" };
  // A character outside A-Z2-7, or one that is in the alphabet but leaves non-zero trailing bits (not
  // canonical, so it cannot end a key), is an alphabet problem either way.
  const decoded =
    decodeBase32Into(input, ID_START, ID_LENGTH, SCRATCH, KEY_PREFIX.length) &&
    decodeBase32Into(input, SECRET_START, SECRET_LENGTH, SCRATCH, KEY_PREFIX.length + ID_BYTES);
  if (!decoded) return { ok: false, problem: "alphabet" };
  if (crc32(CHECKSUM_INPUT) >>> 0 !== SCRATCH.readUInt32BE(CHECKSUM_OFFSET)) return { ok: false, problem: "checksum" };
  return { ok: true, id: input.slice(ID_START, ID_END), secret: input.slice(SECRET_START) };
}
