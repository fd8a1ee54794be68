// Consistency checks every adapter runs before it writes a record. Services validate input properly;
// these only keep malformed data (an Invalid Date, an unknown state, a changed id) out of the store.
import {
  StoreError,
  type ApiKeyRecord,
  type AttemptCounter,
  type PasswordRecord,
  type SessionRecord,
  type StoreEntity,
  type TenantRecord,
  type UserRecord,
  type WebhookDeliveryCounters,
  type WebhookRecord,
} from "./store.js";

const USER_STATES: ReadonlySet<string> = new Set(["active", "suspended"]);
const API_KEY_STATES: ReadonlySet<string> = new Set(["active", "disabled"]);

/** Throws `invalid_argument` (user) unless `user` can be stored as is. */
export function checkUserRecord(user: UserRecord): void {
  const problems = [
    ...nonEmpty("userId", user.userId),
    ...text("name", user.name),
    ...text("email", user.email),
    ...(typeof user.admin === "boolean" ? [] : ["admin must be a boolean"]),
    ...(USER_STATES.has(user.state) ? [] : [`unknown user state ${JSON.stringify(user.state)}`]),
    ...date("createdAt", user.createdAt),
    ...date("updatedAt", user.updatedAt),
    ...optionalDate("passwordSetAt", user.passwordSetAt),
    ...(user.tenantId === undefined ? [] : nonEmpty("tenantId", user.tenantId)),
  ];
  throwIfAny("user", problems);
}

/** Throws `invalid_argument` (tenant) unless `tenant` can be stored as is. */
export function checkTenantRecord(tenant: TenantRecord): void {
  throwIfAny("tenant", [
    ...nonEmpty("tenantId", tenant.tenantId),
    ...text("name", tenant.name),
    ...date("createdAt", tenant.createdAt),
    ...date("updatedAt", tenant.updatedAt),
  ]);
}

/** Checks an updater's result: identity field unchanged, record storable. */
export function checkUpdatedTenant(current: TenantRecord, next: TenantRecord): void {
  if (next.tenantId !== current.tenantId) {
    throw new StoreError("invalid_argument", "an update cannot change tenantId", { entity: "tenant" });
  }
  checkTenantRecord(next);
}

/** Throws `invalid_argument` (api_key) unless `key` can be stored as is. */
export function checkApiKeyRecord(key: ApiKeyRecord): void {
  const problems = [
    ...nonEmpty("id", key.id),
    ...nonEmpty("userId", key.userId),
    ...text("name", key.name),
    ...(Array.isArray(key.rights) && key.rights.every(Number.isSafeInteger) ? [] : ["rights must be integers"]),
    ...(API_KEY_STATES.has(key.state) ? [] : [`unknown API key state ${JSON.stringify(key.state)}`]),
    ...nonEmpty("secretHash", key.secretHash),
    ...(key.previousSecretHash === undefined ? [] : nonEmpty("previousSecretHash", key.previousSecretHash)),
    ...optionalDate("previousSecretValidUntil", key.previousSecretValidUntil),
    ...optionalDate("expiresAt", key.expiresAt),
    ...date("createdAt", key.createdAt),
    ...date("updatedAt", key.updatedAt),
    ...optionalDate("lastUsedAt", key.lastUsedAt),
    ...optionalText("lastUsedIp", key.lastUsedIp),
    ...optionalText("lastUsedUserAgent", key.lastUsedUserAgent),
    ...(key.allowedIps === undefined || (Array.isArray(key.allowedIps) && key.allowedIps.every((c) => typeof c === "string"))
      ? []
      : ["allowedIps must be strings"]),
    ...meterProblems(key),
  ];
  throwIfAny("api_key", problems);
}

/** Throws `invalid_argument` (webhook) unless `webhook` can be stored as is (its counters are not stored from it). */
export function checkWebhookRecord(webhook: WebhookRecord): void {
  throwIfAny("webhook", [
    ...nonEmpty("webhookId", webhook.webhookId),
    ...(webhook.tenantId === undefined ? [] : nonEmpty("tenantId", webhook.tenantId)),
    ...nonEmpty("url", webhook.url),
    ...(Array.isArray(webhook.eventTypes) && webhook.eventTypes.every((t) => typeof t === "string") ? [] : ["eventTypes must be strings"]),
    ...(typeof webhook.enabled === "boolean" ? [] : ["enabled must be a boolean"]),
    ...nonEmpty("secretSalt", webhook.secretSalt),
    ...date("createdAt", webhook.createdAt),
    ...date("updatedAt", webhook.updatedAt),
  ]);
}

/** Checks an updater's result: identity, scope, secret salt and delivery counters unchanged, record storable. */
export function checkUpdatedWebhook(current: WebhookRecord, next: WebhookRecord): void {
  if (
    next.webhookId !== current.webhookId ||
    next.tenantId !== current.tenantId ||
    next.secretSalt !== current.secretSalt ||
    !sameCounters(current.delivery, next.delivery)
  ) {
    throw new StoreError("invalid_argument", "an update cannot change a webhook's id, tenantId, secretSalt or delivery counters", {
      entity: "webhook",
    });
  }
  checkWebhookRecord(next);
}

function sameCounters(a: WebhookDeliveryCounters, b: WebhookDeliveryCounters | undefined): boolean {
  const time = (d: Date | undefined) => d?.getTime();
  return (
    b !== undefined &&
    a.pending === b.pending &&
    a.delivered === b.delivered &&
    a.failed === b.failed &&
    time(a.lastAttemptAt) === time(b.lastAttemptAt) &&
    a.lastStatus === b.lastStatus &&
    a.lastError === b.lastError &&
    time(a.lastSuccessAt) === time(b.lastSuccessAt)
  );
}

/** Throws `invalid_argument` (session) unless `session` can be stored as is. */
export function checkSessionRecord(session: SessionRecord): void {
  const problems = [
    ...nonEmpty("id", session.id),
    ...nonEmpty("userId", session.userId),
    ...nonEmpty("secretHash", session.secretHash),
    ...date("createdAt", session.createdAt),
    ...date("expiresAt", session.expiresAt),
    ...date("lastUsedAt", session.lastUsedAt),
    ...text("userAgent", session.userAgent),
    ...text("address", session.address),
  ];
  throwIfAny("session", problems);
}

/** Throws `invalid_argument` (user) unless `password` can be stored as is. */
export function checkPasswordRecord(password: PasswordRecord): void {
  throwIfAny("user", [...nonEmpty("password hash", password.hash), ...date("password setAt", password.setAt)]);
}

/** Throws `invalid_argument` (attempt_counter) unless `counter` can be stored under `id` as is. */
export function checkAttemptCounter(id: string, counter: AttemptCounter): void {
  throwIfAny("attempt_counter", [
    ...nonEmpty("id", id),
    ...(Number.isSafeInteger(counter.attempts) && counter.attempts >= 0 ? [] : ["attempts must be a whole number >= 0"]),
    ...date("nextAttemptAt", counter.nextAttemptAt),
    ...date("expiresAt", counter.expiresAt),
  ]);
}

/** Checks an updater's result: identity fields unchanged, record storable. */
export function checkUpdatedUser(current: UserRecord, next: UserRecord): void {
  if (next.userId !== current.userId) {
    throw new StoreError("invalid_argument", "an update cannot change userId", { entity: "user" });
  }
  // A user stays in the tenant it was created in (ARCHITECTURE.md, "Tenants").
  if (next.tenantId !== current.tenantId) {
    throw new StoreError("invalid_argument", "an update cannot change tenantId", { entity: "user" });
  }
  checkUserRecord(next);
}

/**
 * Throws `invalid_argument` (api_key) unless `count`, the uses a lease asks for or gives back, is a whole
 * number >= 1 and `at` (the take's time or the lease's epoch) a valid Date.
 */
export function checkUsesLease(countField: string, count: number, dateField: string, at: Date): void {
  throwIfAny("api_key", [...whole(countField, count, 1), ...date(dateField, at)]);
}

/** Checks an updater's result: identity fields unchanged, record storable. */
export function checkUpdatedApiKey(current: ApiKeyRecord, next: ApiKeyRecord): void {
  if (next.id !== current.id || next.userId !== current.userId) {
    throw new StoreError("invalid_argument", "an update cannot change an API key's id or userId", {
      entity: "api_key",
    });
  }
  checkApiKeyRecord(next);
}

/** The rate limit, usage credits and metadata: whole numbers in range, and the fields that go together. */
function meterProblems(key: ApiKeyRecord): string[] {
  const problems: string[] = [];
  if (key.rateLimit !== undefined) {
    problems.push(...whole("rateLimit.requests", key.rateLimit.requests, 1), ...whole("rateLimit.periodMs", key.rateLimit.periodMs, 1));
  }
  if (key.remainingUses !== undefined) {
    problems.push(...whole("remainingUses", key.remainingUses, 0), ...date("refilledAt", key.refilledAt));
  } else {
    if (key.refilledAt !== undefined) problems.push("refilledAt needs remainingUses");
    if (key.refill !== undefined) problems.push("refill needs remainingUses");
  }
  if (key.refill !== undefined) problems.push(...whole("refill.amount", key.refill.amount, 1), ...whole("refill.periodMs", key.refill.periodMs, 1));
  const metadata: unknown = key.metadata;
  if (metadata !== undefined && (typeof metadata !== "object" || metadata === null || Object.values(metadata).some((v) => typeof v !== "string"))) {
    problems.push("metadata must map strings to strings");
  }
  return problems;
}

function whole(field: string, value: unknown, min: number): string[] {
  return Number.isSafeInteger(value) && (value as number) >= min ? [] : [`${field} must be a whole number >= ${min}`];
}

function nonEmpty(field: string, value: unknown): string[] {
  return typeof value === "string" && value !== "" ? [] : [`${field} must be a non-empty string`];
}

function text(field: string, value: unknown): string[] {
  return typeof value === "string" ? [] : [`${field} must be a string`];
}

function optionalText(field: string, value: unknown): string[] {
  return value === undefined ? [] : text(field, value);
}

function date(field: string, value: unknown): string[] {
  return value instanceof Date && !Number.isNaN(value.getTime()) ? [] : [`${field} must be a valid Date`];
}

function optionalDate(field: string, value: unknown): string[] {
  return value === undefined ? [] : date(field, value);
}

function throwIfAny(entity: StoreEntity, problems: string[]): void {
  if (problems.length > 0) {
    throw new StoreError("invalid_argument", `cannot store ${entity}: ${problems.join("; ")}`, { entity });
  }
}
