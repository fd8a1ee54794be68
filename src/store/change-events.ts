// What each change records about itself (ARCHITECTURE.md, "Events"): the one description of changes,
// called by both adapters inside the write that makes the change, from the records before and after it.
// Values appear only for the fields that decide what a credential can do (rights, state, expiry,
// networks, admin); other fields are named without values, and secrets and hashes never appear.
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
