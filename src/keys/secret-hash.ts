/**
 * Secret hashing. Stored: `sha256:` + base64url(SHA-256(secret text)). The secret carries 224 random bits,
 * so a slow hash (TTN's PBKDF2 x1000) adds no protection and costs every call; one SHA-256 is enough.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const SCHEME = "sha256:";

/** The stored form of a secret. */
export function hashSecret(secret: string): string {
  return SCHEME + createHash("sha256").update(secret, "ascii").digest("base64url");
}

/** True when `secret` hashes to `storedHash`, compared in constant time. Unknown schemes never match. */
export function verifySecret(secret: string, storedHash: string): boolean {
  if (!storedHash.startsWith(SCHEME)) return false;
  const expected = Buffer.from(storedHash.slice(SCHEME.length), "base64url");
  const actual = createHash("sha256").update(secret, "ascii").digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
