/**
 * RFC 4648 base32 (upper case, no padding), as The Things Stack encodes key ids and secrets. Encoding uses
 * `base32-encode`; decoding is here because it must reject, never throw, and must insist on the canonical
 * form (unused trailing bits zero) so that every character of a key is significant. (The key parser has
 * its own decoder, fused with the checksum; tests check the two agree.)
 */
import base32Encode from "base32-encode";

/** The RFC 4648 base32 alphabet; a character's index is its 5-bit value. */
export const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const VALUES = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUES[ALPHABET.charCodeAt(i)] = i;

/** Encodes bytes as unpadded upper-case RFC 4648 base32. */
export function encodeBase32(bytes: Uint8Array): string {
  return base32Encode(bytes, "RFC4648", { padding: false });
}

/** True when every character of `text` is in `A-Z2-7`. */
export function isBase32(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || VALUES[c] === -1) return false;
  }
  return true;
}

/**
 * Decodes canonical unpadded base32 of exactly `byteLength` bytes, or returns undefined when `text` has
 * another length, a character outside the alphabet, or non-zero unused trailing bits.
 */
export function decodeBase32(text: string, byteLength: number): Uint8Array | undefined {
  if (text.length !== base32Length(byteLength)) return undefined;
  const out = new Uint8Array(byteLength);
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const value = c < 128 ? VALUES[c]! : -1;
    if (value === -1) return undefined;
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >> bits) & 0xff;
    }
  }
  // Canonical form: the unused trailing bits are zero.
  return (buffer & ((1 << bits) - 1)) === 0 ? out : undefined;
}

/** Text length of `byteLength` bytes in unpadded base32. */
function base32Length(byteLength: number): number {
  return Math.ceil((byteLength * 8) / 5);
}
