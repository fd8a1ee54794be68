// The api_keys table: its SQL and the operations on it, as statements prepared once per connection.
import { apiKeyCreated, apiKeyDeleted, apiKeyUpdated } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { apiKeyFilterOf } from "../name-search.js";
import { apiKeyListScope, fetchSize, toPage } from "../pagination.js";
import { checkApiKeyRecord, checkUpdatedApiKey, checkUsesLease } from "../record-checks.js";
import { apiKeySubject, found, keyLimitReached, notFound } from "../store-errors.js";
import { creditsAt, leaseOf, settleUsageEpoch } from "../usage-credits.js";
import type { ApiKeyLimits, ApiKeyListRequest, ApiKeyRecord, ApiKeyStore, ApiKeyUse, ApiKeyWithOwner, Guard, KeyUpdater, Page, UserRecord, UsesLease } from "../store.js";
import {
  KEY_WITH_OWNER_JSON,
  apiKeyToRow,
  rowToApiKey,
  rowToApiKeyWithOwner,
  type ApiKeyRow,
} from "./api-key-rows.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import type { AppendEvent } from "./events.js";
import type { AppendRevocation } from "./revocations.js";
import { rowCounter, type ReadRowCount } from "./row-counts.js";
import type { ReadUser } from "./users.js";

const COLUMNS = `id, user_id, name, name_folded, rights, state, secret_hash, previous_secret_hash,
  previous_secret_valid_until, expires_at, created_at, updated_at, last_used_at, last_used_ip,
  last_used_user_agent, allowed_ips, rate_limit_requests, rate_limit_period_ms, remaining_uses, refill_amount,
  refill_period_ms, refilled_at, metadata`;

// NULL parameters switch a filter off, so one statement serves every filter combination; the
// (user_id, created_at, id) index still drives the scan and the order.
const LIST_FILTER = `user_id = @user_id
  AND (@state IS NULL OR state = @state)
  AND (@name_contains IS NULL OR instr(name_folded, @name_contains) > 0)`;

/** The api_keys table's SQL, exported so tests can EXPLAIN exactly what runs. */
export const API_KEY_SQL = {
  insert: `INSERT INTO api_keys (${COLUMNS}) VALUES (@id, @user_id, @name, @name_folded, @rights, @state,
    @secret_hash, @previous_secret_hash, @previous_secret_valid_until, @expires_at, @created_at, @updated_at,
    @last_used_at, @last_used_ip, @last_used_user_agent, @allowed_ips, @rate_limit_requests, @rate_limit_period_ms,
    @remaining_uses, @refill_amount, @refill_period_ms, @refilled_at, @metadata)`,
  findById: `SELECT ${COLUMNS} FROM api_keys WHERE id = ?`,
  // One statement for the authentication hot path: two primary-key seeks, one read transaction.
  findWithOwner: `SELECT ${KEY_WITH_OWNER_JSON} FROM api_keys AS k JOIN users AS u ON u.user_id = k.user_id
    WHERE k.id = ?`,
  getOfUser: `SELECT ${COLUMNS} FROM api_keys WHERE id = ? AND user_id = ?`,
  update: `UPDATE api_keys SET name = @name, name_folded = @name_folded, rights = @rights, state = @state,
    secret_hash = @secret_hash, previous_secret_hash = @previous_secret_hash,
    previous_secret_valid_until = @previous_secret_valid_until, expires_at = @expires_at,
    created_at = @created_at, updated_at = @updated_at, last_used_at = @last_used_at,
    last_used_ip = @last_used_ip, last_used_user_agent = @last_used_user_agent, allowed_ips = @allowed_ips,
    rate_limit_requests = @rate_limit_requests, rate_limit_period_ms = @rate_limit_period_ms,
    remaining_uses = @remaining_uses, refill_amount = @refill_amount, refill_period_ms = @refill_period_ms,
    refilled_at = @refilled_at, metadata = @metadata
    WHERE id = @id`,
  deleteOfUser: "DELETE FROM api_keys WHERE id = ? AND user_id = ?",
  firstPage: `SELECT ${COLUMNS} FROM api_keys WHERE ${LIST_FILTER}
    ORDER BY created_at DESC, id DESC LIMIT @limit`,
  pageAfter: `SELECT ${COLUMNS} FROM api_keys WHERE ${LIST_FILTER} AND (created_at, id) < (@created_at, @id)
    ORDER BY created_at DESC, id DESC LIMIT @limit`,
  // Only for a filtered list (a state, a name): its cost grows with the user's keys. The unfiltered
  // count, which the cap reads too, is kept in row_counts.
  countFiltered: `SELECT count(*) AS n FROM api_keys WHERE ${LIST_FILTER}`,
  // Only moves forward: batches from several nodes may arrive out of order.
  recordUse: `UPDATE api_keys SET last_used_at = @at, last_used_ip = @ip, last_used_user_agent = @user_agent
    WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @at)`,
  // A lease of usage credits: read and written under one IMMEDIATE transaction; updated_at stays.
  creditsOf: `SELECT remaining_uses, refill_amount, refill_period_ms, refilled_at FROM api_keys WHERE id = ?`,
  setCredits: `UPDATE api_keys SET remaining_uses = @remaining_uses, refilled_at = @refilled_at WHERE id = @id`,
  // Only into the count the lease came from: a reset or refill since moved refilled_at on.
  returnUses: `UPDATE api_keys SET remaining_uses = remaining_uses + @count
    WHERE id = @id AND refilled_at = @epoch AND remaining_uses IS NOT NULL`,
} as const;

type CreditsRow = Pick<ApiKeyRow, "remaining_uses" | "refill_amount" | "refill_period_ms" | "refilled_at">;

type ListParams = { user_id: string; state: string | null; name_contains: string | null };
type Cursor = { created_at: number; id: string };

/** The API keys' slice of the Store: the api_keys table's operations, as statements prepared once per connection. */
export class SqliteApiKeys implements ApiKeyStore {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #findById;
  readonly #findWithOwner;
  readonly #getOfUser;
  readonly #update;
  readonly #deleteOfUser;
  readonly #rowCount: ReadRowCount;
  /** Reads a user on the same connection, so inside the running transaction. */
  readonly #readUser: ReadUser;
  readonly #firstPage;
  readonly #pageAfter;
  readonly #countFiltered;
  readonly #recordUse;
  readonly #creditsOf;
  readonly #setCredits;
  readonly #returnUses;
  readonly #createTransaction;
  readonly #updateTransaction;
  readonly #deleteTransaction;
  readonly #listTransaction;
  readonly #recordUseTransaction;
  readonly #takeTransaction;

  constructor(db: SqliteDatabase, appendRevocation: AppendRevocation, appendEvent: AppendEvent, readUser: ReadUser) {
    this.#db = db;
    this.#readUser = readUser;
    this.#insert = db.prepare<ApiKeyRow>(API_KEY_SQL.insert);
    this.#findById = db.prepare<[string], ApiKeyRow>(API_KEY_SQL.findById);
    this.#findWithOwner = db.prepare<[string], string>(API_KEY_SQL.findWithOwner).pluck(true);
    this.#getOfUser = db.prepare<[string, string], ApiKeyRow>(API_KEY_SQL.getOfUser);
    this.#update = db.prepare<ApiKeyRow>(API_KEY_SQL.update);
    this.#deleteOfUser = db.prepare<[string, string]>(API_KEY_SQL.deleteOfUser);
    this.#rowCount = rowCounter(db);
    this.#firstPage = db.prepare<ListParams & { limit: number }, ApiKeyRow>(API_KEY_SQL.firstPage);
    this.#pageAfter = db.prepare<ListParams & Cursor & { limit: number }, ApiKeyRow>(API_KEY_SQL.pageAfter);
    this.#countFiltered = db.prepare<ListParams, { n: number }>(API_KEY_SQL.countFiltered);
    this.#recordUse = db.prepare<{ id: string; at: number; ip: string | null; user_agent: string | null }>(API_KEY_SQL.recordUse);
    this.#creditsOf = db.prepare<[string], CreditsRow>(API_KEY_SQL.creditsOf);
    this.#setCredits = db.prepare<{ id: string; remaining_uses: number; refilled_at: number }>(API_KEY_SQL.setCredits);
    this.#returnUses = db.prepare<{ id: string; count: number; epoch: number }>(API_KEY_SQL.returnUses);

    // IMMEDIATE transactions take the write lock before reading, so check-then-write sequences (the cap,
    // read-modify-write) are serialized against other connections too, not just within this process.
    this.#createTransaction = db.transaction((key: ApiKeyRecord, limits: ApiKeyLimits, guard: Guard<UserRecord> | undefined) => {
      const owner = this.#readUser(key.userId);
      if (!owner) throw notFound({ entity: "user", id: key.userId });
      guard?.(owner);
      if (this.#count(key.userId) >= limits.maxKeysPerUser) throw keyLimitReached(key.userId, limits.maxKeysPerUser);
      this.#insert.run(apiKeyToRow(key));
      appendEvent(apiKeyCreated(key, owner));
    });
    // The write lock is taken before the read, so takes from every process and connection are serialized.
    this.#takeTransaction = db.transaction((keyId: string, want: number, now: Date): UsesLease | undefined => {
      const row = this.#creditsOf.get(keyId);
      if (row === undefined) return undefined;
      const stored = creditsRowToRecord(row);
      const credits = creditsAt(stored, now);
      if (credits === undefined) return undefined;
      const granted = Math.min(want, credits.remaining);
      const remaining = credits.remaining - granted;
      if (granted > 0 || credits.refilledAt.getTime() !== stored.refilledAt?.getTime()) {
        this.#setCredits.run({ id: keyId, remaining_uses: remaining, refilled_at: credits.refilledAt.getTime() });
      }
      return leaseOf(granted, remaining, credits);
    });
    this.#updateTransaction = db.transaction((userId: string, keyId: string, updater: KeyUpdater) => {
      const current = this.#mustGet(userId, keyId);
      const owner = this.#mustGetOwner(userId);
      const next = settleUsageEpoch(current, updater(current, owner), new Date());
      checkUpdatedApiKey(current, next);
      this.#update.run(apiKeyToRow(next));
      appendRevocation("api_key", keyId);
      const stored = this.#mustGet(userId, keyId);
      const event = apiKeyUpdated(current, stored, owner);
      if (event) appendEvent(event);
      return stored;
    });
    // The feed entry and the event commit with the delete, or none does.
    this.#deleteTransaction = db.transaction((userId: string, keyId: string, guard: Guard<ApiKeyRecord> | undefined) => {
      const current = this.#mustGet(userId, keyId);
      guard?.(current);
      if (this.#deleteOfUser.run(keyId, userId).changes === 0) throw notFound({ entity: "api_key", id: keyId });
      appendRevocation("api_key", keyId);
      appendEvent(apiKeyDeleted(current, this.#readUser(userId)));
    });
    // One read transaction, so the page and its totalSize come from the same snapshot.
    this.#listTransaction = db.transaction((userId: string, request: ApiKeyListRequest) => this.#list(userId, request));
    this.#recordUseTransaction = db.transaction((uses: ApiKeyUse[]) => {
      for (const use of uses) this.#recordUse.run({ id: use.id, at: use.at.getTime(), ip: use.ip ?? null, user_agent: use.userAgent ?? null });
    });
  }

  /** The guard, the cap and the insert under one IMMEDIATE transaction, so the guard judges the owner as stored. */
  async createApiKey(key: ApiKeyRecord, limits: ApiKeyLimits, guard?: Guard<UserRecord>): Promise<void> {
    return runSqlite(this.#db, apiKeySubject(key.id), () => {
      const stored = settleUsageEpoch(undefined, key, key.createdAt);
      checkApiKeyRecord(stored);
      this.#createTransaction.immediate(stored, limits, guard);
    });
  }

  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => {
      const row = this.#findById.get(keyId);
      return row && rowToApiKey(row);
    });
  }

  async findApiKeyWithOwner(keyId: string): Promise<ApiKeyWithOwner | undefined> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => {
      const row = this.#findWithOwner.get(keyId);
      return row === undefined ? undefined : rowToApiKeyWithOwner(keyId, row);
    });
  }

  async getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord> {
    return found(await runSqlite(this.#db, apiKeySubject(keyId), () => this.#get(userId, keyId)), apiKeySubject(keyId));
  }

  async listApiKeys(userId: string, request: ApiKeyListRequest): Promise<Page<ApiKeyRecord>> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(userId, request));
  }

  /** Key and owner read, updated and written under one IMMEDIATE transaction. */
  async updateApiKey(userId: string, keyId: string, updater: KeyUpdater): Promise<ApiKeyRecord> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => this.#updateTransaction.immediate(userId, keyId, updater));
  }

  /** The guard and the delete under one IMMEDIATE transaction, so the guard judges the key that is deleted. */
  async deleteApiKey(userId: string, keyId: string, guard?: Guard<ApiKeyRecord>): Promise<void> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => this.#deleteTransaction.immediate(userId, keyId, guard));
  }

  async countApiKeys(userId: string): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#count(userId));
  }

  /** Read, refill if due, grant and count off under one IMMEDIATE transaction: no event, no feed entry. */
  async takeApiKeyUses(keyId: string, want: number, now: Date): Promise<UsesLease | undefined> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => {
      checkUsesLease("want", want, "now", now);
      return this.#takeTransaction.immediate(keyId, want, now);
    });
  }

  /** One conditional UPDATE: it adds the uses back only while refilled_at is still the lease's epoch. */
  async returnApiKeyUses(keyId: string, count: number, epoch: Date): Promise<boolean> {
    return runSqlite(this.#db, apiKeySubject(keyId), () => {
      checkUsesLease("count", count, "epoch", epoch);
      return this.#returnUses.run({ id: keyId, count, epoch: epoch.getTime() }).changes === 1;
    });
  }

  async recordApiKeyUse(uses: ApiKeyUse[]): Promise<void> {
    return runSqlite(this.#db, undefined, () => {
      if (uses.length > 0) this.#recordUseTransaction.immediate(uses);
    });
  }

  #get(userId: string, keyId: string): ApiKeyRecord | undefined {
    const row = this.#getOfUser.get(keyId, userId);
    return row && rowToApiKey(row);
  }

  #count(userId: string): number {
    return this.#rowCount("api_keys_of_user", userId);
  }

  #list(userId: string, request: ApiKeyListRequest): Page<ApiKeyRecord> {
    const filter = apiKeyFilterOf(request);
    const scope = apiKeyListScope(userId, filter);
    const after = decodePageToken(scope, request.pageToken);
    const params: ListParams = { user_id: userId, state: filter.state ?? null, name_contains: filter.nameContains ?? null };
    const limit = fetchSize(request.pageSize);
    const rows = after
      ? this.#pageAfter.all({ ...params, created_at: after.createdAt.getTime(), id: after.id, limit })
      : this.#firstPage.all({ ...params, limit });
    const filtered = params.state !== null || params.name_contains !== null;
    const total = filtered ? (this.#countFiltered.get(params)?.n ?? 0) : this.#count(userId);
    return toPage(rows.map(rowToApiKey), request.pageSize, total, scope, (k) => k);
  }

  #mustGet(userId: string, keyId: string): ApiKeyRecord {
    const key = this.#get(userId, keyId);
    if (!key) throw notFound({ entity: "api_key", id: keyId });
    return key;
  }

  /** A key's owner; a key found under its user's id always has one (the foreign key cascades deletes). */
  #mustGetOwner(userId: string): UserRecord {
    const owner = this.#readUser(userId);
    if (!owner) throw notFound({ entity: "user", id: userId });
    return owner;
  }
}

/** The credit fields of a row, as `creditsAt` reads them. */
function creditsRowToRecord(row: CreditsRow): Pick<ApiKeyRecord, "remainingUses" | "refill" | "refilledAt"> {
  const credits: Pick<ApiKeyRecord, "remainingUses" | "refill" | "refilledAt"> = {};
  if (row.remaining_uses !== null) credits.remainingUses = row.remaining_uses;
  if (row.refill_amount !== null && row.refill_period_ms !== null) credits.refill = { amount: row.refill_amount, periodMs: row.refill_period_ms };
  if (row.refilled_at !== null) credits.refilledAt = new Date(row.refilled_at);
  return credits;
}
