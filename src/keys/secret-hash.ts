/**
 * Secret hashing. Stored: `sha256:` + base64url(SHA-256(secret text)). The secret carries 224 random bits,
 * so a slow hash (TTN's PBKDF2 x1000) adds no protection and costs every call; one SHA-256 is enough.
 *
 * Secrets are base32 text, whose UTF-8 and ASCII bytes are the same, so hashes stored by any version match.
 */
import { hash } from "node:crypto";

const SCHEME = "sha256:";
const DIGEST_BYTES = 32;

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
 * A check of presented secrets against one stored hash, decoded once. The verifier keeps one per cached
 * key, so each call costs one SHA-256 and one constant-time comparison. A hash of an unknown scheme or
 * the wrong length never matches.
 *
 * Why not `timingSafeEqual`: it needs the digest as a Buffer, whose allocation cost more than the whole
 * check costs without it (docs/performance.md, the verification work). So the digest is taken as a latin1 string, one
 * character per byte (the same 32 bytes, no Buffer), and compared with the stored digest by a loop that
 * visits every byte and accumulates differences without an early exit: its time does not depend on where
 * the two differ.
 */
export function secretChecker(storedHash: string): (secret: string) => boolean {
  const decoded = storedHash.startsWith(SCHEME) ? Buffer.from(storedHash.slice(SCHEME.length), "base64url") : undefined;
  if (decoded?.length !== DIGEST_BYTES) return () => false;
  // Kept as a latin1 string, like the digests it is compared with: a flat 32-character string is a third
  // of the memory of a Uint8Array, and the verifier keeps one per cached key.
  const expected = decoded.toString("latin1");
  // "binary" is Node's name for latin1 among digest encodings.
  return (secret) => sameDigest(hash("sha256", secret, "binary"), expected);
}

/**
 * Constant-time equality of two latin1 digest strings: every character of `expected` is compared, and a
 * length mismatch is folded into the result instead of returning early.
 */
function sameDigest(actual: string, expected: string): boolean {
  let difference = actual.length ^ expected.length;
  for (let i = 0; i < expected.length; i++) difference |= actual.charCodeAt(i) ^ expected.charCodeAt(i);
  return difference === 0;
}
