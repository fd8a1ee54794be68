// The sessions table: its SQL and the operations on it, as statements prepared once per connection.
import { sessionCreated, sessionDeleted } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { fetchSize, sessionListScope, toPage } from "../pagination.js";
import { checkSessionRecord } from "../record-checks.js";
import { notFound, sessionSubject } from "../store-errors.js";
import type { ApiKeyUse, Guard, LiveSessions, Page, SessionListRequest, SessionRecord, SessionStore, SessionWithOwner, UserRecord } from "../store.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import type { AppendEvent } from "./events.js";
import type { AppendRevocation } from "./revocations.js";
import type { ReadUser } from "./users.js";
import { userFromColumns } from "./user-rows.js";

const COLUMNS = "id, user_id, secret_hash, created_at, expires_at, last_used_at, user_agent, address";
const LIVE = "user_id = @user_id AND last_used_at >= @used_since AND expires_at > @expires_after";

/** The sessions table's SQL, exported so tests can EXPLAIN exactly what runs. */
export const SESSION_SQL = {
  insert: `INSERT INTO sessions (${COLUMNS})
    VALUES (@id, @user_id, @secret_hash, @created_at, @expires_at, @last_used_at, @user_agent, @address)`,
  // The authentication path: two primary-key seeks in one statement.
  findWithOwner: `SELECT s.id, s.user_id, s.secret_hash, s.created_at, s.expires_at, s.last_used_at, s.user_agent,
    s.address, u.name AS u_name, u.email AS u_email, u.admin AS u_admin, u.state AS u_state,
    u.created_at AS u_created_at, u.updated_at AS u_updated_at, u.password_set_at AS u_password_set_at,
    u.tenant_id AS u_tenant_id
    FROM sessions AS s JOIN users AS u ON u.user_id = s.user_id WHERE s.id = ?`,
  firstPage: `SELECT ${COLUMNS} FROM sessions WHERE ${LIVE} ORDER BY created_at DESC, id DESC LIMIT @limit`,
  pageAfter: `SELECT ${COLUMNS} FROM sessions WHERE ${LIVE} AND (created_at, id) < (@created_at, @id)
    ORDER BY created_at DESC, id DESC LIMIT @limit`,
  count: `SELECT count(*) AS n FROM sessions WHERE ${LIVE}`,
  deleteOfUser: "DELETE FROM sessions WHERE id = ? AND user_id = ?",
  prune: "DELETE FROM sessions WHERE user_id = @user_id AND (last_used_at < @used_since OR expires_at <= @expires_after)",
  // Only moves forward: batches from several nodes may arrive out of order.
  recordUse: "UPDATE sessions SET last_used_at = @at WHERE id = @id AND last_used_at < @at",
} as const;

interface SessionRow {
  id: string;
  user_id: string;
  secret_hash: string;
  created_at: number;
  expires_at: number;
  last_used_at: number;
  user_agent: string;
  address: string;
}

interface SessionWithOwnerRow extends SessionRow {
  u_name: string;
  u_email: string;
  u_admin: number;
  u_state: string;
  u_created_at: number;
  u_updated_at: number;
  u_password_set_at: number | null;
  u_tenant_id: string | null;
}

type LiveParams = { user_id: string; used_since: number; expires_after: number };
type Cursor = { created_at: number; id: string };

function sessionToRow(session: SessionRecord): SessionRow {
  return {
    id: session.id,
    user_id: session.userId,
    secret_hash: session.secretHash,
    created_at: session.createdAt.getTime(),
    expires_at: session.expiresAt.getTime(),
    last_used_at: session.lastUsedAt.getTime(),
    user_agent: session.userAgent,
    address: session.address,
  };
}

function rowToSession(row: SessionRow): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    secretHash: row.secret_hash,
    createdAt: new Date(row.created_at),
    expiresAt: new Date(row.expires_at),
    lastUsedAt: new Date(row.last_used_at),
    userAgent: row.user_agent,
    address: row.address,
  };
}

function liveParams(userId: string, live: LiveSessions): LiveParams {
  return { user_id: userId, used_since: live.usedSince.getTime(), expires_after: live.expiresAfter.getTime() };
}

/** The sessions' slice of the Store: the sessions table's operations, as statements prepared once per connection. */
export class SqliteSessions implements SessionStore {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #findWithOwner;
  readonly #firstPage;
  readonly #pageAfter;
  readonly #count;
  readonly #deleteOfUser;
  readonly #prune;
  readonly #recordUse;
  readonly #createTransaction;
  readonly #listTransaction;
  readonly #recordUseTransaction;
  readonly #deleteTransaction;

  /** Reads a user on the same connection, so inside the running transaction. */
  readonly #readUser: ReadUser;

  constructor(db: SqliteDatabase, appendRevocation: AppendRevocation, appendEvent: AppendEvent, readUser: ReadUser) {
    this.#db = db;
    this.#readUser = readUser;
    this.#insert = db.prepare<SessionRow>(SESSION_SQL.insert);
    this.#findWithOwner = db.prepare<[string], SessionWithOwnerRow>(SESSION_SQL.findWithOwner);
    this.#firstPage = db.prepare<LiveParams & { limit: number }, SessionRow>(SESSION_SQL.firstPage);
    this.#pageAfter = db.prepare<LiveParams & Cursor & { limit: number }, SessionRow>(SESSION_SQL.pageAfter);
    this.#count = db.prepare<LiveParams, { n: number }>(SESSION_SQL.count);
    this.#deleteOfUser = db.prepare<[string, string]>(SESSION_SQL.deleteOfUser);
    this.#prune = db.prepare<LiveParams>(SESSION_SQL.prune);
    this.#recordUse = db.prepare<{ id: string; at: number }>(SESSION_SQL.recordUse);
    this.#createTransaction = db.transaction((session: SessionRecord) => {
      const owner = this.#readUser(session.userId);
      if (!owner) throw notFound({ entity: "user", id: session.userId });
      this.#insert.run(sessionToRow(session));
      appendEvent(sessionCreated(session, owner));
    });
    // One read transaction, so the page and its totalSize come from the same snapshot.
    this.#listTransaction = db.transaction((userId: string, request: SessionListRequest) => this.#list(userId, request));
    // The delete and its feed entry commit together: other nodes forget the session when it is gone. The
    // guard judges the user first, so a refused caller learns nothing of the user's sessions.
    this.#deleteTransaction = db.transaction((userId: string, sessionId: string, guard: Guard<UserRecord> | undefined) => {
      const owner = this.#readUser(userId);
      if (!owner) throw notFound({ entity: "user", id: userId });
      guard?.(owner);
      if (this.#deleteOfUser.run(sessionId, userId).changes === 0) throw notFound({ entity: "session", id: sessionId });
      appendRevocation("session", sessionId);
      appendEvent(sessionDeleted({ id: sessionId, userId }, owner));
    });
    this.#recordUseTransaction = db.transaction((uses: ApiKeyUse[]) => {
      for (const use of uses) this.#recordUse.run({ id: use.id, at: use.at.getTime() });
    });
  }

  async createSession(session: SessionRecord): Promise<void> {
    return runSqlite(this.#db, sessionSubject(session.id), () => {
      checkSessionRecord(session);
      this.#createTransaction.immediate(session);
    });
  }

  async findSessionWithOwner(sessionId: string): Promise<SessionWithOwner | undefined> {
    return runSqlite(this.#db, sessionSubject(sessionId), () => {
      const row = this.#findWithOwner.get(sessionId);
      if (!row) return undefined;
      const user = userFromColumns(
        row.user_id,
        row.u_name,
        row.u_email,
        row.u_admin,
        row.u_state,
        row.u_created_at,
        row.u_updated_at,
        row.u_password_set_at,
        row.u_tenant_id,
      );
      return { session: rowToSession(row), user };
    });
  }

  async listSessions(userId: string, request: SessionListRequest): Promise<Page<SessionRecord>> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(userId, request));
  }

  async deleteSession(userId: string, sessionId: string, guard?: Guard<UserRecord>): Promise<void> {
    return runSqlite(this.#db, sessionSubject(sessionId), () => this.#deleteTransaction.immediate(userId, sessionId, guard));
  }

  async pruneSessions(userId: string, live: LiveSessions): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#prune.run(liveParams(userId, live)).changes);
  }

  async recordSessionUse(uses: ApiKeyUse[]): Promise<void> {
    return runSqlite(this.#db, undefined, () => {
      if (uses.length > 0) this.#recordUseTransaction.immediate(uses);
    });
  }

  #list(userId: string, request: SessionListRequest): Page<SessionRecord> {
    const scope = sessionListScope(userId);
    const after = decodePageToken(scope, request.pageToken);
    const params = liveParams(userId, request.live);
    const limit = fetchSize(request.pageSize);
    const rows = after
      ? this.#pageAfter.all({ ...params, created_at: after.createdAt.getTime(), id: after.id, limit })
      : this.#firstPage.all({ ...params, limit });
    const total = this.#count.get(params)?.n ?? 0;
    return toPage(rows.map(rowToSession), request.pageSize, total, scope, (s) => s);
  }
}
