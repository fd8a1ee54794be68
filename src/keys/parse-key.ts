import { ALPHABET } from "./base32.js";
import {
  ID_BYTES,
  ID_LENGTH,
  KEY_LENGTH,
  KEY_PREFIX,
  SECRET_LENGTH,
  SECRET_RANDOM_BYTES,
  SESSION_PREFIX,
  TOKEN_PREFIXES,
  type TokenKind,
} from "./key-format.js";

/** Why a string is not a key. Stable names, safe to show: they never contain the input. */
export type KeyProblem = "empty" | "prefix" | "length" | "alphabet" | "checksum";

/** Human text for each problem, used in `CREDENTIALS_MALFORMED` messages. */
export const KEY_PROBLEM_TEXT: Readonly<Record<KeyProblem, string>> = {
  empty: "the API key is empty",
  prefix: "an API key starts with `NNSXS.`",
  length: `an API key is ${KEY_LENGTH} characters: NNSXS.<39-character id>.<52-character secret>`,
  alphabet: "an API key's id and secret use only A-Z and 2-7",
  checksum: "the API key's checksum does not match: likely a typo or a truncated copy",
};

/** Human text for each problem of a credential that may be an API key or a session token. */
export const TOKEN_PROBLEM_TEXT: Readonly<Record<KeyProblem, string>> = {
  ...KEY_PROBLEM_TEXT,
  prefix: "a credential is an API key (`NNSXS.`) or a session token (`ONSXG.`)",
};

/** A parsed key, or the reason the input is not one. */
export type ParsedKey = { ok: true; id: string; secret: string } | { ok: false; problem: KeyProblem };

/** A parsed API key or session token, or the reason the input is neither. */
export type ParsedToken = { ok: true; kind: TokenKind; id: string; secret: string } | { ok: false; problem: KeyProblem };

const ID_START = KEY_PREFIX.length + 1;
const ID_END = ID_START + ID_LENGTH;
const SECRET_START = ID_END + 1;
const SECRET_END = SECRET_START + SECRET_LENGTH;
/** Decoded bytes the checksum covers (id, then the secret's random part); the 4 after them are the checksum. */
const CHECKED_BYTES = ID_BYTES + SECRET_RANDOM_BYTES;

/**
 * Base32 value of each ASCII code; `INVALID` (bits above the 5 value bits) for codes outside `A-Z2-7`, so
 * OR-ing every looked-up value together and testing those bits once finds any bad character.
 */
const INVALID = 0xe0;
const VALUES = new Uint8Array(128).fill(INVALID);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/**
 * The input's UTF-8 bytes. One native `encodeInto` and a loop over bytes cost less than reading the
 * characters one by one with `charCodeAt`, and the byte count tells at once whether every character is
 * ASCII (each non-ASCII one takes 2 to 4 bytes). Room for 3 bytes a character, so `written` is the whole
 * length, never a truncation. Sharing the buffer is safe: parseKey is synchronous and nothing else sees it.
 */
const BYTES = new Uint8Array(KEY_LENGTH * 3);
const UTF8 = new TextEncoder();

/** CRC-32 (IEEE 802.3, reflected, as zlib): the byte-wise table. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  CRC_TABLE[n] = c;
}

/** The CRC register after a prefix, which every checksum input starts with (see checksum.ts). */
const crcOf = (prefix: string) => [...prefix].reduce((crc, c) => CRC_TABLE[(crc ^ c.charCodeAt(0)) & 0xff]! ^ (crc >>> 8), -1);
const KEY_PREFIX_CRC = crcOf(KEY_PREFIX);
const SESSION_PREFIX_CRC = crcOf(SESSION_PREFIX);
const KEY_PREFIX_WITH_DOT = `${KEY_PREFIX}.`;
const SESSION_PREFIX_WITH_DOT = `${SESSION_PREFIX}.`;
if (Object.values(TOKEN_PREFIXES).some((prefix) => prefix.length !== KEY_PREFIX.length)) {
  throw new Error("parse-key: every token prefix must have the same length");
}

/** Parses an API key only: a session token is a `prefix` problem. See {@link parseToken}. */
export function parseKey(input: string): ParsedKey {
  const parsed = parseToken(input);
  if (!parsed.ok) return parsed;
  if (parsed.kind !== "api_key") return { ok: false, problem: "prefix" };
  return { ok: true, id: parsed.id, secret: parsed.secret };
}

/**
 * Parses `NNSXS.<id>.<secret>` (an API key) or `ONSXG.<id>.<secret>` (a session token). Total: any string
 * gives a token or a problem, never a throw. Checks, in order: prefix, length and layout, alphabet
 * (A-Z2-7), checksum (which also covers non-canonical base32). Needs no store.
 *
 * Parsing runs on every authenticated call, so it makes one pass over the bytes and keeps no decoded
 * copy: each decoded byte goes straight into the CRC-32 of the checksum input (`"NNSXS" || id || secret
 * bytes 0..27`, the same value as `keyChecksum`), computed here with a table rather than by `zlib.crc32`,
 * whose native-call overhead alone costs more than the table loop over 52 bytes.
 */
export function parseToken(input: string): ParsedToken {
  if (input.length === 0) return { ok: false, problem: "empty" };
  const kind: TokenKind | undefined = input.startsWith(KEY_PREFIX_WITH_DOT)
    ? "api_key"
    : input.startsWith(SESSION_PREFIX_WITH_DOT)
      ? "session"
      : undefined;
  if (kind === undefined) return { ok: false, problem: "prefix" };
  if (input.length !== KEY_LENGTH || input.charCodeAt(ID_END) !== 0x2e /* . */) return { ok: false, problem: "length" };

  // Only ASCII is left after this, and then a key's bytes are its characters.
  if (UTF8.encodeInto(input, BYTES).written !== KEY_LENGTH) return { ok: false, problem: "alphabet" };
  // Bits outside 0x1f: a character outside A-Z2-7.
  let invalid = 0;
  let crc = kind === "api_key" ? KEY_PREFIX_CRC : SESSION_PREFIX_CRC;
  let checksum = 0;
  // Unused low bits left at the end of the id and of the secret; canonical base32 has them zero.
  let trailing = 0;
  // Bit buffer of the base32 decoder: `bits` undecoded low bits of `buffer`; `decoded` bytes so far.
  let buffer = 0;
  let bits = 0;
  let decoded = 0;
  for (let i = ID_START; i < SECRET_END; i++) {
    if (i === ID_END) {
      // The dot: the id's last bits end here, the secret starts on a byte boundary.
      trailing |= buffer & ((1 << bits) - 1);
      buffer = 0;
      bits = 0;
      continue;
    }
    const value = VALUES[BYTES[i]!]!;
    invalid |= value;
    buffer = (buffer << 5) | (value & 0x1f);
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      const byte = (buffer >>> bits) & 0xff;
      if (decoded++ < CHECKED_BYTES) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
      else checksum = (checksum << 8) | byte;
    }
  }
  trailing |= buffer & ((1 << bits) - 1);
  if ((invalid & ~0x1f) !== 0) return { ok: false, problem: "alphabet" };
  // Every character is in A-Z2-7. One that leaves non-zero unused bits at the end of the id or the secret
  // (not canonical base32) cannot end a generated key: like a wrong checksum, that is a mistyped character.
  if (trailing !== 0 || (crc ^ -1) !== checksum) return { ok: false, problem: "checksum" };
  return { ok: true, kind, id: input.slice(ID_START, ID_END), secret: input.slice(SECRET_START) };
}
