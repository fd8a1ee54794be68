// Constructors for the StoreErrors both adapters throw, so the same failure reads the same everywhere.
import { StoreError, type StoreEntity, type UserRecord } from "./store.js";

/** What an operation was about: the entity and its id (user id or key id; both are public). */
export interface Subject {
  entity: StoreEntity;
  id: string;
}

const LABEL: Record<StoreEntity, string> = {
  user: "user",
  api_key: "API key",
  session: "session",
  attempt_counter: "attempt counter",
  tenant: "tenant",
  event: "event",
  webhook: "webhook",
};

/** `not_found` for a subject. */
export function notFound(subject: Subject, cause?: unknown): StoreError {
  return new StoreError("not_found", `${LABEL[subject.entity]} ${JSON.stringify(subject.id)} not found`, {
    entity: subject.entity,
    subjectId: subject.id,
    cause,
  });
}

/** `already_exists` for a subject. */
export function alreadyExists(subject: Subject, cause?: unknown): StoreError {
  return new StoreError("already_exists", `${LABEL[subject.entity]} ${JSON.stringify(subject.id)} already exists`, {
    entity: subject.entity,
    subjectId: subject.id,
    cause,
  });
}

/** `limit_reached`: the user already has the maximum number of keys. */
export function keyLimitReached(userId: string, maxKeysPerUser: number): StoreError {
  return new StoreError(
    "limit_reached",
    `user ${JSON.stringify(userId)} already has the maximum of ${maxKeysPerUser} API keys`,
    { entity: "api_key", subjectId: userId, limit: maxKeysPerUser },
  );
}

/** `limit_reached`: the webhook's scope (a tenant, or the system when `tenantId` is undefined) is full. */
export function webhookLimitReached(tenantId: string | undefined, maxPerScope: number): StoreError {
  const scope = tenantId === undefined ? "the system" : `tenant ${JSON.stringify(tenantId)}`;
  return new StoreError("limit_reached", `${scope} already has the maximum of ${maxPerScope} webhooks`, {
    entity: "webhook",
    subjectId: tenantId,
    limit: maxPerScope,
  });
}

/** `last_admin`: the change would leave no active system admin. */
export function lastActiveAdmin(userId: string): StoreError {
  return new StoreError("last_admin", `user ${JSON.stringify(userId)} is the last active admin`, {
    entity: "user",
    subjectId: userId,
  });
}

/**
 * True for a system user (no tenant) that is an admin in the active state: what the last-admin guard
 * keeps. A tenant admin is not one: a system admin can always manage its tenant.
 */
export function isActiveAdmin(user: UserRecord): boolean {
  return user.admin && user.state === "active" && user.tenantId === undefined;
}

/** `not_empty`: the tenant still has users, so it cannot be deleted. */
export function tenantNotEmpty(tenantId: string): StoreError {
  return new StoreError("not_empty", `tenant ${JSON.stringify(tenantId)} still has users`, {
    entity: "tenant",
    subjectId: tenantId,
  });
}

/** `conflict`: optimistic concurrency gave up after repeated concurrent modification. */
export function updateConflict(subject: Subject, attempts: number): StoreError {
  return new StoreError(
    "conflict",
    `${LABEL[subject.entity]} ${JSON.stringify(subject.id)} was modified concurrently ${attempts} times; try again`,
    { entity: subject.entity, subjectId: subject.id },
  );
}

/** `unavailable`: the backend cannot serve the request. */
export function unavailable(detail: string, cause?: unknown): StoreError {
  return new StoreError("unavailable", `store unavailable: ${detail}`, { cause });
}

/** `unavailable` for use after {@link Store.close}. */
export function storeClosed(): StoreError {
  return unavailable("the store is closed");
}

/** The subject for a user id. */
export function userSubject(userId: string): Subject {
  return { entity: "user", id: userId };
}

/** The subject for an API key id. */
export function apiKeySubject(keyId: string): Subject {
  return { entity: "api_key", id: keyId };
}

/** The subject for a session id. */
export function sessionSubject(sessionId: string): Subject {
  return { entity: "session", id: sessionId };
}

/** The subject for a tenant id. */
export function tenantSubject(tenantId: string): Subject {
  return { entity: "tenant", id: tenantId };
}

/** The subject for a webhook id. */
export function webhookSubject(webhookId: string): Subject {
  return { entity: "webhook", id: webhookId };
}

/** The subject for a sign-in attempt counter's id. */
export function attemptCounterSubject(counterId: string): Subject {
  return { entity: "attempt_counter", id: counterId };
}

/** Returns `value`, or throws `not_found` for `subject` when it is undefined. */
export function found<T>(value: T | undefined, subject: Subject): T {
  if (value === undefined) throw notFound(subject);
  return value;
}
