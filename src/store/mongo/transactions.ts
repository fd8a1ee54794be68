// Multi-document transactions, for the operations that must change several documents atomically.
import type { ClientSession, MongoClient, TransactionOptions } from "mongodb";

// Majority reads and writes: a committed transaction survives failover and sees only durable data.
const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: { w: "majority" },
  readPreference: "primary",
};

/**
 * Runs `work` in a transaction on a new session. The driver retries it (with backoff) on transient errors
 * such as write conflicts with a concurrent transaction, so `work` must be safe to run again, must pass
 * `session` to every operation and must let every failure propagate.
 */
export async function inTransaction<T>(client: MongoClient, work: (session: ClientSession) => Promise<T>): Promise<T> {
  return client.withSession((session) => session.withTransaction(work, TRANSACTION_OPTIONS));
}
