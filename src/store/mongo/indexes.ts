// Secondary indexes, created at open (createIndexes is a no-op for indexes that already exist).
// Unique ids need none: user ids and key ids are `_id`, which MongoDB always indexes uniquely.
import type { Db } from "mongodb";
import type { ApiKeyDocument, GuardDocument, SessionDocument, TenantDocument, UserDocument } from "./documents.js";
import type { DeliveryDocument, EventDocument, ExpiryWarningDocument, WebhookDocument } from "./event-documents.js";

/** Collection names. */
export const USERS = "users";
export const API_KEYS = "api_keys";
export const SESSIONS = "sessions";
export const TENANTS = "tenants";
/** The audit trail (ARCHITECTURE.md, "Events"): events keyed by seq, and the chain's head document. */
export const EVENTS = "events";
export const EVENT_CHAIN = "event_chain";
export const WEBHOOKS = "webhooks";
/** The webhook outbox: one document per webhook and event. */
export const DELIVERIES = "deliveries";
/** One marker per expiry warning given. */
export const EXPIRY_WARNINGS = "expiry_warnings";
/** One document per cross-record guard, written by every transaction the guard decides (see users.ts). */
export const GUARDS = "guards";
/** The guard document of the last-admin rule. */
export const ACTIVE_ADMINS_GUARD = "active_admins";

/**
 * Creates the guard documents, outside any transaction, so that transactions only ever update them
 * (creating a collection or document inside a transaction is what older servers refuse).
 */
export async function ensureGuards(db: Db): Promise<void> {
  await db.collection<GuardDocument>(GUARDS).updateOne({ _id: ACTIVE_ADMINS_GUARD }, { $setOnInsert: { writes: 0 } }, { upsert: true });
}

/** Creates every index the store's queries use. */
export async function ensureIndexes(db: Db): Promise<void> {
  await db.collection<UserDocument>(USERS).createIndexes([
    // listUsers: newest first, `_id` breaking ties, matching the keyset cursor.
    { key: { createdAt: -1, _id: -1 }, name: "users_newest_first" },
    // countActiveAdmins.
    { key: { admin: 1, state: 1 }, name: "users_by_admin_state" },
    // listUsers of one tenant, its count, and a tenant delete's not-empty guard.
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: "users_by_tenant_newest_first" },
  ]);
  await db.collection<TenantDocument>(TENANTS).createIndexes([
    // listTenants: newest first.
    { key: { createdAt: -1, _id: -1 }, name: "tenants_newest_first" },
  ]);
  await db.collection<ApiKeyDocument>(API_KEYS).createIndexes([
    // listApiKeys, countApiKeys and the cascade delete: one user's keys, newest first.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "api_keys_by_user_newest_first" },
    // The expiry warnings' sweep: keys expiring within a lead time (keys without an expiry are not in it).
    { key: { expiresAt: 1 }, name: "api_keys_by_expiry", partialFilterExpression: { expiresAt: { $exists: true } } },
  ]);
  await db.collection<SessionDocument>(SESSIONS).createIndexes([
    // listSessions, pruning, and ending a user's sessions: one user's sessions, newest first.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "sessions_by_user_newest_first" },
  ]);
  await ensureEventIndexes(db);
}

/** The index a list with `since` finds its first event in. */
export const EVENTS_BY_TIME = "events_by_time";

/** The audit trail's indexes: each event filter walks its index in seq order, newest or oldest first. */
async function ensureEventIndexes(db: Db): Promise<void> {
  await db.collection<EventDocument>(EVENTS).createIndexes([
    { key: { "subject.tenantId": 1, _id: -1 }, name: "events_by_subject_tenant" },
    // A user's events are those it is the subject or the actor of: two indexes, merged in seq order.
    { key: { "subject.userId": 1, _id: -1 }, name: "events_by_subject_user" },
    { key: { "actor.userId": 1, _id: -1 }, name: "events_by_actor_user" },
    { key: { "subject.apiKeyId": 1, _id: -1 }, name: "events_by_subject_api_key" },
    // A type prefix is an anchored regex: a range of this index.
    { key: { type: 1, _id: -1 }, name: "events_by_type" },
    // A list with `since`: the window's first event, read from this index alone.
    { key: { time: 1, _id: 1 }, name: EVENTS_BY_TIME },
  ]);
  await db.collection<WebhookDocument>(WEBHOOKS).createIndexes([
    { key: { createdAt: -1, _id: -1 }, name: "webhooks_newest_first" },
    // One scope's list and count, the create's cap, and the appender's match (enabled, in scope).
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: "webhooks_by_tenant_newest_first" },
  ]);
  await db.collection<DeliveryDocument>(DELIVERIES).createIndexes([
    // The claim: due pending deliveries, most overdue first (a claim moves nextAttemptAt to its lease's end).
    { key: { state: 1, nextAttemptAt: 1, eventSeq: 1 }, name: "deliveries_due" },
    // A webhook's pending count and its delete.
    { key: { webhookId: 1, state: 1 }, name: "deliveries_by_webhook_state" },
    // Pruning events takes their deliveries with them.
    { key: { eventSeq: 1 }, name: "deliveries_by_event" },
    // Pruning finished deliveries.
    { key: { finishedAt: 1 }, name: "deliveries_finished", partialFilterExpression: { finishedAt: { $exists: true } } },
  ]);
  // A marker is needed only until the key's expiry it was given for: past it, the key is no longer swept.
  await db
    .collection<ExpiryWarningDocument>(EXPIRY_WARNINGS)
    .createIndexes([{ key: { expiresAt: 1 }, name: "expiry_warnings_ttl", expireAfterSeconds: 0 }]);
}
