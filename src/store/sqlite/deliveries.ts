// The webhook outbox (ARCHITECTURE.md, "Events"): deliveries queued in their event's transaction, claimed
// under a lease in one IMMEDIATE write, finished once by the lease's owner.
import { webhookMatches } from "../webhook-match.js";
import type { ClaimedDelivery, DeliveryLease, DeliveryOutcome, DeliveryStore, EventRecord, WebhookRecord } from "../store.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import { EVENT_COLUMNS, rowToEvent, type EventRow } from "./event-rows.js";
import { webhookReader, type ReadWebhook } from "./webhooks.js";

/** The outbox's SQL, exported so tests can EXPLAIN exactly what runs. */
export const DELIVERY_SQL = {
  // The appender's match: the enabled webhooks of the system and of the event's tenant, each one seek.
  systemWebhooks: "SELECT webhook_id, event_types FROM webhooks WHERE tenant_id IS NULL AND enabled = 1",
  tenantWebhooks: "SELECT webhook_id, event_types FROM webhooks WHERE tenant_id = ? AND enabled = 1",
  queue: `INSERT INTO webhook_deliveries (webhook_id, event_seq, state, attempts, next_attempt_at, queued_at)
    VALUES (@webhook_id, @event_seq, 'pending', 0, @queued_at, @queued_at)`,
  // A claim moves next_attempt_at to its lease's end, so "due" also means "no live lease".
  due: `SELECT webhook_id, event_seq, attempts, queued_at FROM webhook_deliveries
    WHERE state = 'pending' AND next_attempt_at <= @now ORDER BY next_attempt_at, event_seq LIMIT @limit`,
  lease: `UPDATE webhook_deliveries SET lease_owner = @owner, lease_until = @until, next_attempt_at = @until
    WHERE webhook_id = @webhook_id AND event_seq = @event_seq`,
  event: `SELECT ${EVENT_COLUMNS} FROM events WHERE seq = ?`,
  leaseOf: "SELECT lease_owner, state FROM webhook_deliveries WHERE webhook_id = ? AND event_seq = ?",
  finish: `UPDATE webhook_deliveries SET state = @state, attempts = attempts + 1,
    next_attempt_at = coalesce(@next_attempt_at, next_attempt_at), finished_at = @finished_at,
    lease_owner = NULL, lease_until = NULL WHERE webhook_id = @webhook_id AND event_seq = @event_seq`,
  count: `UPDATE webhooks SET delivered = delivered + @delivered, failed = failed + @failed,
    last_attempt_at = @at, last_status = @status, last_error = @error,
    last_success_at = coalesce(@success_at, last_success_at) WHERE webhook_id = @webhook_id`,
  pending: "SELECT count(*) AS n FROM webhook_deliveries WHERE state = 'pending'",
  prune: `DELETE FROM webhook_deliveries WHERE (webhook_id, event_seq) IN
    (SELECT webhook_id, event_seq FROM webhook_deliveries WHERE finished_at < @before LIMIT @limit)`,
} as const;

/** Queues the event's deliveries; call it inside the event's transaction (the appender does). */
export type QueueDeliveries = (event: EventRecord) => void;

/** The outbox's queue on `db`: one pending delivery per enabled webhook that matches the event. */
export function deliveryQueue(db: SqliteDatabase): QueueDeliveries {
  const system = db.prepare<[], { webhook_id: string; event_types: string }>(DELIVERY_SQL.systemWebhooks);
  const ofTenant = db.prepare<[string], { webhook_id: string; event_types: string }>(DELIVERY_SQL.tenantWebhooks);
  const queue = db.prepare<{ webhook_id: string; event_seq: number; queued_at: number }>(DELIVERY_SQL.queue);
  return (event) => {
    const tenantId = event.subject.tenantId;
    const candidates = [
      ...system.all().map((row) => ({ row, tenantId: undefined })),
      ...(tenantId === undefined ? [] : ofTenant.all(tenantId).map((row) => ({ row, tenantId }))),
    ];
    const queuedAt = Date.now();
    for (const { row, tenantId: scope } of candidates) {
      if (webhookMatches({ tenantId: scope, eventTypes: JSON.parse(row.event_types) as string[] }, event)) {
        queue.run({ webhook_id: row.webhook_id, event_seq: event.seq, queued_at: queuedAt });
      }
    }
  };
}

interface DueRow {
  webhook_id: string;
  event_seq: number;
  attempts: number;
  queued_at: number;
}

interface FinishParams {
  webhook_id: string;
  event_seq: number;
  state: "pending" | "delivered" | "failed";
  next_attempt_at: number | null;
  finished_at: number | null;
}

interface CountParams {
  webhook_id: string;
  delivered: number;
  failed: number;
  at: number;
  status: number;
  error: string | null;
  success_at: number | null;
}

/** The outbox's slice of the Store, on one connection. */
export class SqliteDeliveries implements DeliveryStore {
  readonly #db: SqliteDatabase;
  readonly #readWebhook: ReadWebhook;
  readonly #due;
  readonly #lease;
  readonly #event;
  readonly #leaseOf;
  readonly #finish;
  readonly #count;
  readonly #pending;
  readonly #prune;
  readonly #claimTransaction;
  readonly #finishTransaction;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#readWebhook = webhookReader(db);
    this.#due = db.prepare<{ now: number; limit: number }, DueRow>(DELIVERY_SQL.due);
    this.#lease = db.prepare<{ owner: string; until: number; webhook_id: string; event_seq: number }>(DELIVERY_SQL.lease);
    this.#event = db.prepare<[number], EventRow>(DELIVERY_SQL.event);
    this.#leaseOf = db.prepare<[string, number], { lease_owner: string | null; state: string }>(DELIVERY_SQL.leaseOf);
    this.#finish = db.prepare<FinishParams>(DELIVERY_SQL.finish);
    this.#count = db.prepare<CountParams>(DELIVERY_SQL.count);
    this.#pending = db.prepare<[], { n: number }>(DELIVERY_SQL.pending);
    this.#prune = db.prepare<{ before: number; limit: number }>(DELIVERY_SQL.prune);
    this.#claimTransaction = db.transaction((now: number, lease: DeliveryLease, limit: number): ClaimedDelivery[] => {
      const due = this.#due.all({ now, limit });
      const until = lease.until.getTime();
      for (const row of due) this.#lease.run({ owner: lease.owner, until, webhook_id: row.webhook_id, event_seq: row.event_seq });
      const webhooks = new Map<string, WebhookRecord | undefined>();
      const claimed: ClaimedDelivery[] = [];
      for (const row of due) {
        if (!webhooks.has(row.webhook_id)) webhooks.set(row.webhook_id, this.#readWebhook(row.webhook_id));
        const webhook = webhooks.get(row.webhook_id);
        const event = this.#event.get(row.event_seq);
        // Both are references that cascade, so a queued delivery always has them.
        if (!webhook || !event) continue;
        claimed.push({ webhook, event: rowToEvent(event), attempts: row.attempts, queuedAt: new Date(row.queued_at) });
      }
      return claimed;
    });
    this.#finishTransaction = db.transaction((webhookId: string, eventSeq: number, owner: string, outcome: DeliveryOutcome): boolean => {
      const current = this.#leaseOf.get(webhookId, eventSeq);
      if (!current || current.state !== "pending" || current.lease_owner !== owner) return false;
      const at = outcome.at.getTime();
      const delivered = outcome.result === "delivered";
      const failed = outcome.result === "failed";
      this.#finish.run({
        webhook_id: webhookId,
        event_seq: eventSeq,
        state: outcome.result === "retry" ? "pending" : outcome.result,
        next_attempt_at: outcome.result === "retry" ? outcome.nextAttemptAt.getTime() : null,
        finished_at: outcome.result === "retry" ? null : at,
      });
      this.#count.run({
        webhook_id: webhookId,
        delivered: delivered ? 1 : 0,
        failed: failed ? 1 : 0,
        at,
        status: outcome.status,
        error: outcome.result === "delivered" ? null : outcome.error,
        success_at: delivered ? at : null,
      });
      return true;
    });
  }

  /** IMMEDIATE: the write lock is held from the read of due deliveries to their lease, across connections. */
  async claimDeliveries(now: Date, lease: DeliveryLease, limit: number): Promise<ClaimedDelivery[]> {
    return runSqlite(this.#db, undefined, () => (limit <= 0 ? [] : this.#claimTransaction.immediate(now.getTime(), lease, limit)));
  }

  async finishDelivery(webhookId: string, eventSeq: number, owner: string, outcome: DeliveryOutcome): Promise<boolean> {
    return runSqlite(this.#db, undefined, () => this.#finishTransaction.immediate(webhookId, eventSeq, owner, outcome));
  }

  async countPendingDeliveries(): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#pending.get()?.n ?? 0);
  }

  async pruneDeliveries(before: Date, limit: number): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#prune.run({ before: before.getTime(), limit }).changes);
  }
}
