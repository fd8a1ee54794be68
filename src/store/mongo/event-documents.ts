// Document shapes of the audit trail's collections (events, the chain head, webhooks, their deliveries,
// expiry warnings) and their mapping to store records (ARCHITECTURE.md, "Events").
import type { EventRecord, WebhookDeliveryCounters, WebhookRecord } from "../store.js";

/** The chain's head document's id. */
export const CHAIN_HEAD_ID = "events";

/**
 * The chain's one head document: the newest event's seq and hash (where the next one links) and the
 * retention's anchor (the newest pruned event's seq and hash).
 */
export interface EventChainDocument {
  _id: typeof CHAIN_HEAD_ID;
  seq: number;
  hash: string;
  prunedThroughSeq: number;
  prunedThroughHash: string;
}

/** An `events` document: the record's fields keyed by its seq. Absent optionals are absent fields, never null. */
export interface EventDocument extends Omit<EventRecord, "seq"> {
  _id: number;
}

/** The document storing `event`. Undefined optionals are left out: the driver would write null. */
export function eventToDocument(event: EventRecord): EventDocument {
  const doc: EventDocument = {
    _id: event.seq,
    time: event.time,
    type: event.type,
    actor: present(event.actor),
    subject: present(event.subject),
    client: present(event.client),
    changed: event.changed.map((change) => present(change)),
    count: event.count,
    previousHash: event.previousHash,
    hash: event.hash,
  };
  if (event.reason !== undefined) doc.reason = event.reason;
  return doc;
}

/** The record an event document holds. A null written by another tool reads as absent. */
export function documentToEvent(doc: EventDocument): EventRecord {
  const event: EventRecord = {
    seq: doc._id,
    time: doc.time,
    type: doc.type,
    actor: present(doc.actor ?? {}),
    subject: present(doc.subject ?? {}),
    client: present(doc.client ?? {}),
    changed: (doc.changed ?? []).map((change) => present(change)),
    count: doc.count,
    previousHash: doc.previousHash,
    hash: doc.hash,
  };
  if (doc.reason != null) event.reason = doc.reason;
  return event;
}

/** A `webhooks` document: the record's fields keyed by `_id`, its stored counters and a version. */
export interface WebhookDocument extends Omit<WebhookRecord, "webhookId" | "delivery"> {
  _id: string;
  /** The counters {@link DeliveryDocument} outcomes maintain; `pending` is counted when read. */
  delivery: Omit<WebhookDeliveryCounters, "pending">;
  /** Incremented on every change of the record's fields; updates are conditional on it. */
  version: number;
}

/** The document for a new webhook: counters start at zero whatever the record says. */
export function newWebhookDocument(webhook: WebhookRecord): WebhookDocument {
  return { _id: webhook.webhookId, ...webhookFields(webhook), secretSalt: webhook.secretSalt, delivery: { delivered: 0, failed: 0 }, version: 0 };
}

/** What an update may change, and `tenantId` (set once, by the create; absent for a system webhook). */
export function webhookFields(webhook: WebhookRecord): Pick<WebhookDocument, "tenantId" | "url" | "eventTypes" | "enabled" | "createdAt" | "updatedAt"> {
  return {
    ...(webhook.tenantId === undefined ? {} : { tenantId: webhook.tenantId }),
    url: webhook.url,
    eventTypes: [...webhook.eventTypes],
    enabled: webhook.enabled,
    createdAt: webhook.createdAt,
    updatedAt: webhook.updatedAt,
  };
}

/** The record a webhook document holds, with `pending` deliveries counted by the caller. */
export function documentToWebhook(doc: WebhookDocument, pending: number): WebhookRecord {
  const webhook: WebhookRecord = {
    webhookId: doc._id,
    url: doc.url,
    eventTypes: [...doc.eventTypes],
    enabled: doc.enabled,
    secretSalt: doc.secretSalt,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    delivery: { pending, ...present(doc.delivery ?? { delivered: 0, failed: 0 }) },
  };
  if (doc.tenantId != null) webhook.tenantId = doc.tenantId;
  return webhook;
}

/** Where a delivery stands: waiting (or leased), or finished one way or the other. */
export type DeliveryState = "pending" | "delivered" | "failed";

/** A `deliveries` document: one event to one webhook, queued in the event's transaction. */
export interface DeliveryDocument {
  /** {@link deliveryId}: one delivery per webhook and event. */
  _id: string;
  webhookId: string;
  eventSeq: number;
  state: DeliveryState;
  /** Attempts finished so far. */
  attempts: number;
  /** When it is due; a claim moves it to the lease's end, so an abandoned lease falls due again. */
  nextAttemptAt: Date;
  /** The process holding it, while leased or after its last claim. */
  leaseOwner?: string;
  leaseUntil?: Date;
  queuedAt: Date;
  /** When it was delivered or given up. */
  finishedAt?: Date;
}

/** The id of `webhookId`'s delivery of event `eventSeq`. */
export function deliveryId(webhookId: string, eventSeq: number): string {
  return `${eventSeq}:${webhookId}`;
}

/** An `expiry_warnings` document: the marker of one warning given, for one key, point and expiry. */
export interface ExpiryWarningDocument {
  /** {@link expiryWarningId}: its uniqueness makes each warning once. */
  _id: string;
  keyId: string;
  leadMs: number;
  /** The key's expiry when warned; a TTL index removes the marker once it has passed. */
  expiresAt: Date;
  warnedAt: Date;
}

/** The id of the marker of `keyId`'s warning `leadMs` before `expiresAt`. */
export function expiryWarningId(keyId: string, leadMs: number, expiresAt: Date): string {
  return `${keyId}:${leadMs}:${expiresAt.getTime()}`;
}

/** `value` without its undefined or null fields. */
function present<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== null)) as T;
}
