// What each change records about itself (ARCHITECTURE.md, "Events"): the one description of changes,
// called by both adapters inside the write that makes the change, from the records before and after it.
// Values appear only for the fields that decide what a credential can do (rights, state, expiry,
// networks, admin, rate limit, usage credits and refill); other fields (name, email, metadata) are named
// without values, and secrets and hashes never appear. A use of a key (its last use, a lease of its
// credits) is not a change and records nothing.
import { currentEventContext } from "./event-context.js";
import type { ApiKeyRecord, EventChange, EventSubject, NewEvent, SessionRecord, TenantRecord, UserRecord } from "./store.js";

/**
 * The event of a change of `type` to `subject` at `time`, with the current call's actor and client; a
 * context with a cause gives the event the cause's type and reason instead.
 */
export function changeEvent(type: string, subject: EventSubject, changed: EventChange[] = [], time = new Date()): NewEvent {
  const context = currentEventContext();
  const cause = context?.cause;
  return {
    time,
    type: cause?.type ?? type,
    actor: { ...context?.actor },
    subject: dropAbsent(subject),
    client: { ...context?.client },
    changed,
    ...(cause?.reason === undefined ? {} : { reason: cause.reason }),
    count: 1,
  };
}

/** `user.create`. */
export function userCreated(user: UserRecord): NewEvent {
  return changeEvent("user.create", userSubject(user), [
    { field: "admin", after: json(user.admin) },
    { field: "state", after: json(user.state) },
  ]);
}

/** `user.update`, or undefined when nothing a user can see changed. */
export function userUpdated(before: UserRecord, after: UserRecord): NewEvent | undefined {
  const changed = [
    ...named("name", before.name, after.name),
    ...named("email", before.email, after.email),
    ...valued("admin", before.admin, after.admin),
    ...valued("state", before.state, after.state),
  ];
  return changed.length === 0 ? undefined : changeEvent("user.update", userSubject(after), changed);
}

/** `user.delete` (its keys and sessions go with it, in the same event). */
export function userDeleted(user: UserRecord): NewEvent {
  return changeEvent("user.delete", userSubject(user));
}

/** `user.password.update`. */
export function passwordUpdated(user: UserRecord): NewEvent {
  return changeEvent("user.password.update", userSubject(user), [{ field: "password" }]);
}

/** `tenant.create`, `tenant.update` or `tenant.delete`. */
export function tenantChanged(type: "tenant.create" | "tenant.update" | "tenant.delete", before: TenantRecord | undefined, after: TenantRecord | undefined): NewEvent {
  const tenant = (after ?? before)!;
  const changed = before && after ? named("name", before.name, after.name) : [];
  return changeEvent(type, { tenantId: tenant.tenantId }, changed);
}

/** `api_key.create`. */
export function apiKeyCreated(key: ApiKeyRecord, owner: UserRecord): NewEvent {
  return changeEvent("api_key.create", keySubject(key, owner), [
    { field: "rights", after: json(key.rights) },
    { field: "state", after: json(key.state) },
    ...(key.expiresAt ? [{ field: "expires_at", after: json(key.expiresAt) }] : []),
    ...(key.allowedIps?.length ? [{ field: "allowed_ips", after: json(key.allowedIps) }] : []),
    ...(key.rateLimit ? [{ field: "rate_limit", after: json(rateLimitValue(key)) }] : []),
    ...(key.remainingUses !== undefined ? [{ field: "remaining_uses", after: json(key.remainingUses) }] : []),
    ...(key.refill ? [{ field: "refill", after: json(refillValue(key)) }] : []),
    ...(Object.keys(key.metadata ?? {}).length > 0 ? [{ field: "metadata" }] : []),
  ]);
}

/**
 * `api_key.regenerate` when the secret changed, else `api_key.update`; undefined when nothing but
 * bookkeeping (last use) changed.
 */
export function apiKeyUpdated(before: ApiKeyRecord, after: ApiKeyRecord, owner: UserRecord): NewEvent | undefined {
  const regenerated = before.secretHash !== after.secretHash;
  const changed = [
    ...(regenerated ? [{ field: "secret" }] : []),
    ...named("name", before.name, after.name),
    ...valued("rights", before.rights, after.rights),
    ...valued("state", before.state, after.state),
    ...valued("expires_at", before.expiresAt ?? null, after.expiresAt ?? null),
    ...valued("allowed_ips", before.allowedIps ?? [], after.allowedIps ?? []),
    ...valued("previous_secret_valid_until", before.previousSecretValidUntil ?? null, after.previousSecretValidUntil ?? null),
    ...valued("rate_limit", rateLimitValue(before), rateLimitValue(after)),
    ...remainingUsesChange(before, after),
    ...valued("refill", refillValue(before), refillValue(after)),
    ...named("metadata", metadataText(before), metadataText(after)),
  ];
  if (changed.length === 0) return undefined;
  return changeEvent(regenerated ? "api_key.regenerate" : "api_key.update", keySubject(after, owner), changed);
}

/** `api_key.delete`. */
export function apiKeyDeleted(key: ApiKeyRecord, owner: UserRecord | undefined): NewEvent {
  return changeEvent("api_key.delete", keySubject(key, owner));
}

/**
 * `api_key.expiring`: the warning at the point labelled `label` (its `reason`) that `key` expires at its
 * `expiresAt`. Keyward's own, whatever call is in progress: no actor, no client.
 */
export function apiKeyExpiring(key: ApiKeyRecord, owner: UserRecord | undefined, label: string, time: Date): NewEvent {
  return {
    time,
    type: "api_key.expiring",
    actor: {},
    subject: dropAbsent(keySubject(key, owner)),
    client: {},
    changed: [{ field: "expires_at", after: json(key.expiresAt ?? null) }],
    reason: label,
    count: 1,
  };
}

/** `session.create` (a sign-in). */
export function sessionCreated(session: SessionRecord, owner: UserRecord | undefined): NewEvent {
  return changeEvent("session.create", { ...userSubject(owner, session.userId), sessionId: session.id });
}

/** `session.delete` (a sign-out, or a session ended by someone). */
export function sessionDeleted(session: { id: string; userId: string }, owner: UserRecord | undefined): NewEvent {
  return changeEvent("session.delete", { ...userSubject(owner, session.userId), sessionId: session.id });
}

/** A rate limit as the API writes it (`{"requests": 5, "period": "1s"}`), null when none. */
function rateLimitValue(key: ApiKeyRecord): { requests: number; period: string } | null {
  return key.rateLimit ? { requests: key.rateLimit.requests, period: durationValue(key.rateLimit.periodMs) } : null;
}

/** A refill as the API writes it (`{"amount": 1000, "period": "86400s"}`), null when none. */
function refillValue(key: ApiKeyRecord): { amount: number; period: string } | null {
  return key.refill ? { amount: key.refill.amount, period: durationValue(key.refill.periodMs) } : null;
}

/** Metadata in a form that compares equal whatever the order of its entries. */
function metadataText(key: ApiKeyRecord): string {
  return json(Object.entries(key.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A period in protobuf Duration's JSON form. */
function durationValue(ms: number): string {
  return `${ms / 1000}s`;
}

/**
 * `remaining_uses` when an update set a new count: its value changed, or a new count of the same size
 * began (a new epoch). The count leases take between updates is not a change and is not compared.
 */
function remainingUsesChange(before: ApiKeyRecord, after: ApiKeyRecord): EventChange[] {
  const newCount = before.refilledAt?.getTime() !== after.refilledAt?.getTime() || before.remainingUses !== after.remainingUses;
  return newCount ? [{ field: "remaining_uses", before: json(before.remainingUses ?? null), after: json(after.remainingUses ?? null) }] : [];
}

function userSubject(user: UserRecord | undefined, userId = user?.userId): EventSubject {
  return { tenantId: user?.tenantId, userId };
}

function keySubject(key: ApiKeyRecord, owner: UserRecord | undefined): EventSubject {
  return { ...userSubject(owner, key.userId), apiKeyId: key.id };
}

/** A field that changed, named without its values. */
function named(field: string, before: string, after: string): EventChange[] {
  return before === after ? [] : [{ field }];
}

/** A field that changed, with its values as JSON. */
function valued(field: string, before: unknown, after: unknown): EventChange[] {
  const b = json(before);
  const a = json(after);
  return b === a ? [] : [{ field, before: b, after: a }];
}

function json(value: unknown): string {
  return JSON.stringify(value instanceof Date ? value.toISOString() : value);
}

function dropAbsent(subject: EventSubject): EventSubject {
  return Object.fromEntries(Object.entries(subject).filter(([, v]) => v !== undefined)) as EventSubject;
}
