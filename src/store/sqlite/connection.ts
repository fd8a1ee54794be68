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
    // SQLite's own default page cache (2 MiB), not better-sqlite3's 16 MiB: a server verifying many
    // distinct keys filled it, 12 MB more RSS for 5,000 keys, and reads of a key and its owner are point
    // lookups the OS page cache serves nearly as fast (no measurable change in \`npm run bench\`).
    db.pragma("cache_size = -2000");
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}
