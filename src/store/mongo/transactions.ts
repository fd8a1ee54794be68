// Multi-document transactions, for the operations that must change several documents atomically.
import { setTimeout as sleep } from "node:timers/promises";
import type { ClientSession, MongoClient, TransactionOptions } from "mongodb";
import { mongoDriver } from "./driver.js";

// Majority reads and writes: a committed transaction survives failover and sees only durable data.
const TRANSACTION_OPTIONS: TransactionOptions = {
  readConcern: { level: "snapshot" },
  writeConcern: { w: "majority" },
  readPreference: "primary",
};

const WRITE_CONFLICT = 112;

/** Attempts of a transaction that failed with an unlabelled write conflict (see {@link inTransaction}). */
const MAX_CONFLICT_ATTEMPTS = 10;

/**
 * Runs `work` in a transaction on a new session. The driver retries it (with backoff) on transient errors
 * such as write conflicts with a concurrent transaction, so `work` must be safe to run again, must pass
 * `session` to every operation and must let every failure propagate.
 *
 * MongoDB labels a write conflict `TransientTransactionError`, which the driver retries. Some compatible
 * servers (the jongodb stand-in) report it at commit without the label; those are retried here too, a
 * few times with a random delay. Against MongoDB this loop never runs a second attempt.
 */
export async function inTransaction<T>(client: MongoClient, work: (session: ClientSession) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await client.withSession((session) => session.withTransaction(work, TRANSACTION_OPTIONS));
    } catch (error) {
      if (attempt === MAX_CONFLICT_ATTEMPTS || !isUnlabelledWriteConflict(error)) throw error;
      await sleep(Math.random() * Math.min(100, 2 ** (attempt + 1)));
    }
  }
}

/**
 * A seq (of the revocation feed or the event chain) another transaction inserted first: a write conflict
 * that a server without conflict detection on the counter document reports as a duplicate key instead.
 * Retried like one.
 */
export class SeqTaken extends Error {
  override readonly name = "SeqTaken";
  constructor(sequence: string, seq: number, cause: unknown) {
    super(`${sequence} seq ${seq} was taken by a concurrent transaction`, { cause });
  }
}

function isUnlabelledWriteConflict(error: unknown): boolean {
  if (error instanceof SeqTaken) return true;
  const { MongoServerError } = mongoDriver();
  return error instanceof MongoServerError && error.code === WRITE_CONFLICT && !error.hasErrorLabel("TransientTransactionError");
}
