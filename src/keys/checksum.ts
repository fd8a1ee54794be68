/**
 * The key checksum. The last 4 bytes of a secret are the CRC-32 (IEEE 802.3, as zlib and PNG) of:
 *
 *     ASCII "NNSXS"  ||  id (24 raw bytes)  ||  secret bytes 0..27 (28 raw bytes)
 *
 * (with "ONSXG" in place of "NNSXS" for a session token, so a secret belongs to one kind of token too)
 * stored big-endian. Any single-character change of a key changes at most 10 consecutive bits of that
 * input or of the checksum itself, and CRC-32 detects every error burst of up to 32 bits, so typos and
 * truncations are rejected before any store lookup, and secret scanners can confirm a leaked key offline.
 */
import { crc32 } from "node:zlib";
import { ID_BYTES, SECRET_RANDOM_BYTES, TOKEN_PREFIXES, type TokenKind } from "./key-format.js";

/** The checksum of a key (or a token of `kind`) whose raw id and first 28 secret bytes are given. */
export function keyChecksum(id: Uint8Array, secretRandom: Uint8Array, kind: TokenKind = "api_key"): number {
  if (id.length !== ID_BYTES || secretRandom.length !== SECRET_RANDOM_BYTES) {
    throw new RangeError("keyChecksum: wrong input length");
  }
  return crc32(secretRandom, crc32(id, crc32(Buffer.from(TOKEN_PREFIXES[kind], "ascii")))) >>> 0;
}
