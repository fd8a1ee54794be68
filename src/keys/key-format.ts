/**
 * The API key format: `NNSXS.<id>.<secret>`, exactly as The Things Stack's API keys. Session tokens
 * (ARCHITECTURE.md, "Sessions and passwords") are the same format with the prefix `ONSXG`, base32("ses"): one parser, checksum and hash.
 *
 * - `NNSXS` is base32("key"), the token-type prefix.
 * - `id`: 24 random bytes, base32 (39 characters). Public: stored in clear, the lookup key, safe to log.
 * - `secret`: 32 bytes, base32 (52 characters). Bytes 0..27 are random (224 bits). Bytes 28..31 are a
 *   checksum (see checksum.ts), so a key can be recognised offline while staying TTN-shaped.
 * - Alphabet `A-Z2-7`, no padding, 98 characters in all.
 */

/** The token-type prefix of API keys: base32("key"). */
export const KEY_PREFIX = "NNSXS";
/** Raw length of a key id. */
export const ID_BYTES = 24;
/** Raw length of a secret, checksum included. */
export const SECRET_BYTES = 32;
/** How many secret bytes are random; the rest is the checksum. */
export const SECRET_RANDOM_BYTES = 28;
/** The token-type prefix of session tokens: base32("ses"). */
export const SESSION_PREFIX = "ONSXG";

/** What a token is, told by its prefix. */
export type TokenKind = "api_key" | "session";

/** The prefix of each kind of token. Every prefix has the same length, so every token has the same length. */
export const TOKEN_PREFIXES: Readonly<Record<TokenKind, string>> = { api_key: KEY_PREFIX, session: SESSION_PREFIX };

/** Text length of a key id. */
export const ID_LENGTH = 39;
/** Text length of a secret. */
export const SECRET_LENGTH = 52;
/** Text length of a whole key. */
export const KEY_LENGTH = KEY_PREFIX.length + 1 + ID_LENGTH + 1 + SECRET_LENGTH;
/** The whole key's shape (checksum aside). */
export const KEY_PATTERN = /^NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/;

/** The whole session token's shape (checksum aside). */
export const SESSION_TOKEN_PATTERN = /^ONSXG\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/;

/** Joins the parts of a key (or, given its kind, of another token). */
export function formatKey(id: string, secret: string, kind: TokenKind = "api_key"): string {
  return `${TOKEN_PREFIXES[kind]}.${id}.${secret}`;
}
