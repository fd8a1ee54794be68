/**
 * The key checksum. The last 4 bytes of a secret are the CRC-32 (IEEE 802.3, as zlib and PNG) of:
 *
 *     ASCII "NNSXS"  ||  id (24 raw bytes)  ||  secret bytes 0..27 (28 raw bytes)
 *
 * stored big-endian. Any single-character change of a key changes at most 10 consecutive bits of that
 * input or of the checksum itself, and CRC-32 detects every error burst of up to 32 bits, so typos and
 * truncations are rejected before any store lookup, and secret scanners can confirm a leaked key offline.
 */
import { crc32 } from "node:zlib";
import { ID_BYTES, KEY_PREFIX, SECRET_RANDOM_BYTES } from "./key-format.js";

const PREFIX_BYTES = Buffer.from(KEY_PREFIX, "ascii");

/** The checksum of a key whose raw id and first 28 secret bytes are given. */
export function keyChecksum(id: Uint8Array, secretRandom: Uint8Array): number {
  if (id.length !== ID_BYTES || secretRandom.length !== SECRET_RANDOM_BYTES) {
    throw new RangeError("keyChecksum: wrong input length");
  }
  return crc32(secretRandom, crc32(id, crc32(PREFIX_BYTES))) >>> 0;
}
