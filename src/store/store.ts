// The storage contract: plain record types, the Store interface and backend-neutral errors.
// Adapters (sqlite/, mongo/) implement it; auth and services depend on it and never on an adapter.
// This file imports nothing from the rest of src/ so that every layer can depend on it.

/** A user's lifecycle state. A suspended user's keys stop working but are kept. */
export type UserState = "active" | "suspended";

/** An API key's reversible on/off toggle. */
export type ApiKeyState = "active" | "disabled";

/** A user as stored. Timestamps are set by the caller and round-trip at millisecond precision. */
export interface UserRecord {
  userId: string;
  name: string;
  email: string;
  admin: boolean;
  state: UserState;
  createdAt: Date;
  updatedAt: Date;
  /**
   * When the user's password was last set; absent when the user has none. Read-only through
   * {@link Store.updateUser} (an updater's value is ignored): only {@link Store.setPassword} and
   * {@link Store.createUser} set it. The password's hash is never part of the record.
   */
  passwordSetAt?: Date;
  /**
   * The tenant the user belongs to (ARCHITECTURE.md, "Tenants"); absent for a system user. Set by
   * {@link Store.createUser} and never changed: an updater that changes it is refused.
   */
  tenantId?: string;
}

/** A tenant as stored: a group of users with its own admins. */
export interface TenantRecord {
  tenantId: string;
  name: string;
  createdAt: Date;
  updatedAt: Date;
}

/** Filters for {@link Store.listUsers}. */
export interface UserListRequest extends PageRequest {
  /** Only the users of this tenant; absent for every user. */
  tenantId?: string;
}

/** A user's password as stored: its slow hash (PHC string, e.g. `$argon2id$...`) and when it was set. */
export interface PasswordRecord {
  hash: string;
  setAt: Date;
}

/**
 * A signed-in session (ARCHITECTURE.md, "Sessions and passwords"): metadata and the hash of the token's secret, never the token.
 * `expiresAt` is the absolute end; the idle end follows from `lastUsedAt` and is the caller's policy.
 */
export interface SessionRecord {
  /** The token's public id. */
  id: string;
  userId: string;
  /** `sha256:...` of the token's secret, as for API keys. */
  secretHash: string;
  createdAt: Date;
  /** The absolute end of the session, whatever its use. */
  expiresAt: Date;
  /** Set to `createdAt` on create, then moved forward by {@link Store.recordSessionUse}. */
  lastUsedAt: Date;
  /** The sign-in request's user agent (may be `""`). */
  userAgent: string;
  /** The sign-in request's client address (may be `""`). */
  address: string;
}

/** A session and its user, as {@link Store.findSessionWithOwner} reads them. */
export interface SessionWithOwner {
  session: SessionRecord;
  user: UserRecord;
}

/** Which sessions are live: used at or after `usedSince` and expiring after `expiresAfter`. */
export interface LiveSessions {
  usedSince: Date;
  expiresAfter: Date;
}

/** Filters for {@link Store.listSessions}: a page of the live sessions. */
export interface SessionListRequest extends PageRequest {
  live: LiveSessions;
}

/** Which sessions {@link Store.setPassword} ends with the change. */
export interface EndSessions {
  /** A session to keep (the caller's own), if any. */
  except?: string;
}

/**
 * An API key as stored: metadata and the hash of its secret, never the secret itself.
 * Optional fields that are absent come back `undefined`, never `null`.
 */
export interface ApiKeyRecord {
  /** The key's public id (39 base32 chars in practice; the store treats it as an opaque string). */
  id: string;
  userId: string;
  name: string;
  /** Right enum numbers as granted (pseudo-rights unexpanded), order preserved. */
  rights: number[];
  state: ApiKeyState;
  /** `sha256:...` of the current secret. */
  secretHash: string;
  /** The replaced secret's hash, still accepted until `previousSecretValidUntil` (rotation grace). */
  previousSecretHash?: string;
  previousSecretValidUntil?: Date;
  expiresAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  /** Written only in batches by {@link Store.recordApiKeyUse}; never moves backwards. */
  lastUsedAt?: Date;
  /** The client address of the use in `lastUsedAt`; written with it. */
  lastUsedIp?: string;
  /** The `User-Agent` of that use; written with it. */
  lastUsedUserAgent?: string;
  /** CIDRs (canonical `address/prefix`) the key may be used from; absent or empty means anywhere. */
  allowedIps?: string[];
  /** Calls allowed per window; absent means no limit. The windows' counts live in attempt counters. */
  rateLimit?: RateLimitRecord;
  /**
   * Uses left as of {@link refilledAt}, less every use handed out since (servers lease blocks of uses
   * ahead: {@link ApiKeyStore.takeApiKeyUses}); absent means unlimited. Read it through
   * `store/usage-credits.ts`'s `creditsAt`, which applies a refill that is due.
   */
  remainingUses?: number;
  /** Sets {@link remainingUses} back to `amount` every `periodMs` after {@link refilledAt}; only with `remainingUses`. */
  refill?: UsageRefillRecord;
  /**
   * When the current count of uses began: set with `remainingUses` (create, or an update that sets it),
   * moved on by whole refill periods as refills happen. Leases carry it, so a lease from before a reset
   * or a refill is never returned into the new count. Present exactly when `remainingUses` is.
   */
  refilledAt?: Date;
  /** Free-form facts for downstream services (at most 16 entries, validated by the service); absent or empty means none. */
  metadata?: Record<string, string>;
}

/** A key's rate limit: at most `requests` calls per window of `periodMs`. */
export interface RateLimitRecord {
  requests: number;
  periodMs: number;
}

/** A key's refill of usage credits: `remainingUses` becomes `amount` every `periodMs`. */
export interface UsageRefillRecord {
  amount: number;
  periodMs: number;
}

/** What {@link ApiKeyStore.takeApiKeyUses} handed out. */
export interface UsesLease {
  /** Uses granted to the caller, 0 to the number asked for; 0 means none are left (or the key is gone). */
  granted: number;
  /** Uses left in the store after this grant (after a refill, if one was due). */
  remaining: number;
  /** The key's `refilledAt` the grant was taken from: return unused uses with it. */
  epoch: Date;
  /** When the next refill is due, if the key has one. */
  nextRefillAt?: Date;
}

/** One page of a list, newest first (createdAt desc, then id desc). */
export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page; `""` on the last page. */
  nextPageToken: string;
  /** Number of all items matching the filter, across all pages. */
  totalSize: number;
}

/** Which page to read. `pageSize` is validated by the caller (a positive integer). */
export interface PageRequest {
  pageSize: number;
  /** `""` for the first page, else a `nextPageToken` from the same list with the same filter. */
  pageToken: string;
}

/** Filters for {@link Store.listApiKeys}. */
export interface ApiKeyListRequest extends PageRequest {
  state?: ApiKeyState;
  /** Case-insensitive substring of the key name, matched literally (no wildcards); `""` matches all. */
  query?: string;
}

/** Limits checked atomically by {@link Store.createApiKey}. */
export interface ApiKeyLimits {
  maxKeysPerUser: number;
}

/**
 * Computes the next version of a record from the current one. It must be a pure synchronous function:
 * adapters with optimistic concurrency may call it more than once. It may throw to abort the update; the
 * error then reaches the caller unchanged and nothing is written.
 */
export type Updater<T> = (current: T) => T;

/**
 * Decides, from the current record, whether an operation may go ahead; it throws to refuse. Like an
 * {@link Updater} it runs inside the operation's write, so the decision and the write see the same record,
 * and it must be pure and synchronous (it may run more than once). Its error reaches the caller unchanged.
 */
export type Guard<T> = (current: T) => void;

/**
 * An {@link Updater} of an API key that also sees the key's stored owner, read in the same write: a rule
 * that depends on the owner (which rights the owner may hold) then judges the owner that is written against.
 */
export type KeyUpdater = (current: ApiKeyRecord, owner: UserRecord) => ApiKeyRecord;

/**
 * The persistence contract. Every method is atomic. The store performs no authorization and no input
 * validation beyond what keeps its data consistent; callers validate first. Any method may also reject
 * with `unavailable` (backend down, busy or closed).
 *
 * It is the union of one slice per kind of record; an adapter implements each slice in its own file and
 * composes them (`store/compose-store.ts`), so a new method is written in its slice here, in each
 * adapter's file for that record kind, and in the conformance suite, nowhere else.
 */
export interface Store
  extends UserStore,
    TenantStore,
    ApiKeyStore,
    RevocationFeedStore,
    SessionStore,
    AttemptCounterStore,
    EventStore,
    WebhookStore,
    DeliveryStore,
    ExpiryWarningStore {
  /** Releases the backend. Idempotent; afterwards every method rejects with `unavailable`. */
  close(): Promise<void>;
}

/** Users and their passwords. */
export interface UserStore {
  /**
   * Stores a new user, with a first password if given (`passwordSetAt` then comes from it; the record's own
   * `passwordSetAt` is ignored). Rejects with `already_exists` (user) when the user id is taken, and with
   * `not_found` (tenant) when `user.tenantId` names no tenant: decided in the same write as
   * {@link TenantStore.deleteTenant}'s not-empty guard, so no user is ever stored in a deleted tenant.
   */
  createUser(user: UserRecord, password?: PasswordRecord): Promise<void>;

  /** Reads one user. Rejects with `not_found` (user). */
  getUser(userId: string): Promise<UserRecord>;

  /**
   * Lists users newest first, only those of `request.tenantId` when it is given (filtered in the query,
   * so pages and `totalSize` count that tenant's users alone). Rejects with `invalid_argument` on a
   * malformed page token or one issued for another list or filter.
   */
  listUsers(request: UserListRequest): Promise<Page<UserRecord>>;

  /**
   * Atomically reads the user, applies `updater` and writes the result, which it returns. Concurrent
   * updates are never lost. Rejects with `not_found` (user); with `invalid_argument` if the updater
   * changes `userId` or `tenantId`; with `last_admin` (user) if the user is an active system admin and the
   * result is not, while no other active system admin exists; with `conflict` if optimistic retries run out; or with whatever the
   * updater threw. The last-admin guard is decided inside the write, so it holds with several processes
   * or nodes writing one store at once. A change from active to suspended ends all the user's sessions in
   * the same write (ARCHITECTURE.md, "Sessions and passwords": suspension ends sessions, and reactivation does not bring them back).
   */
  updateUser(userId: string, updater: Updater<UserRecord>): Promise<UserRecord>;

  /**
   * Deletes the user and all their API keys and sessions in one transaction, after `guard` (if given)
   * accepted the stored user inside it. Rejects with `not_found` (user); with whatever the guard threw; and
   * with `last_admin` (user) when the user is the last active system admin (decided inside the same
   * transaction).
   * A refusal deletes nothing.
   */
  deleteUser(userId: string, guard?: Guard<UserRecord>): Promise<void>;

  /**
   * Counts system users (no tenant) with `admin` set and state `active`: the admins the last-admin guard
   * keeps. Tenant admins are not counted; a system admin can always manage a tenant.
   */
  countActiveAdmins(): Promise<number>;

  /** The user's password, undefined when none is set. Rejects with `not_found` (user). */
  getPassword(userId: string): Promise<PasswordRecord | undefined>;

  /**
   * Sets the user's password (and `passwordSetAt`), leaving `updatedAt` alone, after `guard` (if given)
   * accepted the stored user inside the same write; with `endSessions`, deletes every session of the user
   * but `endSessions.except` and appends a `user` feed entry in the same write. Rejects with `not_found`
   * (user), or with whatever the guard threw, changing nothing.
   */
  setPassword(userId: string, password: PasswordRecord, endSessions?: EndSessions, guard?: Guard<UserRecord>): Promise<void>;
}

/** Tenants (ARCHITECTURE.md, "Tenants"). */
export interface TenantStore {
  /** Stores a new tenant. Rejects with `already_exists` (tenant) when the tenant id is taken. */
  createTenant(tenant: TenantRecord): Promise<void>;

  /** Reads one tenant. Rejects with `not_found` (tenant). */
  getTenant(tenantId: string): Promise<TenantRecord>;

  /** Lists tenants newest first. Rejects with `invalid_argument` on a malformed or foreign page token. */
  listTenants(request: PageRequest): Promise<Page<TenantRecord>>;

  /**
   * Atomically reads the tenant, applies `updater` and writes the result, which it returns. Rejects with
   * `not_found` (tenant); `invalid_argument` if the updater changes `tenantId`; `conflict` if optimistic
   * retries run out; or with whatever the updater threw. A tenant's fields grant nothing, so no feed
   * entry is appended.
   */
  updateTenant(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord>;

  /**
   * Deletes the tenant. Rejects with `not_found` (tenant), or with `not_empty` (tenant) while any user
   * belongs to it, decided inside the same write as {@link createUser}'s tenant check, so a user created
   * at the same moment is either refused or makes the delete refused. Only an empty tenant goes, so it
   * narrows no one's access and appends no feed entry.
   */
  deleteTenant(tenantId: string): Promise<void>;
}

/** API keys. */
export interface ApiKeyStore {

  /**
   * Stores a new API key, after `guard` (if given) accepted the stored owner inside the same write. Rejects
   * with `not_found` (user) when the owner does not exist, then with whatever the guard threw, then with
   * `limit_reached` (api_key) when the owner already has `maxKeysPerUser` keys, and `already_exists`
   * (api_key) when the key id is taken; a refusal stores nothing. The cap holds under concurrent creates.
   */
  createApiKey(key: ApiKeyRecord, limits: ApiKeyLimits, guard?: Guard<UserRecord>): Promise<void>;

  /** Reads a key of a user. Rejects with `not_found` (api_key) when absent or owned by another user. */
  getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord>;

  /** Looks a key up by id alone (one indexed read). Never rejects on absence. */
  findApiKey(keyId: string): Promise<ApiKeyRecord | undefined>;

  /**
   * Looks a key up by id together with its owner, in one read where the backend can (the authentication
   * hot path). Undefined when the key is absent, or its owner is (a key without an owner authenticates
   * no one). Never rejects on absence.
   */
  findApiKeyWithOwner(keyId: string): Promise<ApiKeyWithOwner | undefined>;

  /**
   * Lists a user's keys newest first, filtered by state and name query. An unknown user has no keys.
   * Rejects with `invalid_argument` on a malformed page token or one issued for another user or filter.
   */
  listApiKeys(userId: string, request: ApiKeyListRequest): Promise<Page<ApiKeyRecord>>;

  /**
   * Atomically reads the key and its owner, applies `updater` and writes the result, which it returns.
   * Rejects with `not_found` (api_key) when absent or owned by another user; `invalid_argument` if the
   * updater changes `id` or `userId`; `conflict` if optimistic retries run out; or with whatever the
   * updater threw. The usage credits are settled by `store/usage-credits.ts`'s `settleUsageEpoch`: a result
   * that changes `remainingUses` or the refill, or moves `refilledAt` (`newUsageCount`), begins a new count
   * that older leases cannot be returned into; otherwise the stored count stays, uses leased meanwhile included.
   */
  updateApiKey(userId: string, keyId: string, updater: KeyUpdater): Promise<ApiKeyRecord>;

  /**
   * Deletes a key of a user, after `guard` (if given) accepted the stored key inside the same write.
   * Rejects with `not_found` (api_key) when absent or owned by another user, or with whatever the guard
   * threw, deleting nothing.
   */
  deleteApiKey(userId: string, keyId: string, guard?: Guard<ApiKeyRecord>): Promise<void>;

  /** Counts a user's keys (0 for an unknown user). */
  countApiKeys(userId: string): Promise<number>;

  /**
   * Sets `lastUsedAt` (with `lastUsedIp` and `lastUsedUserAgent`, cleared when the use has none) for a
   * batch of keys, leaving `updatedAt` alone. A use older than the stored one is
   * ignored (batches from several nodes may arrive out of order), and so are ids that no longer exist.
   */
  recordApiKeyUse(uses: ApiKeyUse[]): Promise<void>;

  /**
   * Leases up to `want` (≥ 1) uses of a key's usage credits in one atomic write: applies a refill that is
   * due at `now` (`remainingUses = refill.amount`, `refilledAt` moved on by whole periods), grants
   * `min(want, remainingUses)` and counts them off. Undefined when the key is absent or has no
   * `remainingUses` (unlimited). Writes no event and no revocation-feed entry and leaves `updatedAt`
   * alone: a use is not a change. Holds under concurrent takes from any number of processes: the sum of
   * grants never exceeds what the key had (ARCHITECTURE.md, "Keys").
   */
  takeApiKeyUses(keyId: string, want: number, now: Date): Promise<UsesLease | undefined>;

  /**
   * Gives back `count` leased uses that were not used, in one atomic write, only if the key's
   * `refilledAt` still equals `epoch` (no reset, refill or new count since the lease); otherwise, or when
   * the key is gone or unlimited now, does nothing. Returns whether the uses went back.
   */
  returnApiKeyUses(keyId: string, count: number, epoch: Date): Promise<boolean>;
}

/** The revocation feed (ARCHITECTURE.md, "Caches and the revocation feed"). */
export interface RevocationFeedStore {

  /**
   * The revocation feed's head: the sequence number of the newest entry (0 when none was ever written).
   * A process starts reading after it, since its empty cache holds nothing older to evict.
   */
  revocationHead(): Promise<number>;

  /**
   * Up to `limit` feed entries with `seq > after`, oldest first, from one consistent read. Every update
   * and delete of a user or key appends one entry naming it, in the same transaction as the change, so an
   * entry is visible exactly when its change is; creates and `recordApiKeyUse` append nothing. Entries of
   * one backend have strictly increasing `seq` in commit order, never reused after pruning.
   * `missed` is true when entries after `after` were pruned before this read (the reader fell behind the
   * retention and must drop everything it cached); `cursor` is then the pruned watermark, else the last
   * entry's seq (or `after` when there is none). Pass `cursor` as the next `after`.
   */
  readRevocations(after: number, limit: number): Promise<RevocationBatch>;

  /**
   * Deletes the feed entries written before `before` and raises the pruned watermark past them.
   * Idempotent and safe to run from several processes at once; returns how many entries it deleted.
   */
  pruneRevocations(before: Date): Promise<number>;
}

/** Signed-in sessions. */
export interface SessionStore {
  /**
   * Stores a new session. Rejects with `not_found` (user) when the user does not exist and
   * `already_exists` (session) when the id is taken.
   */
  createSession(session: SessionRecord): Promise<void>;

  /**
   * Looks a session up by id together with its user, in one read where the backend can (the
   * authentication path). Undefined when absent. Never rejects on absence.
   */
  findSessionWithOwner(sessionId: string): Promise<SessionWithOwner | undefined>;

  /**
   * Lists a user's live sessions newest first (createdAt desc, then id desc). An unknown user has none.
   * Rejects with `invalid_argument` on a malformed page token or one issued for another user.
   */
  listSessions(userId: string, request: SessionListRequest): Promise<Page<SessionRecord>>;

  /**
   * Deletes a session of a user, with a `session` feed entry in the same write, after `guard` (if given)
   * accepted the stored user inside it. Rejects with `not_found` (user) when the user does not exist, then
   * with whatever the guard threw, then with `not_found` (session) when the session is absent or another
   * user's (so a refused caller learns nothing of the user's sessions); a refusal deletes nothing.
   */
  deleteSession(userId: string, sessionId: string, guard?: Guard<UserRecord>): Promise<void>;

  /** Deletes a user's sessions that are no longer live (housekeeping); returns how many. */
  pruneSessions(userId: string, live: LiveSessions): Promise<number>;

  /** Moves `lastUsedAt` of sessions forward, as {@link ApiKeyStore.recordApiKeyUse} does for keys. */
  recordSessionUse(uses: ApiKeyUse[]): Promise<void>;
}

/**
 * Counters with an expiry, shared by every process and node on the store: sign-in attempts (by user and
 * by client network), keys' rate-limit windows, leak reports already acted on. Their ids are namespaced
 * by their users (`rate:<key id>`, `leak-report:<digest>`, ...).
 */
export interface AttemptCounterStore {

  /**
   * Atomically reads the attempt counter `id` (undefined when absent, or expired at `at`), applies
   * `updater` and writes what it returns, which it also returns; an updater returning undefined deletes
   * the counter. Decided inside one write, so concurrent updates from any number of processes or nodes
   * are never lost. Rejects with whatever the updater threw, writing nothing; with `invalid_argument` for
   * a malformed counter; with `conflict` if optimistic retries run out.
   */
  updateAttemptCounter(
    id: string,
    at: Date,
    updater: Updater<AttemptCounter | undefined>,
  ): Promise<AttemptCounter | undefined>;

  /** Deletes the attempt counters that expired at or before `at`; returns how many. Safe from several processes. */
  pruneAttemptCounters(at: Date): Promise<number>;
}

/**
 * The audit trail (ARCHITECTURE.md, "Events"). Every write method of the other slices that changes a user,
 * tenant, key or session appends exactly one event in the same transaction as its change (one per
 * changed record: `deleteUser` appends `user.delete` alone, not one per key), so a change and its event
 * commit or roll back together; `recordApiKeyUse`, `recordSessionUse`, the attempt counters and the
 * feed's pruning append none. The event's actor and client come from the write's
 * {@link EventContext} (see `store/event-context.ts` for how a call supplies it); without one, the
 * actor is Keyward itself.
 *
 * Events form one hash chain per store: event `seq` carries the hash of event `seq - 1`'s canonical form
 * (`store/event-chain.ts`), appended in commit order, so a deleted, edited or reordered row breaks a link.
 * Appending an event also queues one delivery per enabled webhook that matches it (type prefix and
 * tenant scope) in the same transaction: the outbox.
 */
export interface EventStore {
  /**
   * Appends events that record no stored change (aggregated `auth.fail`), in one transaction, chained
   * like every other event and queued for webhooks. Returns them as stored.
   */
  appendEvents(events: NewEvent[]): Promise<EventRecord[]>;

  /**
   * One page of events, newest first (seq desc), filtered in the query. Rejects with `invalid_argument`
   * on a malformed page token or one issued for another filter.
   */
  listEvents(request: EventListRequest): Promise<EventPage>;

  /** Up to `limit` events with `seq > after`, oldest first, filtered, from one consistent read. */
  readEvents(after: number, limit: number, filter?: EventFilter): Promise<EventRecord[]>;

  /**
   * Where the chain stands: the newest seq (0 when none was ever written), and the last pruned event's
   * seq and hash (0 and `""` before any pruning), where {@link readEvents} from 0 picks the chain up.
   */
  eventChainHead(): Promise<EventChainHead>;

  /**
   * Deletes the events older than `before`, oldest first, and moves the chain's pruned watermark (seq
   * and hash of the newest one deleted) in the same write, so the chain stays verifiable from there.
   * Deletes at most `limit` per call; returns how many. Safe from several processes at once.
   */
  pruneEvents(before: Date, limit: number): Promise<number>;
}

/** Webhooks (ARCHITECTURE.md, "Events"). */
export interface WebhookStore {
  /**
   * Stores a new webhook. Rejects with `already_exists` (webhook) when the id is taken, and with
   * `limit_reached` (webhook) when its scope (tenant, or the system) already has `maxPerScope`, decided
   * inside the write.
   */
  createWebhook(webhook: WebhookRecord, maxPerScope: number): Promise<void>;

  /** Reads one webhook with its delivery counters. Rejects with `not_found` (webhook). */
  getWebhook(webhookId: string): Promise<WebhookRecord>;

  /**
   * Lists webhooks newest first: those of `request.tenantId` when given, else every webhook. Rejects with
   * `invalid_argument` on a malformed or foreign page token.
   */
  listWebhooks(request: WebhookListRequest): Promise<Page<WebhookRecord>>;

  /**
   * Atomically reads the webhook, applies `updater` (which may throw to refuse, e.g. on another tenant's
   * webhook) and writes the result, which it returns. The identity, scope, secret salt and delivery
   * counters are not the updater's to change (`invalid_argument`). Rejects with `not_found` (webhook).
   */
  updateWebhook(webhookId: string, updater: Updater<WebhookRecord>): Promise<WebhookRecord>;

  /**
   * Deletes the webhook and its queued deliveries, after `guard` (if given) accepted it inside the same
   * write. Rejects with `not_found` (webhook), or whatever the guard threw, deleting nothing.
   */
  deleteWebhook(webhookId: string, guard?: Guard<WebhookRecord>): Promise<void>;
}

/** The webhook outbox: deliveries queued with their events, claimed under a lease, finished once. */
export interface DeliveryStore {
  /**
   * Leases up to `limit` due deliveries (state `pending`, `nextAttemptAt <= now`, no live lease) to
   * `lease.owner` until `lease.until`, most overdue first (for fresh deliveries, oldest event first), in
   * one write: two processes claiming at once never get the same delivery. Returns them with their event
   * and webhook.
   */
  claimDeliveries(now: Date, lease: DeliveryLease, limit: number): Promise<ClaimedDelivery[]>;

  /**
   * Records an attempt's outcome on a pending delivery last leased to `owner` (else does nothing and
   * returns false: another process claimed it since the lease expired, or it is finished): `delivered`,
   * or back to `pending` with the next attempt's time, or `failed` for good; and updates the webhook's
   * counters and last attempt in the same write. A lease that expired unclaimed still counts, since no
   * one else can be sending the delivery.
   */
  finishDelivery(webhookId: string, eventSeq: number, owner: string, outcome: DeliveryOutcome): Promise<boolean>;

  /** Deliveries not yet delivered or given up, over every webhook: the outbox's depth. */
  countPendingDeliveries(): Promise<number>;

  /** Deletes delivered and failed deliveries finished before `before`; returns how many. */
  pruneDeliveries(before: Date, limit: number): Promise<number>;
}

/** Expiry warnings (ARCHITECTURE.md, "Events"). */
export interface ExpiryWarningStore {
  /**
   * For each point (a lead time before expiry, e.g. 7 days), finds up to `limit` keys whose `expiresAt`
   * is after `now` and at most that lead time away and that were not yet warned at that point for that
   * `expiresAt`, and in one write per key marks the warning given and appends an `api_key.expiring`
   * event (reason: the point's label). Run from several processes at once, each key is warned once per
   * point and expiry date (a changed expiry is warned anew). Returns the events appended.
   */
  warnExpiringKeys(now: Date, points: readonly ExpiryPoint[], limit: number): Promise<EventRecord[]>;
}

/** Who made a change and from where: set by the call that writes (see {@link EventStore}). */
export interface EventContext {
  actor: EventActor;
  client: EventClient;
  /**
   * Why the writes of this context happen, when it is not the actor's own request: each change event
   * they append takes `cause.type` instead of its own type and `cause.reason` as its reason (a leak
   * report disabling a key records `api_key.leaked` with the report's URL, not `api_key.update`).
   */
  cause?: EventCause;
}

/** See {@link EventContext.cause}. */
export interface EventCause {
  type: string;
  reason?: string;
}

/** Who caused an event; every field absent for Keyward itself. */
export interface EventActor {
  userId?: string;
  apiKeyId?: string;
  sessionId?: string;
}

/** What an event is about. */
export interface EventSubject {
  tenantId?: string;
  userId?: string;
  apiKeyId?: string;
  sessionId?: string;
}

/** Where a call came from. */
export interface EventClient {
  address?: string;
  userAgent?: string;
}

/** One changed field: its path and, for rights, state, expiry, networks and admin, JSON of before/after. */
export interface EventChange {
  field: string;
  before?: string;
  after?: string;
}

/** An event before the store places it in the chain. */
export interface NewEvent {
  time: Date;
  type: string;
  actor: EventActor;
  subject: EventSubject;
  client: EventClient;
  changed: EventChange[];
  /**
   * For `auth.fail`, the refusal's reason; for `api_key.expiring`, the point's label; for an event with a
   * cause (`api_key.leaked`), the cause's reason (the report's URL).
   */
  reason?: string;
  /** Occurrences it stands for; 1 but for aggregated `auth.fail`. */
  count: number;
}

/** An event as stored: its place in the chain and its link. */
export interface EventRecord extends NewEvent {
  /** Position in the store's chain, from 1, strictly increasing in commit order. */
  seq: number;
  /** Hex SHA-256 of event `seq - 1`'s canonical form; `""` for seq 1. */
  previousHash: string;
  /** Hex SHA-256 of this event's canonical form (which includes `previousHash`). */
  hash: string;
}

/** See {@link EventStore.eventChainHead}. */
export interface EventChainHead {
  seq: number;
  /**
   * The hash of event `seq` as the chain recorded it when appending (`""` when none was ever written), so
   * `keyward events verify` tells a newest event deleted, or replaced with a rehashed row, from an intact
   * chain. Optional until every adapter returns it; the verifier checks it when present.
   */
  hash?: string;
  prunedThroughSeq: number;
  prunedThroughHash: string;
}

/** Which events a read returns; absent fields do not filter. */
export interface EventFilter {
  /** Only events whose `subject.tenantId` is this (an admin's tenant scope). */
  tenantId?: string;
  /** Only events whose subject or actor is this user. */
  userId?: string;
  /** Only events whose subject is this key. */
  apiKeyId?: string;
  /** Only events whose type starts with this. */
  typePrefix?: string;
}

/** Filters and page of {@link EventStore.listEvents}. */
export interface EventListRequest extends EventFilter, PageRequest {
  /** Only events with a greater seq. */
  afterSeq?: number;
  /** Only events with a smaller seq. */
  beforeSeq?: number;
  /** Only events at or after this time. */
  since?: Date;
}

/** One page of events, newest first; no total (counting a large trail costs more than the page). */
export interface EventPage {
  items: EventRecord[];
  /** `""` on the last page. */
  nextPageToken: string;
}

/** A webhook as stored. Its signing secret is not stored: it is derived from `secretSalt` (see events/). */
export interface WebhookRecord {
  webhookId: string;
  /** The tenant whose events it receives; absent for a system admin's webhook (every event). */
  tenantId?: string;
  url: string;
  /** Event type prefixes; empty for every type. */
  eventTypes: string[];
  enabled: boolean;
  /** Random, public-safe input of the secret's derivation; fixed at creation. */
  secretSalt: string;
  createdAt: Date;
  updatedAt: Date;
  /** Delivery counters, maintained by {@link DeliveryStore.finishDelivery}; ignored on create. */
  delivery: WebhookDeliveryCounters;
}

/** See {@link WebhookRecord.delivery}. `pending` is counted when read. */
export interface WebhookDeliveryCounters {
  pending: number;
  delivered: number;
  failed: number;
  lastAttemptAt?: Date;
  /** 0 when the last attempt got no HTTP answer. */
  lastStatus?: number;
  /** `""` or absent after a success. */
  lastError?: string;
  lastSuccessAt?: Date;
}

/** Filters for {@link WebhookStore.listWebhooks}. */
export interface WebhookListRequest extends PageRequest {
  tenantId?: string;
}

/** Who holds a claimed delivery, and until when. */
export interface DeliveryLease {
  /** A process-unique id. */
  owner: string;
  until: Date;
}

/** A delivery as {@link DeliveryStore.claimDeliveries} hands it out. */
export interface ClaimedDelivery {
  webhook: WebhookRecord;
  event: EventRecord;
  /** Attempts made before this one. */
  attempts: number;
  /** When the delivery was queued (retries stop 24 h after it). */
  queuedAt: Date;
}

/** The result of one attempt, see {@link DeliveryStore.finishDelivery}. */
export type DeliveryOutcome =
  | { result: "delivered"; at: Date; status: number }
  | { result: "retry"; at: Date; status: number; error: string; nextAttemptAt: Date }
  | { result: "failed"; at: Date; status: number; error: string };

/** A warning point: how long before expiry, and its label in the event (`7d`). */
export interface ExpiryPoint {
  leadMs: number;
  label: string;
}

/**
 * What a feed entry names: a key, a user (all of their keys and sessions), or one session. Open for more
 * kinds: a reader that meets a kind it does not know must treat it as "anything may have changed" and drop
 * its whole cache.
 */
export type RevocationKind = "api_key" | "user" | "session";

/** One revocation-feed entry: a change that may reduce what `subjectId` (a key id or user id) may do. */
export interface RevocationEntry {
  /** Position in the feed; strictly increasing in commit order. */
  seq: number;
  kind: RevocationKind;
  subjectId: string;
  /** When the change was written (the writer's clock); pruning goes by it. */
  at: Date;
}

/** One read of the revocation feed, see {@link Store.readRevocations}. */
export interface RevocationBatch {
  entries: RevocationEntry[];
  cursor: number;
  missed: boolean;
}

/**
 * A counter for one subject (sign-in attempts of a user id or a client's network; the calls a key made in
 * its rate-limit window; a leak report already acted on), kept in the store so that every process and
 * node sharing it counts together. The store knows no policy: the caller's updater decides what an
 * attempt costs and when the counter lapses.
 */
export interface AttemptCounter {
  /** Attempts counted and not yet given back or forgotten. */
  attempts: number;
  /** No further attempt may be counted before this time. */
  nextAttemptAt: Date;
  /** From this time on the counter means nothing: the store reads it as absent, and pruning deletes it. */
  expiresAt: Date;
}

/** A key and the user who owns it, as {@link Store.findApiKeyWithOwner} reads them. */
export interface ApiKeyWithOwner {
  key: ApiKeyRecord;
  user: UserRecord;
}

/** One observed use of a key (or a session), for {@link Store.recordApiKeyUse}. */
export interface ApiKeyUse {
  id: string;
  at: Date;
  /** The client address of the use, if known. */
  ip?: string;
  /** The client's `User-Agent`, if it sent one. */
  userAgent?: string;
}

/** What went wrong, independent of the backend. Services map these to API errors. */
export type StoreErrorKind =
  | "not_found"
  | "already_exists"
  | "conflict"
  | "unavailable"
  | "limit_reached"
  | "last_admin"
  | "not_empty"
  | "invalid_argument";

/** The entity an error is about, so services can tell USER_NOT_FOUND from API_KEY_NOT_FOUND. */
export type StoreEntity = "user" | "api_key" | "session" | "attempt_counter" | "tenant" | "event" | "webhook";

/** Structured details of a {@link StoreError}, for mapping it to API errors without parsing messages. */
export interface StoreErrorDetails {
  /** The entity the error is about. */
  entity?: StoreEntity;
  /** That entity's id: a user, tenant or key id (public, never a secret). For `limit_reached`, the user id. */
  subjectId?: string;
  /** For `limit_reached`: the cap that was hit. */
  limit?: number;
  cause?: unknown;
}

/** The one error type adapters throw; driver errors are translated into it. */
export class StoreError extends Error {
  override readonly name = "StoreError";
  readonly kind: StoreErrorKind;
  readonly entity: StoreEntity | undefined;
  readonly subjectId: string | undefined;
  readonly limit: number | undefined;

  constructor(kind: StoreErrorKind, message: string, details: StoreErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.kind = kind;
    this.entity = details.entity;
    this.subjectId = details.subjectId;
    this.limit = details.limit;
  }
}

/** Narrows `error` to a {@link StoreError}, optionally of one kind. */
export function isStoreError(error: unknown, kind?: StoreErrorKind): error is StoreError {
  return error instanceof StoreError && (kind === undefined || error.kind === kind);
}
