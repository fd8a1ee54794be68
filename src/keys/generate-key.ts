import { randomBytes } from "node:crypto";
import { decodeBase32, encodeBase32 } from "./base32.js";
import { keyChecksum } from "./checksum.js";
import { formatKey, ID_BYTES, SECRET_BYTES, SECRET_RANDOM_BYTES, type TokenKind } from "./key-format.js";

/** A freshly generated key. `key` and `secret` are shown to the caller once and never stored. */
export interface GeneratedKey {
  readonly id: string;
  readonly secret: string;
  readonly key: string;
}

/** Generates a key id (for a new key). */
export function generateKeyId(): string {
  return encodeBase32(randomBytes(ID_BYTES));
}

/**
 * Generates a secret for the key with the given id: a new key when `id` is omitted, a regeneration
 * (same id, new secret) otherwise. The checksum covers the prefix and the id, so a secret belongs to one
 * id of one kind. `kind` "session" makes an `ONSXG` session token instead.
 */
export function generateKey(id: string = generateKeyId(), kind: TokenKind = "api_key"): GeneratedKey {
  const idBytes = decodeBase32(id, ID_BYTES);
  if (!idBytes) throw new RangeError("generateKey: not a key id");
  const secretBytes = Buffer.alloc(SECRET_BYTES);
  randomBytes(SECRET_RANDOM_BYTES).copy(secretBytes);
  secretBytes.writeUInt32BE(keyChecksum(idBytes, secretBytes.subarray(0, SECRET_RANDOM_BYTES), kind), SECRET_RANDOM_BYTES);
  const secret = encodeBase32(secretBytes);
  return { id, secret, key: formatKey(id, secret, kind) };
}
