// The revocation feed's tables (ARCHITECTURE.md, "Caches and the revocation feed"): appended to inside the users' and keys' write
// transactions, read by every process's poller, pruned by age.
import { runSqlite } from "./errors.js";
import type { RevocationBatch, RevocationEntry, RevocationFeedStore, RevocationKind } from "../store.js";
import type { SqliteDatabase } from "./connection.js";

/** The feed's SQL, exported so tests can EXPLAIN exactly what runs. */
export const REVOCATION_SQL = {
  append: "INSERT INTO revocations (kind, subject_id, at) VALUES (?, ?, ?)",
  // Through sqlite_sequence, which AUTOINCREMENT keeps: the head survives pruning every entry.
  head: "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'revocations'), 0) AS seq",
  after: "SELECT seq, kind, subject_id, at FROM revocations WHERE seq > ? ORDER BY seq LIMIT ?",
  watermark: "SELECT pruned_through FROM revocation_watermark WHERE id = 1",
  // Through the time index (it holds seq, the rowid): only the old entries are read. Left to itself,
  // SQLite walks back from the newest seq through every entry still kept.
  newestBefore: "SELECT max(seq) AS seq FROM revocations INDEXED BY revocations_by_time WHERE at < ?",
  prune: "DELETE FROM revocations WHERE seq <= ?",
  raiseWatermark: "UPDATE revocation_watermark SET pruned_through = max(pruned_through, ?) WHERE id = 1",
} as const;

interface EntryRow {
  seq: number;
  kind: string;
  subject_id: string;
  at: number;
}

/** Appends one entry to the feed; call it inside the transaction that makes the change. */
export type AppendRevocation = (kind: RevocationKind, subjectId: string, at?: Date) => void;

/** The feed's appender on `db`, for the other tables' write transactions. */
export function revocationAppender(db: SqliteDatabase): AppendRevocation {
  const append = db.prepare<[string, string, number]>(REVOCATION_SQL.append);
  return (kind, subjectId, at = new Date()) => {
    append.run(kind, subjectId, at.getTime());
  };
}

/** The feed's slice of the Store: its head, reads and pruning. */
export class SqliteRevocations implements RevocationFeedStore {
  readonly #db: SqliteDatabase;
  readonly #head;
  readonly #after;
  readonly #watermark;
  readonly #newestBefore;
  readonly #prune;
  readonly #raiseWatermark;
  readonly #readTransaction;
  readonly #pruneTransaction;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#head = db.prepare<[], { seq: number }>(REVOCATION_SQL.head);
    this.#after = db.prepare<[number, number], EntryRow>(REVOCATION_SQL.after);
    this.#watermark = db.prepare<[], { pruned_through: number }>(REVOCATION_SQL.watermark);
    this.#newestBefore = db.prepare<[number], { seq: number | null }>(REVOCATION_SQL.newestBefore);
    this.#prune = db.prepare<[number]>(REVOCATION_SQL.prune);
    this.#raiseWatermark = db.prepare<[number]>(REVOCATION_SQL.raiseWatermark);
    // One read transaction: the watermark and the entries come from the same snapshot.
    this.#readTransaction = db.transaction((after: number, limit: number): RevocationBatch => {
      const prunedThrough = this.#watermark.get()?.pruned_through ?? 0;
      if (after < prunedThrough) return { entries: [], cursor: prunedThrough, missed: true };
      const entries = this.#after.all(after, limit).map(rowToEntry);
      return { entries, cursor: entries.at(-1)?.seq ?? after, missed: false };
    });
    // Deletes by seq up to the newest old entry, so the watermark covers exactly what was deleted.
    this.#pruneTransaction = db.transaction((before: number): number => {
      const newest = this.#newestBefore.get(before)?.seq;
      if (newest === null || newest === undefined) return 0;
      const deleted = this.#prune.run(newest).changes;
      this.#raiseWatermark.run(newest);
      return deleted;
    });
  }

  async revocationHead(): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#head.get()?.seq ?? 0);
  }

  async readRevocations(after: number, limit: number): Promise<RevocationBatch> {
    return runSqlite(this.#db, undefined, () => this.#readTransaction(after, limit));
  }

  async pruneRevocations(before: Date): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#pruneTransaction.immediate(before.getTime()));
  }
}

function rowToEntry(row: EntryRow): RevocationEntry {
  return { seq: row.seq, kind: row.kind as RevocationKind, subjectId: row.subject_id, at: new Date(row.at) };
}
