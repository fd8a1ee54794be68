// Operations on the tenants collection.
import type { Collection, Db, Filter, MongoClient } from "mongodb";
import { tenantChanged } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { TENANT_LIST_SCOPE, fetchSize, toPage } from "../pagination.js";
import { checkTenantRecord, checkUpdatedTenant } from "../record-checks.js";
import { found, notFound, tenantNotEmpty, tenantSubject } from "../store-errors.js";
import type { Page, PageRequest, TenantRecord, TenantStore, Updater } from "../store.js";
import { documentToTenant, newTenantDocument, type TenantDocument, type UserDocument } from "./documents.js";
import type { MongoOperations } from "./errors.js";
import type { MongoEventLog } from "./events.js";
import { TENANTS, USERS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import { retryOnVersionChange } from "./optimistic-update.js";
import { inTransaction } from "./transactions.js";

/** The tenants' slice of the Store: operations on the tenants collection. */
export class MongoTenants implements TenantStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #events: MongoEventLog;
  readonly #tenants: Collection<TenantDocument>;
  readonly #users: Collection<UserDocument>;

  constructor(client: MongoClient, db: Db, events: MongoEventLog, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#events = events;
    this.#tenants = db.collection<TenantDocument>(TENANTS);
    this.#users = db.collection<UserDocument>(USERS);
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    await this.#operations.run(tenantSubject(tenant.tenantId), async () => {
      checkTenantRecord(tenant);
      await inTransaction(this.#client, async (session) => {
        await this.#tenants.insertOne(newTenantDocument(tenant), { session });
        await this.#events.appendOne(session, tenantChanged("tenant.create", undefined, tenant));
      });
    });
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    const doc = await this.#operations.run(tenantSubject(tenantId), () => this.#tenants.findOne({ _id: tenantId }));
    return found(doc ? documentToTenant(doc) : undefined, tenantSubject(tenantId));
  }

  async listTenants(request: PageRequest): Promise<Page<TenantRecord>> {
    return this.#operations.run(undefined, () => this.#list(request));
  }

  async #list(request: PageRequest): Promise<Page<TenantRecord>> {
    const after = decodePageToken(TENANT_LIST_SCOPE, request.pageToken);
    const filter: Filter<TenantDocument> = after ? afterSortKey(after) : {};
    const [docs, total] = await Promise.all([
      this.#tenants.find(filter).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
      this.#tenants.countDocuments({}),
    ]);
    return toPage(docs.map(documentToTenant), request.pageSize, total, TENANT_LIST_SCOPE, (tenant) => ({
      createdAt: tenant.createdAt,
      id: tenant.tenantId,
    }));
  }

  /**
   * Read, apply the updater, then write only if `version` is still the one read; otherwise read again.
   * The write and its event share a transaction.
   */
  async updateTenant(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord> {
    return this.#operations.run(tenantSubject(tenantId), () => this.#update(tenantId, updater));
  }

  async #update(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord> {
    return retryOnVersionChange(tenantSubject(tenantId), () =>
      inTransaction(this.#client, async (session) => {
        const doc = await this.#tenants.findOne({ _id: tenantId }, { session });
        if (!doc) throw notFound(tenantSubject(tenantId));
        const current = documentToTenant(doc);
        const next = updater(current);
        checkUpdatedTenant(current, next);
        const written = await this.#tenants.findOneAndUpdate(
          { _id: tenantId, version: doc.version },
          { $set: { name: next.name, createdAt: next.createdAt, updatedAt: next.updatedAt }, $inc: { version: 1 } },
          { session, returnDocument: "after" },
        );
        if (!written) return undefined;
        const updated = documentToTenant(written);
        await this.#events.appendOne(session, tenantChanged("tenant.update", current, updated));
        return updated;
      }),
    );
  }

  /**
   * The not-empty guard and the delete in one transaction. Looking for users alone would be write skew
   * under snapshot isolation (a user created meanwhile is not in this snapshot), so the transaction
   * first updates the tenant's document, as every user create in the tenant does in its own transaction
   * (users.ts): two such transactions cannot both commit, the second is run again and sees the first's
   * result — the user (then the tenant is not empty) or no tenant (then the create is refused). The
   * last-admin guard is held by the same kind of conflict.
   */
  async deleteTenant(tenantId: string): Promise<void> {
    await this.#operations.run(tenantSubject(tenantId), () => this.#delete(tenantId));
  }

  async #delete(tenantId: string): Promise<void> {
    await inTransaction(this.#client, async (session) => {
      const claimed = await this.#tenants.findOneAndUpdate({ _id: tenantId }, { $inc: { guardWrites: 1 } }, { session, returnDocument: "before" });
      if (!claimed) throw notFound(tenantSubject(tenantId));
      if (await this.#users.findOne({ tenantId }, { session, projection: { _id: 1 } })) throw tenantNotEmpty(tenantId);
      await this.#tenants.deleteOne({ _id: tenantId }, { session });
      await this.#events.appendOne(session, tenantChanged("tenant.delete", documentToTenant(claimed), undefined));
    });
  }
}
