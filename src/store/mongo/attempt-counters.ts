// The sign-in attempt counters on MongoDB (ARCHITECTURE.md, "Sessions and passwords"): one document per counter, changed by a write
// conditional on the version read (compare-and-set), so every process and node counts each attempt once
// without a multi-document transaction.
import type { Collection, Db } from "mongodb";
import { checkAttemptCounter } from "../record-checks.js";
import { attemptCounterSubject } from "../store-errors.js";
import type { AttemptCounter, AttemptCounterStore, Updater } from "../store.js";
import { mongoDriver } from "./driver.js";
import type { MongoOperations } from "./errors.js";
import { retryOnVersionChange } from "./optimistic-update.js";

/** Collection name. */
export const ATTEMPT_COUNTERS = "attempt_counters";

const DUPLICATE_KEY = 11000;

/** An `attempt_counters` document: the counter keyed by `_id`, and its version for conditional writes. */
export interface AttemptCounterDocument extends AttemptCounter {
  _id: string;
  version: number;
}

/** Creates the index pruning uses (at open; a no-op when it exists). */
export async function ensureAttemptCounters(db: Db): Promise<void> {
  await db.collection<AttemptCounterDocument>(ATTEMPT_COUNTERS).createIndexes([{ key: { expiresAt: 1 }, name: "attempt_counters_by_expiry" }]);
}

/** The attempt counters' slice of the Store: operations on the attempt_counters collection. */
export class MongoAttemptCounters implements AttemptCounterStore {
  readonly #counters: Collection<AttemptCounterDocument>;
  readonly #operations: MongoOperations;

  constructor(db: Db, operations: MongoOperations) {
    this.#operations = operations;
    this.#counters = db.collection<AttemptCounterDocument>(ATTEMPT_COUNTERS);
  }

  /**
   * Read, decide, then write only if the document is still the one read (or still absent); otherwise
   * read again. A refusal (the updater throws) writes nothing, so a burst of refused attempts does not
   * contend for the document.
   */
  async updateAttemptCounter(id: string, at: Date, updater: Updater<AttemptCounter | undefined>): Promise<AttemptCounter | undefined> {
    return this.#operations.run(attemptCounterSubject(id), async () => {
      const outcome = await retryOnVersionChange(attemptCounterSubject(id), async () => {
        const doc = await this.#counters.findOne({ _id: id });
        const next = updater(doc === null || doc.expiresAt <= at ? undefined : documentToCounter(doc));
        if (next === undefined) {
          if (doc === null) return { counter: undefined };
          const deleted = await this.#counters.deleteOne({ _id: id, version: doc.version });
          return deleted.deletedCount === 1 ? { counter: undefined } : undefined;
        }
        checkAttemptCounter(id, next);
        const fields = { attempts: next.attempts, nextAttemptAt: next.nextAttemptAt, expiresAt: next.expiresAt };
        if (doc === null) {
          try {
            await this.#counters.insertOne({ _id: id, ...fields, version: 1 });
          } catch (error) {
            // Another writer created it first: read it again.
            if (error instanceof mongoDriver().MongoServerError && error.code === DUPLICATE_KEY) return undefined;
            throw error;
          }
        } else {
          const written = await this.#counters.updateOne({ _id: id, version: doc.version }, { $set: { ...fields, version: doc.version + 1 } });
          if (written.matchedCount === 0) return undefined;
        }
        return { counter: { ...fields } };
      });
      return outcome.counter;
    });
  }

  async pruneAttemptCounters(at: Date): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return (await this.#counters.deleteMany({ expiresAt: { $lte: at } })).deletedCount;
    });
  }
}

function documentToCounter(doc: AttemptCounterDocument): AttemptCounter {
  return { attempts: doc.attempts, nextAttemptAt: doc.nextAttemptAt, expiresAt: doc.expiresAt };
}
