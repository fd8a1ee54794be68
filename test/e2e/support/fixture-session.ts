/**
 * A session written straight into a store, as the fixtures of the authorization matrix and the escalation
 * sequences make them (a second connection to the server's file, as another node would).
 */
import { generateKey, hashSecret } from "../../../src/keys/index.js";
import type { Store } from "../../../src/store/store.js";
import { issuedKeys } from "./secret-scan.js";

const DAY = 86_400_000;

/** Stores a session of `userId` that lasts a day from `now`; returns its id and full token (known to the secret scan). */
export async function writeSession(store: Pick<Store, "createSession">, userId: string, userAgent: string, now = new Date()): Promise<{ id: string; token: string }> {
  const token = generateKey(undefined, "session");
  await store.createSession({
    id: token.id,
    userId,
    secretHash: hashSecret(token.secret),
    createdAt: now,
    expiresAt: new Date(now.getTime() + DAY),
    lastUsedAt: now,
    userAgent,
    address: "127.0.0.1",
  });
  issuedKeys.add(token.key);
  return { id: token.id, token: token.key };
}
