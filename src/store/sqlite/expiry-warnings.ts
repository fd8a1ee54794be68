// Expiry warnings (ARCHITECTURE.md, "Events"): keys nearing expiry found through their expiry index, each
// warned in its own write that marks (key, point, expiry) and appends the `api_key.expiring` event.
import { apiKeyExpiring } from "../change-events.js";
import type { EventRecord, ExpiryPoint, ExpiryWarningStore } from "../store.js";
import { rowToApiKey, type ApiKeyRow } from "./api-key-rows.js";
import { API_KEY_SQL } from "./api-keys.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import type { AppendEvent } from "./events.js";
import type { ReadUser } from "./users.js";

/** The warnings' SQL, exported so tests can EXPLAIN exactly what runs. */
export const EXPIRY_WARNING_SQL = {
  // Keys expiring within the lead time and not yet warned at this point for this expiry.
  candidates: `SELECT k.id, k.expires_at FROM api_keys AS k INDEXED BY api_keys_by_expiry
    WHERE k.expires_at > @now AND k.expires_at <= @until
    AND NOT EXISTS (SELECT 1 FROM expiry_warnings AS w WHERE w.key_id = k.id AND w.lead_ms = @lead_ms AND w.expires_at = k.expires_at)
    ORDER BY k.expires_at LIMIT @limit`,
  // The marker decides: a second process finds it taken and appends nothing.
  mark: `INSERT INTO expiry_warnings (key_id, lead_ms, expires_at, warned_at) VALUES (@key_id, @lead_ms, @expires_at, @now)
    ON CONFLICT DO NOTHING`,
} as const;

interface Candidate {
  id: string;
  expires_at: number;
}

/** The expiry warnings' slice of the Store, on one connection. */
export class SqliteExpiryWarnings implements ExpiryWarningStore {
  readonly #db: SqliteDatabase;
  readonly #candidates;
  readonly #warnTransaction;

  constructor(db: SqliteDatabase, appendEvent: AppendEvent, readUser: ReadUser) {
    this.#db = db;
    this.#candidates = db.prepare<{ now: number; until: number; lead_ms: number; limit: number }, Candidate>(EXPIRY_WARNING_SQL.candidates);
    const key = db.prepare<[string], ApiKeyRow>(API_KEY_SQL.findById);
    const mark = db.prepare<{ key_id: string; lead_ms: number; expires_at: number; now: number }>(EXPIRY_WARNING_SQL.mark);
    // Re-read under the write lock: the key may have changed or gone since the candidates were read.
    this.#warnTransaction = db.transaction((candidate: Candidate, point: ExpiryPoint, now: Date): EventRecord | undefined => {
      const row = key.get(candidate.id);
      if (!row || row.expires_at !== candidate.expires_at) return undefined;
      const marked = mark.run({ key_id: row.id, lead_ms: point.leadMs, expires_at: candidate.expires_at, now: now.getTime() });
      if (marked.changes === 0) return undefined;
      const stored = rowToApiKey(row);
      return appendEvent(apiKeyExpiring(stored, readUser(stored.userId), point.label, now));
    });
  }

  async warnExpiringKeys(now: Date, points: readonly ExpiryPoint[], limit: number): Promise<EventRecord[]> {
    return runSqlite(this.#db, undefined, () => {
      const warned: EventRecord[] = [];
      for (const point of points) {
        const candidates = this.#candidates.all({ now: now.getTime(), until: now.getTime() + point.leadMs, lead_ms: point.leadMs, limit });
        for (const candidate of candidates) {
          const event = this.#warnTransaction.immediate(candidate, point, now);
          if (event) warned.push(event);
        }
      }
      return warned;
    });
  }
}
