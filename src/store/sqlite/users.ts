// The users table: its SQL and the operations on it, as statements prepared once per connection.
import { decodePageToken } from "../page-token.js";
import { fetchSize, toPage, userListScope } from "../pagination.js";
import { checkPasswordRecord, checkUpdatedUser, checkUserRecord } from "../record-checks.js";
import { passwordUpdated, userCreated, userDeleted, userUpdated } from "../change-events.js";
import { found, isActiveAdmin, lastActiveAdmin, notFound, tenantSubject, userSubject } from "../store-errors.js";
import type { EndSessions, Guard, Page, PasswordRecord, Updater, UserListRequest, UserRecord, UserStore } from "../store.js";
import { rowReader, type SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import type { AppendEvent } from "./events.js";
import type { AppendRevocation } from "./revocations.js";
import { rowCounter, type ReadRowCount } from "./row-counts.js";
import { rowToUser, userToRow, type UserRow } from "./user-rows.js";

// Never password_hash: a UserRecord does not carry it (getPassword reads it alone).
const COLUMNS = "user_id, name, email, admin, state, created_at, updated_at, password_set_at, tenant_id";

/** The users table's SQL, exported so tests can EXPLAIN exactly what runs. */
export const USER_SQL = {
  insert: `INSERT INTO users (${COLUMNS})
    VALUES (@user_id, @name, @email, @admin, @state, @created_at, @updated_at, @password_set_at, @tenant_id)`,
  // The new user's tenant, read in the create's write transaction (ARCHITECTURE.md, "Tenants").
  tenantExists: "SELECT 1 AS present FROM tenants WHERE tenant_id = ?",
  getPassword: "SELECT password_hash, password_set_at FROM users WHERE user_id = ?",
  setPassword: "UPDATE users SET password_hash = @hash, password_set_at = @set_at WHERE user_id = @user_id",
  // Suspension and password changes end sessions (ARCHITECTURE.md, "Sessions and passwords"); deleting the user cascades.
  endSessions: "DELETE FROM sessions WHERE user_id = @user_id AND (@except IS NULL OR id <> @except)",
  get: `SELECT ${COLUMNS} FROM users WHERE user_id = ?`,
  update: `UPDATE users SET name = @name, email = @email, admin = @admin, state = @state,
    created_at = @created_at, updated_at = @updated_at WHERE user_id = @user_id`,
  // api_keys rows go with it through ON DELETE CASCADE, in the same statement.
  delete: "DELETE FROM users WHERE user_id = ?",
  firstPage: `SELECT ${COLUMNS} FROM users ORDER BY created_at DESC, user_id DESC LIMIT @limit`,
  pageAfter: `SELECT ${COLUMNS} FROM users WHERE (created_at, user_id) < (@created_at, @id)
    ORDER BY created_at DESC, user_id DESC LIMIT @limit`,
  // One tenant's users: the same keyset, served by users_by_tenant_newest_first.
  firstPageOfTenant: `SELECT ${COLUMNS} FROM users WHERE tenant_id = @tenant_id
    ORDER BY created_at DESC, user_id DESC LIMIT @limit`,
  pageAfterOfTenant: `SELECT ${COLUMNS} FROM users WHERE tenant_id = @tenant_id AND (created_at, user_id) < (@created_at, @id)
    ORDER BY created_at DESC, user_id DESC LIMIT @limit`,
  // The last-admin guard keeps system admins only (ARCHITECTURE.md, "Tenants").
  countActiveAdmins: "SELECT count(*) AS n FROM users WHERE admin = 1 AND state = 'active' AND tenant_id IS NULL",
} as const;

type Cursor = { created_at: number; id: string };

/** Reads one user on `db`; inside another table's transaction it reads what that transaction sees. */
export type ReadUser = (userId: string) => UserRecord | undefined;

/** The user reader on `db`, for the other tables' transactions. */
export function userReader(db: SqliteDatabase): ReadUser {
  return rowReader(db, USER_SQL.get, rowToUser);
}

/** The users' slice of the Store: the users table's operations, as statements prepared once per connection. */
export class SqliteUsers implements UserStore {
  readonly #db: SqliteDatabase;
  readonly #find: ReadUser;
  readonly #insert;
  readonly #update;
  readonly #delete;
  readonly #firstPage;
  readonly #pageAfter;
  readonly #rowCount: ReadRowCount;
  readonly #firstPageOfTenant;
  readonly #pageAfterOfTenant;
  readonly #tenantExists;
  readonly #countActiveAdmins;
  readonly #getPassword;
  readonly #setPassword;
  readonly #endSessions;
  readonly #setPasswordTransaction;
  readonly #createTransaction;
  readonly #updateTransaction;
  readonly #deleteTransaction;
  readonly #listTransaction;

  constructor(db: SqliteDatabase, appendRevocation: AppendRevocation, appendEvent: AppendEvent) {
    this.#db = db;
    this.#find = userReader(db);
    this.#insert = db.prepare<UserRow>(USER_SQL.insert);
    this.#update = db.prepare<UserRow>(USER_SQL.update);
    this.#delete = db.prepare<[string]>(USER_SQL.delete);
    this.#firstPage = db.prepare<{ limit: number }, UserRow>(USER_SQL.firstPage);
    this.#pageAfter = db.prepare<Cursor & { limit: number }, UserRow>(USER_SQL.pageAfter);
    this.#rowCount = rowCounter(db);
    this.#firstPageOfTenant = db.prepare<{ tenant_id: string; limit: number }, UserRow>(USER_SQL.firstPageOfTenant);
    this.#pageAfterOfTenant = db.prepare<Cursor & { tenant_id: string; limit: number }, UserRow>(USER_SQL.pageAfterOfTenant);
    this.#tenantExists = db.prepare<[string], { present: number }>(USER_SQL.tenantExists);
    this.#countActiveAdmins = db.prepare<[], { n: number }>(USER_SQL.countActiveAdmins);
    this.#getPassword = db.prepare<[string], { password_hash: string | null; password_set_at: number | null }>(USER_SQL.getPassword);
    this.#setPassword = db.prepare<{ user_id: string; hash: string; set_at: number }>(USER_SQL.setPassword);
    this.#endSessions = db.prepare<{ user_id: string; except: string | null }>(USER_SQL.endSessions);
    this.#createTransaction = db.transaction((user: UserRecord, password: PasswordRecord | undefined) => {
      // Under the write lock, so a tenant's delete (which refuses while it has users) cannot interleave.
      if (user.tenantId !== undefined && !this.#tenantExists.get(user.tenantId)) throw notFound(tenantSubject(user.tenantId));
      // The record's own passwordSetAt is not the store's to take: only a password given here sets it.
      this.#insert.run({ ...userToRow(user), password_set_at: null });
      if (password) this.#setPassword.run({ user_id: user.userId, hash: password.hash, set_at: password.setAt.getTime() });
      appendEvent(userCreated(user));
    });
    this.#setPasswordTransaction = db.transaction(
      (userId: string, password: PasswordRecord, endSessions: EndSessions | undefined, guard: Guard<UserRecord> | undefined) => {
        const current = this.#mustGet(userId);
        guard?.(current);
        this.#setPassword.run({ user_id: userId, hash: password.hash, set_at: password.setAt.getTime() });
        if (endSessions) {
          this.#endSessions.run({ user_id: userId, except: endSessions.except ?? null });
          // Other nodes drop the user's cached sessions (and keys, which they simply re-read).
          appendRevocation("user", userId);
        }
        // The sessions it ends go with the password's event, without events of their own.
        appendEvent(passwordUpdated(current));
      },
    );
    this.#updateTransaction = db.transaction((userId: string, updater: Updater<UserRecord>) => {
      const current = this.#mustGet(userId);
      const next = updater(current);
      checkUpdatedUser(current, next);
      this.#update.run(userToRow(next));
      if (isActiveAdmin(current) && !isActiveAdmin(next)) this.#keepAnActiveAdmin(userId);
      appendRevocation("user", userId);
      // Suspension's ended sessions go with the user's event, without events of their own.
      if (current.state !== "suspended" && next.state === "suspended") this.#endSessions.run({ user_id: userId, except: null });
      const stored = this.#mustGet(userId);
      const event = userUpdated(current, stored);
      if (event) appendEvent(event);
      return stored;
    });
    // The feed entry and the event commit with the delete, or none does; the keys and sessions that go
    // with the user have no events of their own.
    this.#deleteTransaction = db.transaction((userId: string, guard: Guard<UserRecord> | undefined) => {
      const current = this.#mustGet(userId);
      guard?.(current);
      this.#delete.run(userId);
      if (isActiveAdmin(current)) this.#keepAnActiveAdmin(userId);
      appendRevocation("user", userId);
      appendEvent(userDeleted(current));
    });
    // One read transaction, so the page and its totalSize come from the same snapshot.
    this.#listTransaction = db.transaction((request: UserListRequest) => this.#list(request));
  }

  async createUser(user: UserRecord, password?: PasswordRecord): Promise<void> {
    return runSqlite(this.#db, userSubject(user.userId), () => {
      checkUserRecord(user);
      if (password) checkPasswordRecord(password);
      this.#createTransaction.immediate(user, password);
    });
  }

  async getPassword(userId: string): Promise<PasswordRecord | undefined> {
    return runSqlite(this.#db, userSubject(userId), () => {
      const row = this.#getPassword.get(userId);
      if (!row) throw notFound({ entity: "user", id: userId });
      return row.password_hash === null || row.password_set_at === null
        ? undefined
        : { hash: row.password_hash, setAt: new Date(row.password_set_at) };
    });
  }

  /** The guard, the password and the sessions it ends under one IMMEDIATE transaction. */
  async setPassword(userId: string, password: PasswordRecord, endSessions?: EndSessions, guard?: Guard<UserRecord>): Promise<void> {
    return runSqlite(this.#db, userSubject(userId), () => {
      checkPasswordRecord(password);
      this.#setPasswordTransaction.immediate(userId, password, endSessions, guard);
    });
  }

  async getUser(userId: string): Promise<UserRecord> {
    return found(await runSqlite(this.#db, userSubject(userId), () => this.#find(userId)), userSubject(userId));
  }

  async listUsers(request: UserListRequest): Promise<Page<UserRecord>> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(request));
  }

  #list(request: UserListRequest): Page<UserRecord> {
    const { tenantId } = request;
    const scope = userListScope(tenantId);
    const after = decodePageToken(scope, request.pageToken);
    const limit = fetchSize(request.pageSize);
    const cursor = after && { created_at: after.createdAt.getTime(), id: after.id };
    let rows: UserRow[];
    let total: number;
    if (tenantId === undefined) {
      rows = cursor ? this.#pageAfter.all({ ...cursor, limit }) : this.#firstPage.all({ limit });
      total = this.#rowCount("users");
    } else {
      const tenant = { tenant_id: tenantId, limit };
      rows = cursor ? this.#pageAfterOfTenant.all({ ...cursor, ...tenant }) : this.#firstPageOfTenant.all(tenant);
      total = this.#rowCount("users_of_tenant", tenantId);
    }
    return toPage(rows.map(rowToUser), request.pageSize, total, scope, (u) => ({
      createdAt: u.createdAt,
      id: u.userId,
    }));
  }

  /** Read, update and write under one IMMEDIATE transaction (the write lock is held throughout). */
  async updateUser(userId: string, updater: Updater<UserRecord>): Promise<UserRecord> {
    return runSqlite(this.#db, userSubject(userId), () => this.#updateTransaction.immediate(userId, updater));
  }

  /**
   * Deletes the user and, through the foreign-key cascade, their keys in the same statement, under an
   * IMMEDIATE transaction that also runs `guard` and decides the last-admin guard.
   */
  async deleteUser(userId: string, guard?: Guard<UserRecord>): Promise<void> {
    return runSqlite(this.#db, userSubject(userId), () => this.#deleteTransaction.immediate(userId, guard));
  }

  async countActiveAdmins(): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#countAdmins());
  }

  #countAdmins(): number {
    return this.#countActiveAdmins.get()?.n ?? 0;
  }

  /**
   * Called inside a write transaction after `userId` stopped being an active system admin: throwing rolls the
   * change back. The transaction is IMMEDIATE, so it holds the database's write lock from its first read:
   * two processes removing the last two admins at once are serialized, and the second sees the first.
   */
  #keepAnActiveAdmin(userId: string): void {
    if (this.#countAdmins() === 0) throw lastActiveAdmin(userId);
  }

  #mustGet(userId: string): UserRecord {
    const user = this.#find(userId);
    if (!user) throw notFound({ entity: "user", id: userId });
    return user;
  }
}
