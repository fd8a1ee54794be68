// Operations on the webhooks collection (ARCHITECTURE.md, "Events").
import type { Collection, Db, Filter, MongoClient } from "mongodb";
import { decodePageToken } from "../page-token.js";
import { fetchSize, toPage, webhookListScope } from "../pagination.js";
import { checkUpdatedWebhook, checkWebhookRecord } from "../record-checks.js";
import { found, notFound, webhookLimitReached, webhookSubject } from "../store-errors.js";
import type { Guard, Page, Updater, WebhookListRequest, WebhookRecord, WebhookStore } from "../store.js";
import { MongoDeliveryQueue } from "./deliveries.js";
import type { GuardDocument } from "./documents.js";
import type { MongoOperations } from "./errors.js";
import { documentToWebhook, newWebhookDocument, webhookFields, type WebhookDocument } from "./event-documents.js";
import { GUARDS, WEBHOOKS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import { retryOnVersionChange } from "./optimistic-update.js";
import { inTransaction } from "./transactions.js";

/** The webhooks' slice of the Store. */
export class MongoWebhooks implements WebhookStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #webhooks: Collection<WebhookDocument>;
  readonly #guards: Collection<GuardDocument>;
  readonly #deliveries: MongoDeliveryQueue;

  constructor(client: MongoClient, db: Db, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#webhooks = db.collection<WebhookDocument>(WEBHOOKS);
    this.#guards = db.collection<GuardDocument>(GUARDS);
    this.#deliveries = new MongoDeliveryQueue(db);
  }

  /**
   * The cap and the insert in one transaction that first writes the scope's guard document, as every
   * create in that scope does: counting alone would be write skew (two creates each count one below the
   * cap), while two writes of one document cannot both commit, so the second runs again and counts the
   * first. The guard document is created beforehand, outside the transaction (an upsert racing another
   * inside transactions would fail rather than conflict).
   */
  async createWebhook(webhook: WebhookRecord, maxPerScope: number): Promise<void> {
    await this.#operations.run(webhookSubject(webhook.webhookId), async () => {
      checkWebhookRecord(webhook);
      const guard = scopeGuardId(webhook.tenantId);
      await this.#guards.updateOne({ _id: guard }, { $setOnInsert: { writes: 0 } }, { upsert: true });
      await inTransaction(this.#client, async (session) => {
        await this.#guards.updateOne({ _id: guard }, { $inc: { writes: 1 } }, { session });
        const inScope = await this.#webhooks.countDocuments(scopeFilter(webhook.tenantId), { session });
        if (inScope >= maxPerScope) throw webhookLimitReached(webhook.tenantId, maxPerScope);
        await this.#webhooks.insertOne(newWebhookDocument(webhook), { session });
      });
    });
  }

  async getWebhook(webhookId: string): Promise<WebhookRecord> {
    const webhook = await this.#operations.run(webhookSubject(webhookId), async () => {
      const doc = await this.#webhooks.findOne({ _id: webhookId });
      if (!doc) return undefined;
      const pending = await this.#deliveries.pendingCounts([webhookId]);
      return documentToWebhook(doc, pending.get(webhookId) ?? 0);
    });
    return found(webhook, webhookSubject(webhookId));
  }

  async listWebhooks(request: WebhookListRequest): Promise<Page<WebhookRecord>> {
    return this.#operations.run(undefined, async () => {
      const scope = webhookListScope(request.tenantId);
      const after = decodePageToken(scope, request.pageToken);
      const matching: Filter<WebhookDocument> = request.tenantId === undefined ? {} : { tenantId: request.tenantId };
      const page: Filter<WebhookDocument> = after ? { ...matching, ...afterSortKey(after) } : matching;
      const [docs, total] = await Promise.all([
        this.#webhooks.find(page).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
        this.#webhooks.countDocuments(matching),
      ]);
      const pending = await this.#deliveries.pendingCounts(docs.slice(0, request.pageSize).map((doc) => doc._id));
      const webhooks = docs.map((doc) => documentToWebhook(doc, pending.get(doc._id) ?? 0));
      return toPage(webhooks, request.pageSize, total, scope, (webhook) => ({ createdAt: webhook.createdAt, id: webhook.webhookId }));
    });
  }

  /**
   * Read, apply the updater, then write the record's fields only if `version` is still the one read;
   * otherwise read again. The counters are not written here: deliveries finishing meanwhile change them
   * without a version, and are not lost.
   */
  async updateWebhook(webhookId: string, updater: Updater<WebhookRecord>): Promise<WebhookRecord> {
    return this.#operations.run(webhookSubject(webhookId), async () => {
      return retryOnVersionChange(webhookSubject(webhookId), async () => {
        const doc = await this.#webhooks.findOne({ _id: webhookId });
        if (!doc) throw notFound(webhookSubject(webhookId));
        const pending = (await this.#deliveries.pendingCounts([webhookId])).get(webhookId) ?? 0;
        const current = documentToWebhook(doc, pending);
        const next = updater(current);
        checkUpdatedWebhook(current, next);
        const { tenantId: _scope, ...fields } = webhookFields(next);
        const written = await this.#webhooks.findOneAndUpdate(
          { _id: webhookId, version: doc.version },
          { $set: fields, $inc: { version: 1 } },
          { returnDocument: "after" },
        );
        return written ? documentToWebhook(written, pending) : undefined;
      });
    });
  }

  /** The webhook and its queued deliveries go in one transaction, after `guard` judged it there. */
  async deleteWebhook(webhookId: string, guard?: Guard<WebhookRecord>): Promise<void> {
    await this.#operations.run(webhookSubject(webhookId), async () => {
      await inTransaction(this.#client, async (session) => {
        const doc = await this.#webhooks.findOne({ _id: webhookId }, { session });
        if (!doc) throw notFound(webhookSubject(webhookId));
        if (guard) {
          const pending = (await this.#deliveries.pendingCounts([webhookId], session)).get(webhookId) ?? 0;
          guard(documentToWebhook(doc, pending));
        }
        await this.#webhooks.deleteOne({ _id: webhookId }, { session });
        await this.#deliveries.forgetWebhook(session, webhookId);
      });
    });
  }
}

/** The webhooks of a scope: a tenant's, or the system's (no tenant). */
function scopeFilter(tenantId: string | undefined): Filter<WebhookDocument> {
  return tenantId === undefined ? { tenantId: { $exists: false } } : { tenantId };
}

/** The guard document every create in a scope writes. */
function scopeGuardId(tenantId: string | undefined): string {
  return tenantId === undefined ? "webhooks" : `webhooks:${tenantId}`;
}
