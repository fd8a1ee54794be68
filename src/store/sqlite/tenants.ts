// The tenants table: its SQL and the operations on it, as statements prepared once per connection.
import { tenantChanged } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { TENANT_LIST_SCOPE, fetchSize, toPage } from "../pagination.js";
import { checkTenantRecord, checkUpdatedTenant } from "../record-checks.js";
import { found, notFound, tenantNotEmpty, tenantSubject } from "../store-errors.js";
import type { Page, PageRequest, TenantRecord, TenantStore, Updater } from "../store.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import type { AppendEvent } from "./events.js";
import { rowCounter, type ReadRowCount } from "./row-counts.js";

const COLUMNS = "tenant_id, name, created_at, updated_at";

/** The tenants table's SQL, exported so tests can EXPLAIN exactly what runs. */
export const TENANT_SQL = {
  insert: `INSERT INTO tenants (${COLUMNS}) VALUES (@tenant_id, @name, @created_at, @updated_at)`,
  get: `SELECT ${COLUMNS} FROM tenants WHERE tenant_id = ?`,
  update: "UPDATE tenants SET name = @name, created_at = @created_at, updated_at = @updated_at WHERE tenant_id = @tenant_id",
  delete: "DELETE FROM tenants WHERE tenant_id = ?",
  // The not-empty guard: one seek into users_by_tenant_newest_first.
  hasUsers: "SELECT 1 AS present FROM users WHERE tenant_id = ? LIMIT 1",
  firstPage: `SELECT ${COLUMNS} FROM tenants ORDER BY created_at DESC, tenant_id DESC LIMIT @limit`,
  pageAfter: `SELECT ${COLUMNS} FROM tenants WHERE (created_at, tenant_id) < (@created_at, @id)
    ORDER BY created_at DESC, tenant_id DESC LIMIT @limit`,
} as const;

interface TenantRow {
  tenant_id: string;
  name: string;
  created_at: number;
  updated_at: number;
}

type Cursor = { created_at: number; id: string };

/** The tenants' slice of the Store, on one connection. */
export class SqliteTenants implements TenantStore {
  readonly #db: SqliteDatabase;
  readonly #insert;
  readonly #get;
  readonly #update;
  readonly #delete;
  readonly #hasUsers;
  readonly #firstPage;
  readonly #pageAfter;
  readonly #rowCount: ReadRowCount;
  readonly #createTransaction;
  readonly #updateTransaction;
  readonly #deleteTransaction;
  readonly #listTransaction;

  constructor(db: SqliteDatabase, appendEvent: AppendEvent) {
    this.#db = db;
    this.#insert = db.prepare<TenantRow>(TENANT_SQL.insert);
    this.#get = db.prepare<[string], TenantRow>(TENANT_SQL.get);
    this.#update = db.prepare<TenantRow>(TENANT_SQL.update);
    this.#delete = db.prepare<[string]>(TENANT_SQL.delete);
    this.#hasUsers = db.prepare<[string], { present: number }>(TENANT_SQL.hasUsers);
    this.#firstPage = db.prepare<{ limit: number }, TenantRow>(TENANT_SQL.firstPage);
    this.#pageAfter = db.prepare<Cursor & { limit: number }, TenantRow>(TENANT_SQL.pageAfter);
    this.#rowCount = rowCounter(db);
    this.#createTransaction = db.transaction((tenant: TenantRecord) => {
      this.#insert.run(tenantToRow(tenant));
      appendEvent(tenantChanged("tenant.create", undefined, tenant));
    });
    this.#updateTransaction = db.transaction((tenantId: string, updater: Updater<TenantRecord>) => {
      const current = this.#mustGet(tenantId);
      const next = updater(current);
      checkUpdatedTenant(current, next);
      this.#update.run(tenantToRow(next));
      const stored = this.#mustGet(tenantId);
      appendEvent(tenantChanged("tenant.update", current, stored));
      return stored;
    });
    // IMMEDIATE (see delete): a user's create takes the same write lock and checks the tenant in it.
    this.#deleteTransaction = db.transaction((tenantId: string) => {
      const current = this.#mustGet(tenantId);
      if (this.#hasUsers.get(tenantId)) throw tenantNotEmpty(tenantId);
      this.#delete.run(tenantId);
      appendEvent(tenantChanged("tenant.delete", current, undefined));
    });
    // One read transaction, so the page and its totalSize come from the same snapshot.
    this.#listTransaction = db.transaction((request: PageRequest) => this.#list(request));
  }

  async createTenant(tenant: TenantRecord): Promise<void> {
    return runSqlite(this.#db, tenantSubject(tenant.tenantId), () => {
      checkTenantRecord(tenant);
      this.#createTransaction.immediate(tenant);
    });
  }

  async getTenant(tenantId: string): Promise<TenantRecord> {
    return found(await runSqlite(this.#db, tenantSubject(tenantId), () => this.#find(tenantId)), tenantSubject(tenantId));
  }

  async listTenants(request: PageRequest): Promise<Page<TenantRecord>> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(request));
  }

  /** Read, update and write under one IMMEDIATE transaction. */
  async updateTenant(tenantId: string, updater: Updater<TenantRecord>): Promise<TenantRecord> {
    return runSqlite(this.#db, tenantSubject(tenantId), () => this.#updateTransaction.immediate(tenantId, updater));
  }

  /**
   * The not-empty guard and the delete under one IMMEDIATE transaction: it holds the database's write
   * lock from its first read, so a user created in the tenant by another process at the same moment is
   * either committed before (and seen here) or refused after (its create finds no tenant).
   */
  async deleteTenant(tenantId: string): Promise<void> {
    return runSqlite(this.#db, tenantSubject(tenantId), () => this.#deleteTransaction.immediate(tenantId));
  }

  #find(tenantId: string): TenantRecord | undefined {
    const row = this.#get.get(tenantId);
    return row && rowToTenant(row);
  }

  #list(request: PageRequest): Page<TenantRecord> {
    const after = decodePageToken(TENANT_LIST_SCOPE, request.pageToken);
    const limit = fetchSize(request.pageSize);
    const rows = after
      ? this.#pageAfter.all({ created_at: after.createdAt.getTime(), id: after.id, limit })
      : this.#firstPage.all({ limit });
    const total = this.#rowCount("tenants");
    return toPage(rows.map(rowToTenant), request.pageSize, total, TENANT_LIST_SCOPE, (t) => ({
      createdAt: t.createdAt,
      id: t.tenantId,
    }));
  }

  #mustGet(tenantId: string): TenantRecord {
    const tenant = this.#find(tenantId);
    if (!tenant) throw notFound(tenantSubject(tenantId));
    return tenant;
  }
}

function tenantToRow(tenant: TenantRecord): TenantRow {
  return {
    tenant_id: tenant.tenantId,
    name: tenant.name,
    created_at: tenant.createdAt.getTime(),
    updated_at: tenant.updatedAt.getTime(),
  };
}

function rowToTenant(row: TenantRow): TenantRecord {
  return { tenantId: row.tenant_id, name: row.name, createdAt: new Date(row.created_at), updatedAt: new Date(row.updated_at) };
}
