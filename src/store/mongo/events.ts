// The audit trail on MongoDB (ARCHITECTURE.md, "Events"): events appended inside the write transactions
// of the other collections, chained by a head document that every appending transaction writes, so
// appends serialize on it and seqs follow commit order.
import type { ClientSession, Collection, Db, Filter, MongoClient } from "mongodb";
import { chainEvent } from "../event-chain.js";
import { decodeEventPageToken, eventListScope, fetchSize, toEventPage } from "../pagination.js";
import type { EventChainHead, EventFilter, EventListRequest, EventPage, EventRecord, EventStore, NewEvent } from "../store.js";
import { literalPattern } from "./literal-pattern.js";
import { MongoDeliveryQueue } from "./deliveries.js";
import { mongoDriver } from "./driver.js";
import type { MongoOperations } from "./errors.js";
import { CHAIN_HEAD_ID, documentToEvent, eventToDocument, type EventChainDocument, type EventDocument } from "./event-documents.js";
import { EVENTS, EVENTS_BY_TIME, EVENT_CHAIN } from "./indexes.js";
import { SeqTaken, inTransaction } from "./transactions.js";

const DUPLICATE_KEY = 11000;

/** Creates the head document if it is missing (at open; concurrent opens are fine), outside any transaction. */
export async function ensureEventChain(db: Db): Promise<void> {
  await db
    .collection<EventChainDocument>(EVENT_CHAIN)
    .updateOne({ _id: CHAIN_HEAD_ID }, { $setOnInsert: { seq: 0, hash: "", prunedThroughSeq: 0, prunedThroughHash: "" } }, { upsert: true });
}

/** Appends events inside the other collections' write transactions, and queues their deliveries. */
export class MongoEventLog {
  readonly #chain: Collection<EventChainDocument>;
  readonly #events: Collection<EventDocument>;
  readonly #deliveries: MongoDeliveryQueue;

  constructor(db: Db) {
    this.#chain = db.collection<EventChainDocument>(EVENT_CHAIN);
    this.#events = db.collection<EventDocument>(EVENTS);
    this.#deliveries = new MongoDeliveryQueue(db);
  }

  /**
   * Appends `events` in `session`'s transaction, in order, and queues one delivery per matching enabled
   * webhook. The head document is written first: two appending transactions cannot both commit with the
   * same view of it (the second gets a write conflict and the driver runs it again), so seqs are unique,
   * increase in commit order, and each event links to the one committed before it.
   */
  async append(session: ClientSession, events: readonly NewEvent[]): Promise<EventRecord[]> {
    if (events.length === 0) return [];
    const head = await this.#chain.findOneAndUpdate({ _id: CHAIN_HEAD_ID }, { $inc: { seq: events.length } }, { session, returnDocument: "before" });
    if (!head) throw new Error("the event chain's head document is missing");
    const records: EventRecord[] = [];
    let previous = { seq: head.seq, hash: head.hash };
    for (const event of events) {
      const record = chainEvent(event, previous.seq, previous.hash);
      records.push(record);
      previous = record;
    }
    await this.#chain.updateOne({ _id: CHAIN_HEAD_ID }, { $set: { hash: previous.hash } }, { session });
    try {
      await this.#events.insertMany(records.map(eventToDocument), { session });
    } catch (error) {
      // Only a server that lets two transactions read the same head gets here (see inTransaction).
      if (error instanceof mongoDriver().MongoServerError && error.code === DUPLICATE_KEY) throw new SeqTaken("event chain", head.seq + 1, error);
      throw error;
    }
    await this.#deliveries.queue(session, records);
    return records;
  }

  /** Appends the one event of a change, when the change records one (`undefined`: nothing to record). */
  async appendOne(session: ClientSession, event: NewEvent | undefined): Promise<void> {
    if (event !== undefined) await this.append(session, [event]);
  }
}

/** The events' slice of the Store: appends that record no change, reads, the head and pruning. */
export class MongoEvents implements EventStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #log: MongoEventLog;
  readonly #chain: Collection<EventChainDocument>;
  readonly #events: Collection<EventDocument>;
  readonly #deliveries: MongoDeliveryQueue;

  constructor(client: MongoClient, db: Db, log: MongoEventLog, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#log = log;
    this.#chain = db.collection<EventChainDocument>(EVENT_CHAIN);
    this.#events = db.collection<EventDocument>(EVENTS);
    this.#deliveries = new MongoDeliveryQueue(db);
  }

  async appendEvents(events: NewEvent[]): Promise<EventRecord[]> {
    return this.#operations.run(undefined, async () => {
      if (events.length === 0) return [];
      return inTransaction(this.#client, (session) => this.#log.append(session, events));
    });
  }

  async listEvents(request: EventListRequest): Promise<EventPage> {
    return this.#operations.run(undefined, async () => {
      const scope = eventListScope(request);
      const after = decodeEventPageToken(scope, request.pageToken);
      const seq: { $gt?: number; $lt?: number } = {};
      if (request.afterSeq !== undefined) seq.$gt = request.afterSeq;
      if (request.since !== undefined) {
        // Without this floor, a list of the last hour that fills no page would walk the whole trail.
        const first = await this.#firstSince(request.since);
        if (first === undefined) return { items: [], nextPageToken: "" };
        seq.$gt = Math.max(seq.$gt ?? 0, first - 1);
      }
      const below = Math.min(request.beforeSeq ?? Infinity, after ?? Infinity);
      if (below !== Infinity) seq.$lt = below;
      const filter: Filter<EventDocument> = { ...matching(request) };
      if (seq.$gt !== undefined || seq.$lt !== undefined) filter._id = seq;
      if (request.since !== undefined) filter.time = { $gte: request.since };
      const docs = await this.#events.find(filter).sort({ _id: -1 }).limit(fetchSize(request.pageSize)).toArray();
      return toEventPage(docs.map(documentToEvent), request.pageSize, scope);
    });
  }

  /**
   * The first event at or after `since`, whatever the order of times, read from the time index alone:
   * it walks only the events of the window.
   */
  async #firstSince(since: Date): Promise<number | undefined> {
    const [first] = await this.#events
      .find({ time: { $gte: since } }, { projection: { _id: 1 } })
      .hint(EVENTS_BY_TIME)
      .sort({ _id: 1 })
      .limit(1)
      .toArray();
    return first?._id;
  }

  async readEvents(after: number, limit: number, filter: EventFilter = {}): Promise<EventRecord[]> {
    return this.#operations.run(undefined, async () => {
      const docs = await this.#events
        .find({ ...matching(filter), _id: { $gt: after } })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();
      return docs.map(documentToEvent);
    });
  }

  async eventChainHead(): Promise<EventChainHead> {
    return this.#operations.run(undefined, async () => {
      const head = await this.#chain.findOne({ _id: CHAIN_HEAD_ID });
      return { seq: head?.seq ?? 0, prunedThroughSeq: head?.prunedThroughSeq ?? 0, prunedThroughHash: head?.prunedThroughHash ?? "" };
    });
  }

  /**
   * Deletes the oldest events while they are older than `before` (stopping at the first that is not, so
   * what remains is an unbroken chain from the anchor), their deliveries with them, and moves the anchor,
   * in one transaction that writes the head: a concurrent append or prune conflicts with it.
   */
  async pruneEvents(before: Date, limit: number): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return inTransaction(this.#client, async (session) => {
        const head = await this.#chain.findOne({ _id: CHAIN_HEAD_ID }, { session });
        if (!head) throw new Error("the event chain's head document is missing");
        const oldest = await this.#events
          .find({ _id: { $gt: head.prunedThroughSeq } }, { session, projection: { time: 1, hash: 1 } })
          .sort({ _id: 1 })
          .limit(limit)
          .toArray();
        let last: { _id: number; hash: string } | undefined;
        for (const doc of oldest) {
          if (doc.time >= before) break;
          last = doc;
        }
        if (!last) return 0;
        const deleted = await this.#events.deleteMany({ _id: { $lte: last._id } }, { session });
        await this.#deliveries.forgetEvents(session, last._id);
        await this.#chain.updateOne({ _id: CHAIN_HEAD_ID }, { $set: { prunedThroughSeq: last._id, prunedThroughHash: last.hash } }, { session });
        return deleted.deletedCount;
      });
    });
  }
}

/** The query of an {@link EventFilter}; each filter has an index that serves it in seq order. */
function matching(filter: EventFilter): Filter<EventDocument> {
  const query: Filter<EventDocument> = {};
  if (filter.tenantId !== undefined) query["subject.tenantId"] = filter.tenantId;
  if (filter.apiKeyId !== undefined) query["subject.apiKeyId"] = filter.apiKeyId;
  if (filter.typePrefix !== undefined && filter.typePrefix !== "") query.type = { $regex: `^${literalPattern(filter.typePrefix)}` };
  if (filter.userId !== undefined) query.$or = [{ "subject.userId": filter.userId }, { "actor.userId": filter.userId }];
  return query;
}
