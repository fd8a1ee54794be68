// The one module that knows the adapters: turns the store settings into an open Store.
import { mkdir } from "node:fs/promises";
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

async function createDataDir(path: string): Promise<void> {
  try {
    // Owner-only when created here: the directory also holds the bootstrap admin key.
    await mkdir(path, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unavailable(`cannot create the data directory ${path}: ${(error as Error).message}`, error);
  }
}
