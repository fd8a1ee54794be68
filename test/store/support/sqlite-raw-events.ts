// Straight access to a SQLite store's events for the conformance suite (see RawEventAccess): a real
// trigger that aborts every insert into events, and plain UPDATE/DELETE statements on the rows.
import { openDatabase, type SqliteDatabase } from "../../../src/store/sqlite/connection.js";
import type { RawEventAccess } from "../conformance/store-under-test.js";

const TRIGGER = "conformance_fail_event_appends";

/**
 * Raw access through `connect`, which opens a connection (closed after each use when `owned`) or hands
 * out the store's own (for `:memory:`, where no second connection sees the data).
 */
export function sqliteRawEvents(connect: () => SqliteDatabase, owned: boolean): RawEventAccess {
  const use = async (sql: string, ...params: unknown[]) => {
    const db = connect();
    try {
      db.prepare(sql).run(...params);
    } finally {
      if (owned) db.close();
    }
  };
  return {
    async failAppends() {
      await use(`CREATE TRIGGER ${TRIGGER} BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'injected failure'); END`);
      return () => use(`DROP TRIGGER ${TRIGGER}`);
    },
    editEventType: (seq, type) => use("UPDATE events SET type = ? WHERE seq = ?", type, seq),
    deleteEvent: (seq) => use("DELETE FROM events WHERE seq = ?", seq),
  };
}

/** Raw access to the SQLite file at `file`, through a connection of its own, as another process has. */
export function sqliteFileRawEvents(file: string): RawEventAccess {
  return sqliteRawEvents(() => openDatabase(file), true);
}
