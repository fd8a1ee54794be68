// The revocation feed on MongoDB (ARCHITECTURE.md, "Caches and the revocation feed"): entries appended inside the users' and keys' write
// transactions, numbered by a counter document that every appending transaction writes.
import type { ClientSession, Collection, Db, MongoClient } from "mongodb";
import type { RevocationBatch, RevocationEntry, RevocationFeedStore, RevocationKind } from "../store.js";
import { mongoDriver } from "./driver.js";
import type { MongoOperations } from "./errors.js";
import { SeqTaken, inTransaction } from "./transactions.js";

const DUPLICATE_KEY = 11000;

/** Collection names. */
export const REVOCATIONS = "revocations";
export const REVOCATION_FEED = "revocation_feed";

/** The feed's one state document: the last seq handed out and the highest seq pruning deleted. */
export interface RevocationFeedDocument {
  _id: "feed";
  seq: number;
  prunedThrough: number;
}

/** One entry, keyed by its seq. */
export interface RevocationDocument {
  _id: number;
  kind: RevocationKind;
  subjectId: string;
  at: Date;
}

const FEED_ID = "feed" as const;

/** Creates the state document if it is missing (at open; concurrent opens are fine). */
export async function ensureRevocationFeed(db: Db): Promise<void> {
  await db
    .collection<RevocationFeedDocument>(REVOCATION_FEED)
    .updateOne({ _id: FEED_ID }, { $setOnInsert: { seq: 0, prunedThrough: 0 } }, { upsert: true });
  await db.collection<RevocationDocument>(REVOCATIONS).createIndexes([{ key: { at: 1 }, name: "revocations_by_time" }]);
}

/** Appends feed entries inside the other collections' write transactions. */
export class MongoRevocationLog {
  readonly #feed: Collection<RevocationFeedDocument>;
  readonly #entries: Collection<RevocationDocument>;

  constructor(db: Db) {
    this.#feed = db.collection<RevocationFeedDocument>(REVOCATION_FEED);
    this.#entries = db.collection<RevocationDocument>(REVOCATIONS);
  }

  /**
   * Appends one entry in `session`'s transaction. Every append writes the one counter document, so two
   * appending transactions cannot both commit with the same view of it (the second gets a WriteConflict
   * and the driver retries it): seqs are unique and increase in commit order, and a reader never sees an
   * entry before an older seq's transaction has committed.
   */
  async append(session: ClientSession, kind: RevocationKind, subjectId: string, at: Date = new Date()): Promise<void> {
    const feed = await this.#feed.findOneAndUpdate({ _id: FEED_ID }, { $inc: { seq: 1 } }, { session, returnDocument: "after" });
    if (!feed) throw new Error("the revocation feed's state document is missing");
    try {
      await this.#entries.insertOne({ _id: feed.seq, kind, subjectId, at }, { session });
    } catch (error) {
      // Only a server that lets two transactions read the same counter value gets here (see inTransaction).
      if (error instanceof mongoDriver().MongoServerError && error.code === DUPLICATE_KEY) throw new SeqTaken("revocation feed", feed.seq, error);
      throw error;
    }
  }
}

/** The feed's slice of the Store: its head, reads and pruning. */
export class MongoRevocations implements RevocationFeedStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #feed: Collection<RevocationFeedDocument>;
  readonly #entries: Collection<RevocationDocument>;

  constructor(client: MongoClient, db: Db, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#feed = db.collection<RevocationFeedDocument>(REVOCATION_FEED);
    this.#entries = db.collection<RevocationDocument>(REVOCATIONS);
  }

  async revocationHead(): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return (await this.#feed.findOne({ _id: FEED_ID }))?.seq ?? 0;
    });
  }

  /**
   * Entries first, the watermark second: pruning deletes and raises the watermark in one transaction,
   * so if the entries read already missed pruned ones, the later watermark read shows it.
   */
  async readRevocations(after: number, limit: number): Promise<RevocationBatch> {
    return this.#operations.run(undefined, async () => {
      const docs = await this.#entries.find({ _id: { $gt: after } }).sort({ _id: 1 }).limit(limit).toArray();
      const prunedThrough = (await this.#feed.findOne({ _id: FEED_ID }))?.prunedThrough ?? 0;
      if (after < prunedThrough) return { entries: [], cursor: prunedThrough, missed: true };
      const entries = docs.map(documentToEntry);
      return { entries, cursor: entries.at(-1)?.seq ?? after, missed: false };
    });
  }

  async pruneRevocations(before: Date): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return inTransaction(this.#client, async (session) => {
        const [newest] = await this.#entries.find({ at: { $lt: before } }, { session }).sort({ _id: -1 }).limit(1).toArray();
        if (!newest) return 0;
        const deleted = await this.#entries.deleteMany({ _id: { $lte: newest._id } }, { session });
        await this.#feed.updateOne({ _id: FEED_ID, prunedThrough: { $lt: newest._id } }, { $set: { prunedThrough: newest._id } }, { session });
        return deleted.deletedCount;
      });
    });
  }
}

function documentToEntry(doc: RevocationDocument): RevocationEntry {
  return { seq: doc._id, kind: doc.kind, subjectId: doc.subjectId, at: doc.at };
}
