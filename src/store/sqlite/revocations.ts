// The revocation feed's tables (ARCHITECTURE.md, "Caches and the revocation feed"): appended to inside the users' and keys' write
// transactions, read by every process's poller, pruned by age.
import type { RevocationBatch, RevocationEntry, RevocationKind } from "../store.js";
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

/** Synchronous feed operations; `append` must run inside the caller's write transaction. */
export class SqliteRevocations {
  readonly #append;
  readonly #head;
  readonly #after;
  readonly #watermark;
  readonly #newestBefore;
  readonly #prune;
  readonly #raiseWatermark;
  readonly #readTransaction;
  readonly #pruneTransaction;

  constructor(db: SqliteDatabase) {
    this.#append = db.prepare<[string, string, number]>(REVOCATION_SQL.append);
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

  /** Appends one entry; call it inside the transaction that makes the change. */
  append(kind: RevocationKind, subjectId: string, at: Date = new Date()): void {
    this.#append.run(kind, subjectId, at.getTime());
  }

  head(): number {
    return this.#head.get()?.seq ?? 0;
  }

  read(after: number, limit: number): RevocationBatch {
    return this.#readTransaction(after, limit);
  }

  prune(before: Date): number {
    return this.#pruneTransaction.immediate(before.getTime());
  }
}

function rowToEntry(row: EntryRow): RevocationEntry {
  return { seq: row.seq, kind: row.kind as RevocationKind, subjectId: row.subject_id, at: new Date(row.at) };
}
