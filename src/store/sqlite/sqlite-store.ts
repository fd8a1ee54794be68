// The embedded Store: SQLite through better-sqlite3. better-sqlite3 is synchronous, so every operation
// runs to completion (including its transaction) before another starts on this connection; the async
// methods exist to satisfy the Store contract shared with networked backends.
import { composeStore } from "../compose-store.js";
import { unavailable } from "../store-errors.js";
import type { Store } from "../store.js";
import { SqliteApiKeys } from "./api-keys.js";
import { SqliteAttemptCounters } from "./attempt-counters.js";
import { openDatabase, type SqliteDatabase } from "./connection.js";
import { SqliteDeliveries, deliveryQueue } from "./deliveries.js";
import { translateSqliteError } from "./errors.js";
import { SqliteEvents, eventAppender } from "./events.js";
import { SqliteExpiryWarnings } from "./expiry-warnings.js";
import { migrate } from "./migrations.js";
import { SqliteRevocations, revocationAppender } from "./revocations.js";
import { SqliteSessions } from "./sessions.js";
import { SqliteTenants } from "./tenants.js";
import { SqliteUsers, userReader } from "./users.js";
import { SqliteWebhooks } from "./webhooks.js";

/**
 * Opens (creating if needed) the SQLite database at `filename`, a file path or `":memory:"`, and migrates
 * its schema to the latest version. Throws `unavailable` if the file cannot be opened, and refuses a
 * database whose schema is newer than this code.
 */
export function openSqliteStore(filename: string): SqliteStore {
  let db: SqliteDatabase | undefined;
  try {
    db = openFile(filename);
    migrate(db);
    return sqliteStore(db);
  } catch (error) {
    db?.close();
    throw translateSqliteError(error, undefined);
  }
}

function openFile(filename: string): SqliteDatabase {
  try {
    return openDatabase(filename);
  } catch (error) {
    // better-sqlite3 reports a missing directory as a TypeError, not a SqliteError.
    throw unavailable(`cannot open SQLite database ${filename}: ${(error as Error).message}`, error);
  }
}

/** A {@link Store} on one SQLite connection. Open it with {@link openSqliteStore}. */
export interface SqliteStore extends Store {
  /** The underlying connection, for tests and diagnostics (EXPLAIN QUERY PLAN, bulk loads). */
  readonly database: SqliteDatabase;
}

/**
 * The store on `db`, composed of one part per kind of record; every part's writes append to the one
 * revocation feed and the one event chain (which queues the outbox) inside their own transactions.
 */
function sqliteStore(db: SqliteDatabase): SqliteStore {
  const appendRevocation = revocationAppender(db);
  const appendEvent = eventAppender(db, deliveryQueue(db));
  const readUser = userReader(db);
  const store = composeStore(
    [
      new SqliteUsers(db, appendRevocation, appendEvent),
      new SqliteTenants(db, appendEvent),
      new SqliteApiKeys(db, appendRevocation, appendEvent, readUser),
      new SqliteRevocations(db),
      new SqliteSessions(db, appendRevocation, appendEvent, readUser),
      new SqliteAttemptCounters(db),
      new SqliteEvents(db, appendEvent),
      new SqliteWebhooks(db),
      new SqliteDeliveries(db),
      new SqliteExpiryWarnings(db, appendEvent, readUser),
    ],
    {
      database: db,
      async close(): Promise<void> {
        if (db.open) db.close();
      },
    },
  );
  return store;
}
