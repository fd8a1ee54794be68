/**
 * Record ↔ message conversion. Store records are plain types (ARCHITECTURE.md, "Layout"); messages are built here and
 * only here. An ApiKey message is built field by field from the record, so the secret hash cannot leak
 * into a response by accident.
 */
import { create } from "@bufbuild/protobuf";
import { durationFromMs, timestampDate, timestampFromDate, type Timestamp } from "@bufbuild/protobuf/wkt";
import { ApiKeySchema, ApiKeyState, RateLimitSchema, UsageRefillSchema, type ApiKey } from "../../gen/keyward/v1/api_key_pb.js";
import { EventSchema, type Event } from "../../gen/keyward/v1/event_pb.js";
import { SessionSchema, type Session } from "../../gen/keyward/v1/session_pb.js";
import { TenantSchema, type Tenant } from "../../gen/keyward/v1/tenant_pb.js";
import { UserSchema, UserState, type User } from "../../gen/keyward/v1/user_pb.js";
import { WebhookDeliveryStateSchema, WebhookSchema, type Webhook } from "../../gen/keyward/v1/webhook_pb.js";
import type {
  WebhookRecord,
  ApiKeyRecord,
  EventRecord,
  SessionRecord,
  TenantRecord,
  ApiKeyState as StoredKeyState,
  UserRecord,
  UserState as StoredUserState,
} from "../store/store.js";
import { creditsAt } from "../store/usage-credits.js";

export function userToMessage(user: UserRecord): User {
  return create(UserSchema, {
    userId: user.userId,
    name: user.name,
    email: user.email,
    admin: user.admin,
    state: user.state === "active" ? UserState.ACTIVE : UserState.SUSPENDED,
    createdAt: timestampFromDate(user.createdAt),
    updatedAt: timestampFromDate(user.updatedAt),
    // `password` is input only: never set here. Whether there is one is all a response says.
    hasPassword: user.passwordSetAt !== undefined,
    tenantId: user.tenantId ?? "",
  });
}

export function tenantToMessage(tenant: TenantRecord): Tenant {
  return create(TenantSchema, {
    tenantId: tenant.tenantId,
    name: tenant.name,
    createdAt: timestampFromDate(tenant.createdAt),
    updatedAt: timestampFromDate(tenant.updatedAt),
  });
}

/** A session's message: never its token or hash. `end` is when it ends unless used again. */
export function sessionToMessage(session: SessionRecord, end: Date): Session {
  return create(SessionSchema, {
    id: session.id,
    userId: session.userId,
    createdAt: timestampFromDate(session.createdAt),
    lastUsedAt: timestampFromDate(session.lastUsedAt),
    expiresAt: timestampFromDate(end),
    userAgent: session.userAgent,
    address: session.address,
  });
}

/**
 * A key's message as of `now`: its remaining uses and next refill are read through `creditsAt`, so a
 * refill that fell due shows even before a call takes a use.
 */
export function apiKeyToMessage(key: ApiKeyRecord, now: Date): ApiKey {
  const credits = creditsAt(key, now);
  return create(ApiKeySchema, {
    id: key.id,
    userId: key.userId,
    name: key.name,
    rights: [...key.rights],
    state: key.state === "active" ? ApiKeyState.ACTIVE : ApiKeyState.DISABLED,
    expiresAt: optionalTimestamp(key.expiresAt),
    createdAt: timestampFromDate(key.createdAt),
    updatedAt: timestampFromDate(key.updatedAt),
    lastUsedAt: optionalTimestamp(key.lastUsedAt),
    previousSecretValidUntil: optionalTimestamp(key.previousSecretValidUntil),
    allowedIps: key.allowedIps ? [...key.allowedIps] : [],
    lastUsedIp: key.lastUsedIp ?? "",
    lastUsedUserAgent: key.lastUsedUserAgent ?? "",
    rateLimit: key.rateLimit && create(RateLimitSchema, { requests: key.rateLimit.requests, period: durationFromMs(key.rateLimit.periodMs) }),
    remainingUses: credits?.remaining,
    refill: key.refill && create(UsageRefillSchema, { amount: key.refill.amount, period: durationFromMs(key.refill.periodMs) }),
    nextRefillAt: optionalTimestamp(credits?.nextRefillAt),
    metadata: { ...key.metadata },
  });
}

/** The stored user state for a message state; undefined for UNSPECIFIED or unknown numbers. */
export function storedUserState(state: UserState): StoredUserState | undefined {
  if (state === UserState.ACTIVE) return "active";
  if (state === UserState.SUSPENDED) return "suspended";
  return undefined;
}

/** The stored key state for a message state; undefined for UNSPECIFIED or unknown numbers. */
export function storedKeyState(state: ApiKeyState): StoredKeyState | undefined {
  if (state === ApiKeyState.ACTIVE) return "active";
  if (state === ApiKeyState.DISABLED) return "disabled";
  return undefined;
}

/** Milliseconds of a timestamp, or undefined when unset. */
export function timestampMs(timestamp: Timestamp | undefined): number | undefined {
  return timestamp ? timestampDate(timestamp).getTime() : undefined;
}

function optionalTimestamp(date: Date | undefined): Timestamp | undefined {
  return date ? timestampFromDate(date) : undefined;
}

/** Digits of an event id: its seq, zero-padded so ids sort as text as they sort as numbers. */
export const EVENT_ID_DIGITS = 16;

/** The id of the event at `seq` (`0000000000000042`). */
export function eventIdOf(seq: number): string {
  return String(seq).padStart(EVENT_ID_DIGITS, "0");
}

/** The seq an event id names, or undefined when the text is not an event id. */
export function seqOfEventId(id: string): number | undefined {
  if (!/^\d{16}$/.test(id)) return undefined;
  const seq = Number(id);
  return Number.isSafeInteger(seq) ? seq : undefined;
}

/** An event as the API shows it: every field but its own hash (the next event's link holds it). */
export function eventToMessage(event: EventRecord): Event {
  return create(EventSchema, {
    id: eventIdOf(event.seq),
    time: timestampFromDate(event.time),
    type: event.type,
    actor: { userId: event.actor.userId ?? "", apiKeyId: event.actor.apiKeyId ?? "", sessionId: event.actor.sessionId ?? "" },
    subject: {
      tenantId: event.subject.tenantId ?? "",
      userId: event.subject.userId ?? "",
      apiKeyId: event.subject.apiKeyId ?? "",
      sessionId: event.subject.sessionId ?? "",
    },
    client: { address: event.client.address ?? "", userAgent: event.client.userAgent ?? "" },
    changed: event.changed.map((c) => ({ field: c.field, before: c.before ?? "", after: c.after ?? "" })),
    reason: event.reason ?? "",
    count: event.count,
    previousHash: event.previousHash,
  });
}

/** A webhook message, built field by field: its secret salt never leaves the store. */
export function webhookToMessage(webhook: WebhookRecord): Webhook {
  const d = webhook.delivery;
  return create(WebhookSchema, {
    webhookId: webhook.webhookId,
    url: webhook.url,
    eventTypes: [...webhook.eventTypes],
    enabled: webhook.enabled,
    tenantId: webhook.tenantId ?? "",
    createdAt: timestampFromDate(webhook.createdAt),
    updatedAt: timestampFromDate(webhook.updatedAt),
    delivery: create(WebhookDeliveryStateSchema, {
      pending: BigInt(d.pending),
      delivered: BigInt(d.delivered),
      failed: BigInt(d.failed),
      lastAttemptAt: optionalTimestamp(d.lastAttemptAt),
      lastStatus: d.lastStatus ?? 0,
      lastError: d.lastError ?? "",
      lastSuccessAt: optionalTimestamp(d.lastSuccessAt),
    }),
  });
}
