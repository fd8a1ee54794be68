/**
 * The first admin. On a first start with no active admin, the server creates user `admin` with a
 * `RIGHT_ALL` key and writes the key to `<data dir>/admin.key` (mode 0600), logging only the path
 * (Jenkins' initial-password convention). `keyward bootstrap --user-id <id>` does the same on purpose:
 * it creates the user, or promotes and reactivates an existing one (the way back in after losing every
 * admin key), and prints the new key once.
 */
import { existsSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import type { Logger } from "../logger.js";
import { newApiKey } from "../services/new-api-key.js";
import { createDataDir } from "../store/open-store.js";
import { sharedDirectoryMode } from "../store/private-files.js";
import { isStoreError, type Store } from "../store/store.js";

export const ADMIN_KEY_FILE = "admin.key";
export const BOOTSTRAP_USER_ID = "admin";

/** What {@link createAdmin} did: the new key, and whether the user was created or already existed. */
export interface AdminCreated {
  readonly key: string;
  /** `created`: a new user; `promoted`: an existing user made an active admin (or already one). */
  readonly outcome: "created" | "promoted";
}

/** Creates (or promotes) `userId` as an active admin and gives it a new `RIGHT_ALL` key. */
export async function createAdmin(
  store: Store,
  userId: string,
  maxKeysPerUser: number,
  beforeStore?: (key: string) => Promise<void>,
): Promise<AdminCreated> {
  const now = new Date();
  let outcome: AdminCreated["outcome"] = "created";
  try {
    await store.createUser({ userId, name: "Administrator", email: "", admin: true, state: "active", createdAt: now, updatedAt: now });
  } catch (error) {
    if (!isStoreError(error, "already_exists")) throw error;
    await store.updateUser(userId, (user) => ({ ...user, admin: true, state: "active", updatedAt: now }));
    outcome = "promoted";
  }
  const { record, key } = newApiKey({ userId, name: "bootstrap", rights: [Right.ALL], now });
  await beforeStore?.(key);
  await store.createApiKey(record, { maxKeysPerUser });
  return { key, outcome };
}

/** On a store with no active admin, creates `admin` and writes its key to `<dataDir>/admin.key`. */
export async function ensureAdmin(store: Store, dataDir: string, maxKeysPerUser: number, logger: Logger): Promise<void> {
  if ((await store.countActiveAdmins()) > 0) return;
  const path = join(dataDir, ADMIN_KEY_FILE);
  if (existsSync(path)) {
    logger.warn("no active admin, but an admin key file from an earlier start exists; use it or run `keyward bootstrap`", { path });
    return;
  }
  await createDataDir(dataDir);
  let written = false;
  try {
    // The file is written first (and must not exist yet), so a key is never stored that nobody can read.
    await createAdmin(store, BOOTSTRAP_USER_ID, maxKeysPerUser, async (key) => {
      await writeFile(path, `${key}\n`, { mode: 0o600, flag: "wx" });
      written = true;
    });
  } catch (error) {
    if (written) await rm(path, { force: true });
    throw error;
  }
  logger.info("created user admin with a RIGHT_ALL key; read it from the file, then delete the file", { path });
}

/**
 * Warns, once at startup, when others may read or enter the data directory: its files are private
 * (0600), but a directory made beforehand (a volume) with a wider mode invites copying them out with
 * another mode, and shows their names and sizes.
 */
export function warnIfDataDirShared(dataDir: string, logger: Logger): void {
  const mode = sharedDirectoryMode(dataDir);
  if (mode === undefined) return;
  logger.warn("the data directory is open to other users; its files are private (0600), but make it private too (chmod 700)", { path: dataDir, mode });
}
