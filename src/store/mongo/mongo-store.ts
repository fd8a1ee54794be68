// The scale-out Store: MongoDB through the official driver. Needs a replica set (or sharded cluster)
// because cascade deletes and the key cap use multi-document transactions.
import type { Db, MongoClient } from "mongodb";
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
import {
  StoreError,
  isStoreError,
  type ApiKeyLimits,
  type ApiKeyListRequest,
  type ApiKeyRecord,
  type ApiKeyUse,
  type ApiKeyWithOwner,
  type AttemptCounter,
  type EndSessions,
  type Guard,
  type KeyUpdater,
  type LiveSessions,
  type Page,
  type PageRequest,
  type RevocationBatch,
  type PasswordRecord,
  type SessionListRequest,
  type SessionRecord,
  type SessionWithOwner,
  type Store,
  type TenantRecord,
  type Updater,
  type UserListRequest,
  type UserRecord,
} from "../store.js";
import { MongoApiKeys } from "./api-keys.js";
import { MongoAttemptCounters, ensureAttemptCounters } from "./attempt-counters.js";
import { createClient, databaseNameFromUrl, requireTransactions } from "./connection.js";
import { translateMongoError } from "./errors.js";
import { ensureGuards, ensureIndexes } from "./indexes.js";
import { MongoRevocations, ensureRevocationFeed } from "./revocations.js";
import { MongoSessions } from "./sessions.js";
import { MongoTenants } from "./tenants.js";
import { MongoUsers } from "./users.js";

/** Options for {@link openMongoStore}. */
export interface MongoStoreOptions {
  /** Overrides the database named in the URL (default `keyward`). */
  databaseName?: string;
}

/**
 * Connects to `url` (`mongodb://` or `mongodb+srv://`), checks that the deployment supports transactions
 * and creates the indexes. Rejects with `unavailable` when the deployment is unreachable or standalone,
 * and with `invalid_argument` when the URL is malformed.
 */
export async function openMongoStore(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
  const client = clientFor(url);
  try {
    await client.connect();
    await requireTransactions(client);
    const db = client.db(options.databaseName ?? databaseNameFromUrl(url));
    await ensureIndexes(db);
    await ensureGuards(db);
    await ensureRevocationFeed(db);
    await ensureAttemptCounters(db);
    return new MongoStore(client, db);
  } catch (error) {
    await client.close().catch(() => undefined);
    const translated = translateMongoError(error, undefined);
    // Whatever else stops us from connecting (DNS, TLS, authentication) is also "not now".
    throw isStoreError(translated) ? translated : unavailable(`cannot connect to MongoDB: ${messageOf(error)}`, error);
  }
}

/** A client for `url`; the driver validates the URL here, so every failure is a configuration error. */
function clientFor(url: string): MongoClient {
  try {
    return createClient(url);
  } catch (error) {
    throw new StoreError("invalid_argument", `invalid MongoDB URL: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A {@link Store} on one MongoDB database. Create it with {@link openMongoStore}. */
export class MongoStore implements Store {
  readonly #client: MongoClient;
  readonly #db: Db;
  readonly #users: MongoUsers;
  readonly #apiKeys: MongoApiKeys;
  readonly #revocations: MongoRevocations;
  readonly #sessions: MongoSessions;
  readonly #attempts: MongoAttemptCounters;
  readonly #tenants: MongoTenants;
  #closed = false;

  constructor(client: MongoClient, db: Db) {
    this.#client = client;
    this.#db = db;
    this.#revocations = new MongoRevocations(client, db);
    this.#users = new MongoUsers(client, db, this.#revocations);
    this.#apiKeys = new MongoApiKeys(client, db, this.#revocations);
    this.#sessions = new MongoSessions(client, db, this.#revocations);
    this.#attempts = new MongoAttemptCounters(db);
    this.#tenants = new MongoTenants(client, db);
  }

  /** The database, for tests and diagnostics. */
  get database(): Db {
    return this.#db;
  }

  async createUser(user: UserRecord, password?: PasswordRecord): Promise<void> {
    await this.#run(userSubject(user.userId), () => this.#users.create(user, password));
  }

  async getUser(userId: string): Promise<UserRecord> {
    return found(await this.#run(userSubject(userId), () => this.#users.get(userId)), userSubject(userId));
  }

  async listUsers(request: UserListRequest): Promise<Page<UserRecord>> {
    return this.#run(undefined, () => this.#users.list(request));
  }

  async updateUser(userId: string, updater: Updater<UserRecord>): Promise<UserRecord> {
    return this.#run(userSubject(userId), () => this.#users.update(userId, updater));
  }

  async deleteUser(userId: string, guard?: Guard<UserRecord>): Promise<void> {
    await this.#run(userSubject(userId), () => this.#users.delete(userId, guard));
  }

  async countActiveAdmins(): Promise<number> {
    return this.#run(undefined, () => this.#users.countActiveAdmins());
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    await this.#run(tenantSubject(tenant.tenantId), () => this.#tenants.create(tenant));
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    return found(await this.#run(tenantSubject(tenantId), () => this.#tenants.get(tenantId)), tenantSubject(tenantId));
  }

  async listTenants(request: PageRequest): Promise<Page<TenantRecord>> {
    return this.#run(undefined, () => this.#tenants.list(request));
  }

  async updateTenant(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord> {
    return this.#run(tenantSubject(tenantId), () => this.#tenants.update(tenantId, updater));
  }

  async deleteTenant(tenantId: string): Promise<void> {
    await this.#run(tenantSubject(tenantId), () => this.#tenants.delete(tenantId));
  }

  async createApiKey(key: ApiKeyRecord, limits: ApiKeyLimits, guard?: Guard<UserRecord>): Promise<void> {
    await this.#run(apiKeySubject(key.id), () => this.#apiKeys.create(key, limits, guard));
  }

  async getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord> {
    return found(await this.#run(apiKeySubject(keyId), () => this.#apiKeys.get(userId, keyId)), apiKeySubject(keyId));
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
    await this.#run(apiKeySubject(keyId), () => this.#apiKeys.delete(userId, keyId, guard));
  }

  async countApiKeys(userId: string): Promise<number> {
    return this.#run(undefined, () => this.#apiKeys.count(userId));
  }

  async recordApiKeyUse(uses: ApiKeyUse[]): Promise<void> {
    await this.#run(undefined, () => this.#apiKeys.recordUse(uses));
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
    await this.#run(userSubject(userId), () => this.#users.setPassword(userId, password, endSessions, guard));
  }

  async createSession(session: SessionRecord): Promise<void> {
    await this.#run(sessionSubject(session.id), () => this.#sessions.create(session));
  }

  async findSessionWithOwner(sessionId: string): Promise<SessionWithOwner | undefined> {
    return this.#run(sessionSubject(sessionId), () => this.#sessions.findWithOwner(sessionId));
  }

  async listSessions(userId: string, request: SessionListRequest): Promise<Page<SessionRecord>> {
    return this.#run(undefined, () => this.#sessions.list(userId, request));
  }

  async deleteSession(userId: string, sessionId: string, guard?: Guard<UserRecord>): Promise<void> {
    await this.#run(sessionSubject(sessionId), () => this.#sessions.delete(userId, sessionId, guard));
  }

  async pruneSessions(userId: string, live: LiveSessions): Promise<number> {
    return this.#run(undefined, () => this.#sessions.prune(userId, live));
  }

  async recordSessionUse(uses: ApiKeyUse[]): Promise<void> {
    await this.#run(undefined, () => this.#sessions.recordUse(uses));
  }

  async updateAttemptCounter(id: string, at: Date, updater: Updater<AttemptCounter | undefined>): Promise<AttemptCounter | undefined> {
    return this.#run(attemptCounterSubject(id), () => this.#attempts.update(id, at, updater));
  }

  async pruneAttemptCounters(at: Date): Promise<number> {
    return this.#run(undefined, () => this.#attempts.prune(at));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#client.close();
  }

  /** Runs one operation, translating driver errors into StoreErrors. */
  async #run<T>(subject: Subject | undefined, operation: () => Promise<T>): Promise<T> {
    // The driver would silently reconnect a closed client; the contract says a closed store is unavailable.
    if (this.#closed) throw storeClosed();
    try {
      return await operation();
    } catch (error) {
      throw translateMongoError(error, subject);
    }
  }
}
