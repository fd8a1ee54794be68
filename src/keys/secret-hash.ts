/**
 * Secret hashing. Stored: `sha256:` + base64url(SHA-256(secret text)). The secret carries 224 random bits,
 * so a slow hash (TTN's PBKDF2 x1000) adds no protection and costs every call; one SHA-256 is enough.
 *
 * Secrets are base32 text, whose UTF-8 and ASCII bytes are the same, so hashes stored by any version match.
 */
import { hash, timingSafeEqual } from "node:crypto";

const SCHEME = "sha256:";
const DIGEST_BYTES = 32;

/**
 * SHA-256 of the secret's text. `crypto.hash` (Node >= 20.12) is one native call, where
 * `createHash().update().digest()` makes three and a Hash object: about half the cost per verification.
 */
function digestOf(secret: string): Buffer {
  return hash("sha256", secret, "buffer");
}

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return SCHEME + digestOf(secret).toString("base64url");
}

/** True when `secret` hashes to `storedHash`, compared in constant time. Unknown schemes never match. */
export function verifySecret(secret: string, storedHash: string): boolean {
  return secretChecker(storedHash)(secret);
}

/**
 * A check of presented secrets against one stored hash, decoded once. The verifier keeps one per cached
 * key, so each call costs one SHA-256 and one constant-time comparison, not a base64url decode as well.
 * A hash of an unknown scheme or the wrong length never matches.
 */
export function secretChecker(storedHash: string): (secret: string) => boolean {
  const decoded = storedHash.startsWith(SCHEME) ? Buffer.from(storedHash.slice(SCHEME.length), "base64url") : undefined;
  if (decoded?.length !== DIGEST_BYTES) return () => false;
  // Copied out of Buffer's shared 8 KiB allocation pool: a long-lived cache entry holding a pooled slice
  // would keep the whole pool slab alive.
  const expected = new Uint8Array(decoded);
  return (secret) => timingSafeEqual(digestOf(secret), expected);
}
