// The one module that knows the adapters: turns the store settings into an open Store.
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "../logger.js";
import { openMongoStore } from "./mongo/mongo-store.js";
import { makeSqliteFilesPrivate } from "./private-files.js";
import { openSqliteStore } from "./sqlite/sqlite-store.js";
import { unavailable } from "./store-errors.js";
import { resolveStoreLocation, type StoreSettings } from "./store-location.js";
import type { Store } from "./store.js";

export { describeStoreLocation, type StoreSettings } from "./store-location.js";

/**
 * Opens the configured store: `"sqlite"` opens `<dataDir>/keyward.db` (creating the directory),
 * `"memory"` an in-memory SQLite database, a `mongodb://` or `mongodb+srv://` URL a MongoDB database.
 * Schemas and indexes are brought up to date. The SQLite files are private (0600) whatever the
 * directory's mode and the umask; one that was not is made so, and `logger` hears of it. Rejects with `invalid_argument` for an unknown setting
 * and `unavailable` when the backend cannot be reached or the file cannot be created.
 */
export async function openStore(settings: StoreSettings, logger?: Logger): Promise<Store> {
  const location = resolveStoreLocation(settings);
  switch (location.kind) {
    case "sqlite":
      await createDataDir(dirname(location.path));
      for (const file of privateFiles(location.path)) {
        logger?.warn("a data file was readable by others: made it private (0600)", { path: file.path, mode: file.mode });
      }
      return openSqliteStore(location.path);
    case "memory":
      return openSqliteStore(":memory:");
    case "mongodb":
      return openMongoStore(location.url);
  }
}

function privateFiles(path: string) {
  try {
    return makeSqliteFilesPrivate(path);
  } catch (error) {
    throw unavailable(`cannot make the SQLite database ${path} private: ${(error as Error).message}`, error);
  }
}

/** Makes the data directory (owner-only) and its missing parents; fails at once, naming it, where it cannot. */
export async function createDataDir(path: string): Promise<void> {
  try {
    // Owner-only when created here: the directory also holds the bootstrap admin key.
    await makeDirectories(path, 0o700);
  } catch (error) {
    throw unavailable(`cannot create the data directory ${path} (--data-dir): ${(error as Error).message}`, error);
  }
}

/**
 * `mkdir -p`, one level at a time. Node's `mkdir(path, { recursive: true })` never returns where mkdir
 * fails with ENOENT under a parent that exists (`/proc/keyward`: /proc refuses new entries that way): it
 * makes the parent again and retries forever. Here each level is tried at most twice, so that error
 * comes back at once.
 */
async function makeDirectories(path: string, mode: number): Promise<void> {
  try {
    await mkdir(path, { mode });
    return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return assertDirectory(path, error);
    if (code !== "ENOENT" || dirname(path) === path) throw error;
  }
  await makeDirectories(dirname(path), mode);
  try {
    await mkdir(path, { mode });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    await assertDirectory(path, error);
  }
}

async function assertDirectory(path: string, error: unknown): Promise<void> {
  if (!(await stat(path)).isDirectory()) throw error;
}
