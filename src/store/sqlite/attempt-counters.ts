// The sign-in attempt counters (ARCHITECTURE.md, "Sessions and passwords"): read, decided and written in one IMMEDIATE transaction, so
// processes sharing the file count every attempt exactly once.
import { checkAttemptCounter } from "../record-checks.js";
import { attemptCounterSubject } from "../store-errors.js";
import type { AttemptCounter, AttemptCounterStore, Updater } from "../store.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";

/** The counters' SQL, exported so tests can EXPLAIN exactly what runs. */
export const ATTEMPT_COUNTER_SQL = {
  get: "SELECT attempts, next_attempt_at, expires_at FROM attempt_counters WHERE id = ?",
  put: `INSERT INTO attempt_counters (id, attempts, next_attempt_at, expires_at) VALUES (@id, @attempts, @next_attempt_at, @expires_at)
    ON CONFLICT (id) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, expires_at = excluded.expires_at`,
  delete: "DELETE FROM attempt_counters WHERE id = ?",
  prune: "DELETE FROM attempt_counters WHERE expires_at <= ?",
} as const;

interface CounterRow {
  attempts: number;
  next_attempt_at: number;
  expires_at: number;
}

/** The attempt counters' slice of the Store, on one connection. */
export class SqliteAttemptCounters implements AttemptCounterStore {
  readonly #db: SqliteDatabase;
  readonly #get;
  readonly #put;
  readonly #delete;
  readonly #prune;
  readonly #update;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#get = db.prepare<[string], CounterRow>(ATTEMPT_COUNTER_SQL.get);
    this.#put = db.prepare<[{ id: string } & CounterRow]>(ATTEMPT_COUNTER_SQL.put);
    this.#delete = db.prepare<[string]>(ATTEMPT_COUNTER_SQL.delete);
    this.#prune = db.prepare<[number]>(ATTEMPT_COUNTER_SQL.prune);
    this.#update = db.transaction((id: string, at: number, updater: Updater<AttemptCounter | undefined>) => {
      const row = this.#get.get(id);
      const next = updater(row === undefined || row.expires_at <= at ? undefined : rowToCounter(row));
      if (next === undefined) {
        if (row !== undefined) this.#delete.run(id);
        return undefined;
      }
      checkAttemptCounter(id, next);
      this.#put.run({ id, attempts: next.attempts, next_attempt_at: next.nextAttemptAt.getTime(), expires_at: next.expiresAt.getTime() });
      return { ...next };
    });
  }

  /** IMMEDIATE: the write lock is taken before the read, so another process cannot decide on the same count. */
  async updateAttemptCounter(id: string, at: Date, updater: Updater<AttemptCounter | undefined>): Promise<AttemptCounter | undefined> {
    return runSqlite(this.#db, attemptCounterSubject(id), () => this.#update.immediate(id, at.getTime(), updater));
  }

  async pruneAttemptCounters(at: Date): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#prune.run(at.getTime()).changes);
  }
}

function rowToCounter(row: CounterRow): AttemptCounter {
  return { attempts: row.attempts, nextAttemptAt: new Date(row.next_attempt_at), expiresAt: new Date(row.expires_at) };
}
