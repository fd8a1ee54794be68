// The embedded Store: SQLite through better-sqlite3. better-sqlite3 is synchronous, so every operation
// runs to completion (including its transaction) before another starts on this connection; the async
// methods exist to satisfy the Store contract shared with networked backends.
import {
  apiKeySubject,
  attemptCounterSubject,
  found,
  sessionSubject,
  storeClosed,
  tenantSubject,
  unavailable,
  userSubject,
  type Subject,
} from "../store-errors.js";
import type {
  ApiKeyLimits,
  ApiKeyListRequest,
  ApiKeyRecord,
  ApiKeyUse,
  ApiKeyWithOwner,
  AttemptCounter,
  EndSessions,
  Guard,
  KeyUpdater,
  LiveSessions,
  Page,
  PageRequest,
  RevocationBatch,
  PasswordRecord,
  SessionListRequest,
  SessionRecord,
  SessionWithOwner,
  Store,
  TenantRecord,
  Updater,
  UserListRequest,
  UserRecord,
} from "../store.js";
import { SqliteApiKeys } from "./api-keys.js";
import { SqliteAttemptCounters } from "./attempt-counters.js";
import { openDatabase, type SqliteDatabase } from "./connection.js";
import { translateSqliteError } from "./errors.js";
import { migrate } from "./migrations.js";
import { SqliteRevocations } from "./revocations.js";
import { SqliteSessions } from "./sessions.js";
import { SqliteTenants } from "./tenants.js";
import { SqliteUsers } from "./users.js";

/**
 * Opens (creating if needed) the SQLite database at `filename`, a file path or `":memory:"`, and migrates
 * its schema to the latest version. Throws `unavailable` if the file cannot be opened, and refuses a
 * database whose schema is newer than this code.
 */
export function openSqliteStore(filename: string): SqliteStore {
  let db: SqliteDatabase | undefined;
  try {
    db = openFile(filename);
    migrate(db);
    return new SqliteStore(db);
  } catch (error) {
    db?.close();
    throw translateSqliteError(error, undefined);
  }
}

function openFile(filename: string): SqliteDatabase {
  try {
    return openDatabase(filename);
  } catch (error) {
    // better-sqlite3 reports a missing directory as a TypeError, not a SqliteError.
    throw unavailable(`cannot open SQLite database ${filename}: ${(error as Error).message}`, error);
  }
}

/** A {@link Store} on one SQLite connection. Create it with {@link openSqliteStore}. */
export class SqliteStore implements Store {
  readonly #db: SqliteDatabase;
  readonly #users: SqliteUsers;
  readonly #apiKeys: SqliteApiKeys;
  readonly #revocations: SqliteRevocations;
  readonly #sessions: SqliteSessions;
  readonly #attempts: SqliteAttemptCounters;
  readonly #tenants: SqliteTenants;

  constructor(db: SqliteDatabase) {
    this.#db = db;
    this.#revocations = new SqliteRevocations(db);
    this.#users = new SqliteUsers(db, this.#revocations);
    const readUser = (userId: string) => this.#users.get(userId);
    this.#apiKeys = new SqliteApiKeys(db, this.#revocations, readUser);
    this.#sessions = new SqliteSessions(db, this.#revocations, readUser);
    this.#attempts = new SqliteAttemptCounters(db);
    this.#tenants = new SqliteTenants(db);
  }

  /** The underlying connection, for tests and diagnostics (EXPLAIN QUERY PLAN, bulk loads). */
  get database(): SqliteDatabase {
    return this.#db;
  }

  async createUser(user: UserRecord, password?: PasswordRecord): Promise<void> {
    this.#run(userSubject(user.userId), () => this.#users.create(user, password));
  }

  async getUser(userId: string): Promise<UserRecord> {
    return found(this.#run(userSubject(userId), () => this.#users.get(userId)), userSubject(userId));
  }

  async listUsers(request: UserListRequest): Promise<Page<UserRecord>> {
    return this.#run(undefined, () => this.#users.list(request));
  }

  async updateUser(userId: string, updater: Updater<UserRecord>): Promise<UserRecord> {
    return this.#run(userSubject(userId), () => this.#users.update(userId, updater));
  }

  async deleteUser(userId: string, guard?: Guard<UserRecord>): Promise<void> {
    this.#run(userSubject(userId), () => this.#users.delete(userId, guard));
  }

  async countActiveAdmins(): Promise<number> {
    return this.#run(undefined, () => this.#users.countActiveAdmins());
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    this.#run(tenantSubject(tenant.tenantId), () => this.#tenants.create(tenant));
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    return found(this.#run(tenantSubject(tenantId), () => this.#tenants.get(tenantId)), tenantSubject(tenantId));
  }

  async listTenants(request: PageRequest): Promise<Page<TenantRecord>> {
    return this.#run(undefined, () => this.#tenants.list(request));
  }

  async updateTenant(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord> {
    return this.#run(tenantSubject(tenantId), () => this.#tenants.update(tenantId, updater));
  }

  async deleteTenant(tenantId: string): Promise<void> {
    this.#run(tenantSubject(tenantId), () => this.#tenants.delete(tenantId));
  }

  async createApiKey(key: ApiKeyRecord, limits: ApiKeyLimits, guard?: Guard<UserRecord>): Promise<void> {
    this.#run(apiKeySubject(key.id), () => this.#apiKeys.create(key, limits, guard));
  }

  async getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord> {
    return found(this.#run(apiKeySubject(keyId), () => this.#apiKeys.get(userId, keyId)), apiKeySubject(keyId));
  }

  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#run(apiKeySubject(keyId), () => this.#apiKeys.find(keyId));
  }

  async findApiKeyWithOwner(keyId: string): Promise<ApiKeyWithOwner | undefined> {
    return this.#run(apiKeySubject(keyId), () => this.#apiKeys.findWithOwner(keyId));
  }

  async listApiKeys(userId: string, request: ApiKeyListRequest): Promise<Page<ApiKeyRecord>> {
    return this.#run(undefined, () => this.#apiKeys.list(userId, request));
  }

  async updateApiKey(userId: string, keyId: string, updater: KeyUpdater): Promise<ApiKeyRecord> {
    return this.#run(apiKeySubject(keyId), () => this.#apiKeys.update(userId, keyId, updater));
  }

  async deleteApiKey(userId: string, keyId: string, guard?: Guard<ApiKeyRecord>): Promise<void> {
    this.#run(apiKeySubject(keyId), () => this.#apiKeys.delete(userId, keyId, guard));
  }

  async countApiKeys(userId: string): Promise<number> {
    return this.#run(undefined, () => this.#apiKeys.count(userId));
  }

  async recordApiKeyUse(uses: ApiKeyUse[]): Promise<void> {
    this.#run(undefined, () => this.#apiKeys.recordUse(uses));
  }

  async revocationHead(): Promise<number> {
    return this.#run(undefined, () => this.#revocations.head());
  }

  async readRevocations(after: number, limit: number): Promise<RevocationBatch> {
    return this.#run(undefined, () => this.#revocations.read(after, limit));
  }

  async pruneRevocations(before: Date): Promise<number> {
    return this.#run(undefined, () => this.#revocations.prune(before));
  }

  async getPassword(userId: string): Promise<PasswordRecord | undefined> {
    return this.#run(userSubject(userId), () => this.#users.getPassword(userId));
  }

  async setPassword(userId: string, password: PasswordRecord, endSessions?: EndSessions, guard?: Guard<UserRecord>): Promise<void> {
    this.#run(userSubject(userId), () => this.#users.setPassword(userId, password, endSessions, guard));
  }

  async createSession(session: SessionRecord): Promise<void> {
    this.#run(sessionSubject(session.id), () => this.#sessions.create(session));
  }

  async findSessionWithOwner(sessionId: string): Promise<SessionWithOwner | undefined> {
    return this.#run(sessionSubject(sessionId), () => this.#sessions.findWithOwner(sessionId));
  }

  async listSessions(userId: string, request: SessionListRequest): Promise<Page<SessionRecord>> {
    return this.#run(undefined, () => this.#sessions.list(userId, request));
  }

  async deleteSession(userId: string, sessionId: string, guard?: Guard<UserRecord>): Promise<void> {
    this.#run(sessionSubject(sessionId), () => this.#sessions.delete(userId, sessionId, guard));
  }

  async pruneSessions(userId: string, live: LiveSessions): Promise<number> {
    return this.#run(undefined, () => this.#sessions.prune(userId, live));
  }

  async recordSessionUse(uses: ApiKeyUse[]): Promise<void> {
    this.#run(undefined, () => this.#sessions.recordUse(uses));
  }

  async updateAttemptCounter(id: string, at: Date, updater: Updater<AttemptCounter | undefined>): Promise<AttemptCounter | undefined> {
    return this.#run(attemptCounterSubject(id), () => this.#attempts.update(id, at, updater));
  }

  async pruneAttemptCounters(at: Date): Promise<number> {
    return this.#run(undefined, () => this.#attempts.prune(at));
  }

  async close(): Promise<void> {
    if (this.#db.open) this.#db.close();
  }

  /** Runs one synchronous operation, translating SQLite errors into StoreErrors. */
  #run<T>(subject: Subject | undefined, operation: () => T): T {
    if (!this.#db.open) throw storeClosed();
    try {
      return operation();
    } catch (error) {
      throw translateSqliteError(error, subject);
    }
  }
}
