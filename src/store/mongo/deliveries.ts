// The webhook outbox on MongoDB (ARCHITECTURE.md, "Events"): deliveries queued in their event's
// transaction, claimed under a lease one atomic document write at a time, finished by the lease owner.
import type { ClientSession, Collection, Db, Filter, MongoClient, UpdateFilter } from "mongodb";
import { webhookMatches } from "../webhook-match.js";
import type { ClaimedDelivery, DeliveryLease, DeliveryOutcome, DeliveryStore, EventRecord } from "../store.js";
import type { MongoOperations } from "./errors.js";
import {
  deliveryId,
  documentToEvent,
  documentToWebhook,
  type DeliveryDocument,
  type EventDocument,
  type WebhookDocument,
} from "./event-documents.js";
import { DELIVERIES, EVENTS, WEBHOOKS } from "./indexes.js";
import { inTransaction } from "./transactions.js";

/**
 * Reads of due deliveries per claim: each round claims what no other process took first, so a claim
 * racing many others still ends.
 */
const MAX_CLAIM_ROUNDS = 5;

/** Queues and forgets deliveries inside other writes' transactions. */
export class MongoDeliveryQueue {
  readonly #webhooks: Collection<WebhookDocument>;
  readonly #deliveries: Collection<DeliveryDocument>;

  constructor(db: Db) {
    this.#webhooks = db.collection<WebhookDocument>(WEBHOOKS);
    this.#deliveries = db.collection<DeliveryDocument>(DELIVERIES);
  }

  /**
   * Queues one delivery per enabled webhook that matches each event, in `session`'s transaction, due at
   * once by the writer's clock. The webhooks are read in the transaction's snapshot: one created
   * meanwhile gets the events after it.
   */
  async queue(session: ClientSession, events: readonly EventRecord[]): Promise<void> {
    const tenants = [...new Set(events.flatMap((event) => (event.subject.tenantId === undefined ? [] : [event.subject.tenantId])))];
    const inScope: Filter<WebhookDocument> = { enabled: true, $or: [{ tenantId: { $exists: false } }, { tenantId: { $in: tenants } }] };
    const webhooks = await this.#webhooks.find(inScope, { session, projection: { tenantId: 1, eventTypes: 1 } }).toArray();
    if (webhooks.length === 0) return;
    const queued: DeliveryDocument[] = [];
    const now = new Date();
    for (const event of events) {
      for (const webhook of webhooks) {
        if (!webhookMatches({ tenantId: webhook.tenantId ?? undefined, eventTypes: webhook.eventTypes }, event)) continue;
        queued.push({
          _id: deliveryId(webhook._id, event.seq),
          webhookId: webhook._id,
          eventSeq: event.seq,
          state: "pending",
          attempts: 0,
          nextAttemptAt: now,
          queuedAt: now,
        });
      }
    }
    if (queued.length > 0) await this.#deliveries.insertMany(queued, { session });
  }

  /** Deletes the deliveries of events up to `seq` (pruned with them), in `session`'s transaction. */
  async forgetEvents(session: ClientSession, seq: number): Promise<void> {
    await this.#deliveries.deleteMany({ eventSeq: { $lte: seq } }, { session });
  }

  /** Deletes a webhook's deliveries (with the webhook), in `session`'s transaction. */
  async forgetWebhook(session: ClientSession, webhookId: string): Promise<void> {
    await this.#deliveries.deleteMany({ webhookId }, { session });
  }

  /** The pending deliveries of each of `webhookIds` (absent: none). */
  async pendingCounts(webhookIds: readonly string[], session?: ClientSession): Promise<Map<string, number>> {
    if (webhookIds.length === 0) return new Map();
    // Counted per webhook, each from the (webhookId, state) index: a $group would read them all.
    const counts = await Promise.all(
      webhookIds.map(async (webhookId) => [webhookId, await this.#deliveries.countDocuments({ webhookId, state: "pending" }, session ? { session } : {})] as const),
    );
    return new Map(counts);
  }
}

/** The outbox's slice of the Store. */
export class MongoDeliveries implements DeliveryStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #queue: MongoDeliveryQueue;
  readonly #deliveries: Collection<DeliveryDocument>;
  readonly #events: Collection<EventDocument>;
  readonly #webhooks: Collection<WebhookDocument>;

  constructor(client: MongoClient, db: Db, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#queue = new MongoDeliveryQueue(db);
    this.#deliveries = db.collection<DeliveryDocument>(DELIVERIES);
    this.#events = db.collection<EventDocument>(EVENTS);
    this.#webhooks = db.collection<WebhookDocument>(WEBHOOKS);
  }

  /**
   * Reads the most overdue due deliveries, then claims each by a write conditional on the delivery being
   * as read (pending, due at the time read, under the lease read): a write of one document is atomic, so
   * of two processes claiming at once only one matches it, and the other reads again for what is left.
   * A claim moves `nextAttemptAt` to the lease's end, so a delivery whose owner died falls due again then.
   */
  async claimDeliveries(now: Date, lease: DeliveryLease, limit: number): Promise<ClaimedDelivery[]> {
    return this.#operations.run(undefined, async () => {
      const claimed: DeliveryDocument[] = [];
      for (let round = 0; round < MAX_CLAIM_ROUNDS && claimed.length < limit; round++) {
        // A lease already over at `now` leaves a delivery due: each is taken once per claim all the same.
        const taken: Filter<DeliveryDocument> = claimed.length === 0 ? {} : { _id: { $nin: claimed.map((doc) => doc._id) } };
        const due = await this.#deliveries
          .find({ state: "pending", nextAttemptAt: { $lte: now }, ...taken })
          .sort({ nextAttemptAt: 1, eventSeq: 1 })
          .limit(limit - claimed.length)
          .toArray();
        if (due.length === 0) break;
        for (const doc of due) {
          const leased = { leaseOwner: lease.owner, leaseUntil: lease.until, nextAttemptAt: lease.until };
          const won = await this.#deliveries.updateOne(
            { _id: doc._id, state: "pending", nextAttemptAt: doc.nextAttemptAt, leaseUntil: doc.leaseUntil ?? { $exists: false } },
            { $set: leased },
          );
          if (won.modifiedCount === 1) claimed.push({ ...doc, ...leased });
        }
      }
      return this.#withRecords(claimed);
    });
  }

  /** The claimed deliveries with their events and webhooks, in claim order. */
  async #withRecords(claimed: readonly DeliveryDocument[]): Promise<ClaimedDelivery[]> {
    if (claimed.length === 0) return [];
    const webhookIds = [...new Set(claimed.map((doc) => doc.webhookId))];
    const [events, webhooks, pending] = await Promise.all([
      this.#events.find({ _id: { $in: claimed.map((doc) => doc.eventSeq) } }).toArray(),
      this.#webhooks.find({ _id: { $in: webhookIds } }).toArray(),
      this.#queue.pendingCounts(webhookIds),
    ]);
    const eventBySeq = new Map(events.map((doc) => [doc._id, documentToEvent(doc)]));
    const webhookById = new Map(webhooks.map((doc) => [doc._id, documentToWebhook(doc, pending.get(doc._id) ?? 0)]));
    return claimed.flatMap((doc) => {
      const event = eventBySeq.get(doc.eventSeq);
      const webhook = webhookById.get(doc.webhookId);
      // Both go with their deliveries in one transaction (pruning, webhook delete), so this is only
      // a delete committed after the claim: there is nothing left to deliver.
      if (event === undefined || webhook === undefined) return [];
      return [{ webhook, event, attempts: doc.attempts, queuedAt: doc.queuedAt }];
    });
  }

  /**
   * The delivery's outcome and the webhook's counters in one transaction; the delivery is written only
   * while `owner` holds it (a later claim by another process took it over).
   */
  async finishDelivery(webhookId: string, eventSeq: number, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return this.#operations.run(undefined, async () => {
      return inTransaction(this.#client, async (session) => {
        const finished = await this.#deliveries.updateOne(
          { _id: deliveryId(webhookId, eventSeq), state: "pending", leaseOwner: owner },
          deliveryUpdate(outcome),
          { session },
        );
        if (finished.matchedCount === 0) return false;
        await this.#webhooks.updateOne({ _id: webhookId }, counterUpdate(outcome), { session });
        return true;
      });
    });
  }

  async countPendingDeliveries(): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return this.#deliveries.countDocuments({ state: "pending" });
    });
  }

  async pruneDeliveries(before: Date, limit: number): Promise<number> {
    return this.#operations.run(undefined, async () => {
      const finished = await this.#deliveries
        .find({ finishedAt: { $lt: before } }, { projection: { _id: 1 } })
        .sort({ finishedAt: 1 })
        .limit(limit)
        .toArray();
      if (finished.length === 0) return 0;
      // The state is asked again: only finished deliveries have finishedAt, and they never change again.
      const deleted = await this.#deliveries.deleteMany({ _id: { $in: finished.map((doc) => doc._id) }, state: { $ne: "pending" } });
      return deleted.deletedCount;
    });
  }
}

/** The delivery's write for `outcome`: its lease is released whatever the result. */
function deliveryUpdate(outcome: DeliveryOutcome): UpdateFilter<DeliveryDocument> {
  const unset = { leaseOwner: "", leaseUntil: "" } as const;
  switch (outcome.result) {
    case "delivered":
    case "failed":
      return { $set: { state: outcome.result, finishedAt: outcome.at }, $inc: { attempts: 1 }, $unset: unset };
    case "retry":
      return { $set: { nextAttemptAt: outcome.nextAttemptAt }, $inc: { attempts: 1 }, $unset: unset };
  }
}

/** The webhook's counters and last attempt for `outcome`. */
function counterUpdate(outcome: DeliveryOutcome): UpdateFilter<WebhookDocument> {
  const last = { "delivery.lastAttemptAt": outcome.at, "delivery.lastStatus": outcome.status };
  if (outcome.result === "delivered") {
    return {
      $set: { ...last, "delivery.lastSuccessAt": outcome.at },
      $unset: { "delivery.lastError": "" },
      $inc: { "delivery.delivered": 1 },
    };
  }
  const failed = { $set: { ...last, "delivery.lastError": outcome.error } };
  return outcome.result === "failed" ? { ...failed, $inc: { "delivery.failed": 1 } } : failed;
}
