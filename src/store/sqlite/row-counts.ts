// The row_counts table (migration 9): sizes kept by triggers, read here by one primary-key seek.
import type { SqliteDatabase } from "./connection.js";

/** What is counted: every user, every tenant, one tenant's users, one user's API keys. */
export type CountedRows = "users" | "tenants" | "users_of_tenant" | "api_keys_of_user";

/** The counts' SQL, exported so tests can EXPLAIN exactly what runs. */
export const ROW_COUNT_SQL = {
  get: "SELECT n FROM row_counts WHERE kind = ? AND id = ?",
} as const;

/** Reads a count (`id` '' for the totals); 0 when nothing was ever counted under it. */
export type ReadRowCount = (kind: CountedRows, id?: string) => number;

/** The count reader on `db`; inside a transaction it reads what that transaction sees. */
export function rowCounter(db: SqliteDatabase): ReadRowCount {
  const get = db.prepare<[CountedRows, string], number>(ROW_COUNT_SQL.get).pluck(true);
  return (kind, id = "") => get.get(kind, id) ?? 0;
}
