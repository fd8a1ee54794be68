import { decodeBase32, isBase32 } from "./base32.js";
import { keyChecksum } from "./checksum.js";
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

/**
 * Parses `NNSXS.<id>.<secret>`. Total: any string gives a key or a problem, never a throw. Checks, in
 * order: prefix, length and layout, alphabet (canonical base32), checksum. Needs no store.
 */
export function parseKey(input: string): ParsedKey {
  if (input.length === 0) return { ok: false, problem: "empty" };
  if (!input.startsWith(`${KEY_PREFIX}.`)) return { ok: false, problem: "prefix" };
  const idEnd = KEY_PREFIX.length + 1 + ID_LENGTH;
  if (input.length !== KEY_LENGTH || input[idEnd] !== ".") return { ok: false, problem: "length" };
  const id = input.slice(KEY_PREFIX.length + 1, idEnd);
  const secret = input.slice(idEnd + 1);
  if (!isBase32(id) || !isBase32(secret)) return { ok: false, problem: "alphabet" };
  const idBytes = decodeBase32(id, ID_BYTES);
  const secretBytes = decodeBase32(secret, SECRET_BYTES);
  // Non-canonical trailing bits: the character is in the alphabet but cannot end a key.
  if (!idBytes || !secretBytes) return { ok: false, problem: "alphabet" };
  const expected = keyChecksum(idBytes, secretBytes.subarray(0, SECRET_RANDOM_BYTES));
  const actual = Buffer.from(secretBytes.buffer, secretBytes.byteOffset, SECRET_BYTES).readUInt32BE(SECRET_RANDOM_BYTES);
  if (expected !== actual) return { ok: false, problem: "checksum" };
  return { ok: true, id, secret };
}
