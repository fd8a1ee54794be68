// The one place SQLite errors become StoreErrors.
import Database from "better-sqlite3";
import { StoreError } from "../store.js";
import { alreadyExists, storeClosed, unavailable, type Subject } from "../store-errors.js";
import type { SqliteDatabase } from "./connection.js";

/**
 * Translates a better-sqlite3 error into a {@link StoreError}. Anything else (a StoreError, an error an
 * updater threw, a bug) is returned unchanged so it reaches the caller as it was thrown.
 * @param subject what the failed operation wrote, named in duplicate-key errors
 */
export function translateSqliteError(error: unknown, subject: Subject | undefined): unknown {
  if (!(error instanceof Database.SqliteError)) return error;
  const { code } = error;
  if ((code === "SQLITE_CONSTRAINT_PRIMARYKEY" || code === "SQLITE_CONSTRAINT_UNIQUE") && subject) {
    return alreadyExists(subject, error);
  }
  // The foreign keys are api_keys.user_id and sessions.user_id: the owner does not exist.
  if (code === "SQLITE_CONSTRAINT_FOREIGNKEY") {
    return new StoreError("not_found", "the user does not exist", { entity: "user", cause: error });
  }
  if (code.startsWith("SQLITE_CONSTRAINT")) {
    return new StoreError("invalid_argument", `cannot store: ${error.message}`, { entity: subject?.entity, cause: error });
  }
  // Lock contention beyond the busy timeout, a full or unwritable disk: retrying later may work.
  if (/^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL)(_|$)/.test(code)) {
    return unavailable(`SQLite: ${error.message}`, error);
  }
  return error;
}

/**
 * Runs one synchronous operation of a Store method on `db`: refused once the connection is closed, its
 * SQLite errors translated. The operation runs at once, in the caller's turn; the promise only carries
 * its outcome, as the Store contract shared with networked backends asks.
 */
export async function runSqlite<T>(db: SqliteDatabase, subject: Subject | undefined, operation: () => T): Promise<T> {
  if (!db.open) throw storeClosed();
  try {
    return operation();
  } catch (error) {
    throw translateSqliteError(error, subject);
  }
}
