// Opening a SQLite database with the settings every Keyward connection needs.
import Database from "better-sqlite3";

/** A better-sqlite3 connection. */
export type SqliteDatabase = Database.Database;

/** How long a writer waits for another connection's lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5000;

/** Opens `filename` (a path or `":memory:"`) with WAL, a busy timeout and foreign keys enforced. */
export function openDatabase(filename: string): SqliteDatabase {
  const db = new Database(filename, { timeout: BUSY_TIMEOUT_MS });
  try {
    // WAL lets readers (the auth path) proceed while a write is in progress; ":memory:" ignores it.
    db.pragma("journal_mode = WAL");
    // NORMAL is durable in WAL mode except for the last commits on power loss, and much faster than FULL.
    db.pragma("synchronous = NORMAL");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // Off by default in SQLite and per connection: the api_keys -> users cascade depends on it.
    db.pragma("foreign_keys = ON");
    // A page cache that holds the interior B-tree pages of a store of a million keys (api_keys is WITHOUT
    // ROWID, so its interior cells hold whole rows), which every point read walks, and no more: SQLite's
    // default makes a verify slower as the store grows, better-sqlite3's costs RSS for nothing
    // (docs/performance.md, 2026-11-23).
    db.pragma("cache_size = -12000");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A lookup of one record by its key through `sql` on `db`, prepared once; undefined when absent. On the
 * connection of a running transaction it reads what that transaction sees.
 */
export function rowReader<Row, T>(db: SqliteDatabase, sql: string, toRecord: (row: Row) => T): (key: string) => T | undefined {
  const get = db.prepare<[string], Row>(sql);
  return (key) => {
    const row = get.get(key);
    return row === undefined ? undefined : toRecord(row);
  };
}
