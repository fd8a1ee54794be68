/**
 * Secret hashing. Stored: `sha256:` + base64url(SHA-256(secret text)). The secret carries 224 random bits,
 * so a slow hash (TTN's PBKDF2 x1000) adds no protection and costs every call; one SHA-256 is enough.
 *
 * Secrets are base32 text, whose UTF-8 and ASCII bytes are the same, so hashes stored by any version match.
 */
import { hash } from "node:crypto";

const SCHEME = "sha256:";
/** base64url of 32 bytes, unpadded. */
const DIGEST_TEXT_LENGTH = 43;

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  // `crypto.hash` (Node >= 20.12) is one native call, where `createHash().update().digest()` makes three.
  return SCHEME + hash("sha256", secret, "base64url");
}

/** True when `secret` hashes to `storedHash`, compared in constant time. Unknown schemes never match. */
export function verifySecret(secret: string, storedHash: string): boolean {
  return secretChecker(storedHash)(secret);
}

/**
 * A check of presented secrets against one stored hash. The verifier builds one per store read and keeps
 * it with the cached key, so each call costs one SHA-256 and one constant-time comparison. A hash of an
 * unknown scheme or the wrong length never matches.
 *
 * The digest is compared as base64url text, as stored, so building a check decodes nothing: decoding
 * into a Buffer cost about 1 µs, as much as the SHA-256 itself, on every cache miss. Equal texts are equal
 * digests (one canonical encoding; the stored one's unused last bits are compared too, so only the exact
 * form `hashSecret` writes matches). Why not `timingSafeEqual`: it needs Buffers, whose allocation costs
 * more than the whole check. A loop that visits every character and accumulates differences without an
 * early exit takes the same time wherever the two differ.
 */
export function secretChecker(storedHash: string): (secret: string) => boolean {
  const expected = storedHash.startsWith(SCHEME) ? storedHash.slice(SCHEME.length) : "";
  if (expected.length !== DIGEST_TEXT_LENGTH) return () => false;
  return (secret) => sameDigest(hash("sha256", secret, "base64url"), expected);
}

/**
 * Constant-time equality of two digest texts: every character of `expected` is compared, and a
 * length mismatch is folded into the result instead of returning early.
 */
function sameDigest(actual: string, expected: string): boolean {
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= actual.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}
