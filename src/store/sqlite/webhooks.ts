// The webhooks table (ARCHITECTURE.md, "Events"): its SQL and operations, as statements prepared once per
// connection. Delivery counters are written by deliveries.ts; the pending count is counted when read.
import { decodePageToken } from "../page-token.js";
import { fetchSize, toPage, webhookListScope } from "../pagination.js";
import { checkUpdatedWebhook, checkWebhookRecord } from "../record-checks.js";
import { found, notFound, webhookLimitReached, webhookSubject } from "../store-errors.js";
import type { Guard, Page, Updater, WebhookListRequest, WebhookRecord, WebhookStore } from "../store.js";
import { rowReader, type SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";

/** The columns of a webhook as read, its pending deliveries counted from the outbox's per-webhook index. */
export const WEBHOOK_COLUMNS = `webhook_id, tenant_id, url, event_types, enabled, secret_salt, created_at, updated_at,
  delivered, failed, last_attempt_at, last_status, last_error, last_success_at,
  (SELECT count(*) FROM webhook_deliveries AS d WHERE d.webhook_id = webhooks.webhook_id AND d.state = 'pending') AS pending`;

/** The webhooks table's SQL, exported so tests can EXPLAIN exactly what runs. */
export const WEBHOOK_SQL = {
  insert: `INSERT INTO webhooks (webhook_id, tenant_id, url, event_types, enabled, secret_salt, created_at, updated_at)
    VALUES (@webhook_id, @tenant_id, @url, @event_types, @enabled, @secret_salt, @created_at, @updated_at)`,
  get: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE webhook_id = ?`,
  update: `UPDATE webhooks SET url = @url, event_types = @event_types, enabled = @enabled, created_at = @created_at,
    updated_at = @updated_at WHERE webhook_id = @webhook_id`,
  // Its deliveries go with it through ON DELETE CASCADE.
  delete: "DELETE FROM webhooks WHERE webhook_id = ?",
  countOfSystem: "SELECT count(*) AS n FROM webhooks WHERE tenant_id IS NULL",
  countOfTenant: "SELECT count(*) AS n FROM webhooks WHERE tenant_id = ?",
  count: "SELECT count(*) AS n FROM webhooks",
  firstPage: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks ORDER BY created_at DESC, webhook_id DESC LIMIT @limit`,
  pageAfter: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE (created_at, webhook_id) < (@created_at, @id)
    ORDER BY created_at DESC, webhook_id DESC LIMIT @limit`,
  firstPageOfTenant: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = @tenant_id
    ORDER BY created_at DESC, webhook_id DESC LIMIT @limit`,
  pageAfterOfTenant: `SELECT ${WEBHOOK_COLUMNS} FROM webhooks WHERE tenant_id = @tenant_id
    AND (created_at, webhook_id) < (@created_at, @id) ORDER BY created_at DESC, webhook_id DESC LIMIT @limit`,
} as const;

/** A webhooks row as {@link WEBHOOK_COLUMNS} reads it. */
export interface WebhookRow {
  webhook_id: string;
  tenant_id: string | null;
  url: string;
  event_types: string;
  enabled: number;
  secret_salt: string;
  created_at: number;
  updated_at: number;
  delivered: number;
  failed: number;
  last_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  last_success_at: number | null;
  pending: number;
}

type WritableRow = Pick<WebhookRow, "webhook_id" | "tenant_id" | "url" | "event_types" | "enabled" | "secret_salt" | "created_at" | "updated_at">;
type Cursor = { created_at: number; id: string };

/** Maps a row back to a record; absent counters' fields stay absent. */
export function rowToWebhook(row: WebhookRow): WebhookRecord {
  const webhook: WebhookRecord = {
    webhookId: row.webhook_id,
    url: row.url,
    eventTypes: JSON.parse(row.event_types) as string[],
    enabled: row.enabled === 1,
    secretSalt: row.secret_salt,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    delivery: { pending: row.pending, delivered: row.delivered, failed: row.failed },
  };
  if (row.tenant_id !== null) webhook.tenantId = row.tenant_id;
  if (row.last_attempt_at !== null) webhook.delivery.lastAttemptAt = new Date(row.last_attempt_at);
  if (row.last_status !== null) webhook.delivery.lastStatus = row.last_status;
  if (row.last_error !== null) webhook.delivery.lastError = row.last_error;
  if (row.last_success_at !== null) webhook.delivery.lastSuccessAt = new Date(row.last_success_at);
  return webhook;
}

function webhookToRow(webhook: WebhookRecord): WritableRow {
  return {
    webhook_id: webhook.webhookId,
    tenant_id: webhook.tenantId ?? null,
    url: webhook.url,
    event_types: JSON.stringify(webhook.eventTypes),
    enabled: webhook.enabled ? 1 : 0,
    secret_salt: webhook.secretSalt,
    created_at: webhook.createdAt.getTime(),
    updated_at: webhook.updatedAt.getTime(),
  };
}

/** Reads one webhook on `db`; inside another table's transaction it reads what that transaction sees. */
export type ReadWebhook = (webhookId: string) => WebhookRecord | undefined;

/** The webhook reader on `db`, for the outbox's claims. */
export function webhookReader(db: SqliteDatabase): ReadWebhook {
  return rowReader(db, WEBHOOK_SQL.get, rowToWebhook);
}

/** The webhooks' slice of the Store, on one connection. */
export class SqliteWebhooks implements WebhookStore {
  readonly #db: SqliteDatabase;
  readonly #find: ReadWebhook;
  readonly #insert;
  readonly #update;
  readonly #delete;
  readonly #countOfSystem;
  readonly #countOfTenant;
  readonly #count;
  readonly #firstPage;
  readonly #pageAfter;
  readonly #firstPageOfTenant;
  readonly #pageAfterOfTenant;
  readonly #createTransaction;
  readonly #updateTransaction;
  readonly #deleteTransaction;
  readonly #listTransaction;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#find = webhookReader(db);
    this.#insert = db.prepare<WritableRow>(WEBHOOK_SQL.insert);
    this.#update = db.prepare<WritableRow>(WEBHOOK_SQL.update);
    this.#delete = db.prepare<[string]>(WEBHOOK_SQL.delete);
    this.#countOfSystem = db.prepare<[], { n: number }>(WEBHOOK_SQL.countOfSystem);
    this.#countOfTenant = db.prepare<[string], { n: number }>(WEBHOOK_SQL.countOfTenant);
    this.#count = db.prepare<[], { n: number }>(WEBHOOK_SQL.count);
    this.#firstPage = db.prepare<{ limit: number }, WebhookRow>(WEBHOOK_SQL.firstPage);
    this.#pageAfter = db.prepare<Cursor & { limit: number }, WebhookRow>(WEBHOOK_SQL.pageAfter);
    this.#firstPageOfTenant = db.prepare<{ tenant_id: string; limit: number }, WebhookRow>(WEBHOOK_SQL.firstPageOfTenant);
    this.#pageAfterOfTenant = db.prepare<Cursor & { tenant_id: string; limit: number }, WebhookRow>(WEBHOOK_SQL.pageAfterOfTenant);
    // The scope's count and the insert under the write lock: the cap holds across connections.
    this.#createTransaction = db.transaction((webhook: WebhookRecord, maxPerScope: number) => {
      if (this.#countOfScope(webhook.tenantId) >= maxPerScope) throw webhookLimitReached(webhook.tenantId, maxPerScope);
      this.#insert.run(webhookToRow(webhook));
    });
    this.#updateTransaction = db.transaction((webhookId: string, updater: Updater<WebhookRecord>) => {
      const current = this.#mustGet(webhookId);
      const next = updater(current);
      checkUpdatedWebhook(current, next);
      this.#update.run(webhookToRow(next));
      return this.#mustGet(webhookId);
    });
    this.#deleteTransaction = db.transaction((webhookId: string, guard: Guard<WebhookRecord> | undefined) => {
      const current = this.#mustGet(webhookId);
      guard?.(current);
      this.#delete.run(webhookId);
    });
    // One read transaction, so the page and its totalSize come from the same snapshot.
    this.#listTransaction = db.transaction((request: WebhookListRequest) => this.#list(request));
  }

  async createWebhook(webhook: WebhookRecord, maxPerScope: number): Promise<void> {
    return runSqlite(this.#db, webhookSubject(webhook.webhookId), () => {
      checkWebhookRecord(webhook);
      this.#createTransaction.immediate(webhook, maxPerScope);
    });
  }

  async getWebhook(webhookId: string): Promise<WebhookRecord> {
    return found(await runSqlite(this.#db, webhookSubject(webhookId), () => this.#find(webhookId)), webhookSubject(webhookId));
  }

  async listWebhooks(request: WebhookListRequest): Promise<Page<WebhookRecord>> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(request));
  }

  /** Read, update and write under one IMMEDIATE transaction. */
  async updateWebhook(webhookId: string, updater: Updater<WebhookRecord>): Promise<WebhookRecord> {
    return runSqlite(this.#db, webhookSubject(webhookId), () => this.#updateTransaction.immediate(webhookId, updater));
  }

  /** The guard and the delete (with its queued deliveries) under one IMMEDIATE transaction. */
  async deleteWebhook(webhookId: string, guard?: Guard<WebhookRecord>): Promise<void> {
    return runSqlite(this.#db, webhookSubject(webhookId), () => this.#deleteTransaction.immediate(webhookId, guard));
  }

  #countOfScope(tenantId: string | undefined): number {
    return (tenantId === undefined ? this.#countOfSystem.get() : this.#countOfTenant.get(tenantId))?.n ?? 0;
  }

  #list(request: WebhookListRequest): Page<WebhookRecord> {
    const { tenantId } = request;
    const scope = webhookListScope(tenantId);
    const after = decodePageToken(scope, request.pageToken);
    const limit = fetchSize(request.pageSize);
    const cursor = after && { created_at: after.createdAt.getTime(), id: after.id };
    let rows: WebhookRow[];
    let total: number;
    if (tenantId === undefined) {
      rows = cursor ? this.#pageAfter.all({ ...cursor, limit }) : this.#firstPage.all({ limit });
      total = this.#count.get()?.n ?? 0;
    } else {
      const tenant = { tenant_id: tenantId, limit };
      rows = cursor ? this.#pageAfterOfTenant.all({ ...cursor, ...tenant }) : this.#firstPageOfTenant.all(tenant);
      total = this.#countOfScope(tenantId);
    }
    return toPage(rows.map(rowToWebhook), request.pageSize, total, scope, (w) => ({ createdAt: w.createdAt, id: w.webhookId }));
  }

  #mustGet(webhookId: string): WebhookRecord {
    const webhook = this.#find(webhookId);
    if (!webhook) throw notFound(webhookSubject(webhookId));
    return webhook;
  }
}
