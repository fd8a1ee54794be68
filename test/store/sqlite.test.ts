// SQLite: the conformance suite on a file and in memory, plus what only SQLite has: migrations,
// connection settings, query plans at scale and the cap across connections.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { apiKeyToRow } from "../../src/store/sqlite/api-key-rows.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { LATEST_SCHEMA_VERSION, schemaVersion } from "../../src/store/sqlite/migrations.js";
import { REVOCATION_SQL } from "../../src/store/sqlite/revocations.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { userToRow } from "../../src/store/sqlite/user-rows.js";
import { USER_SQL } from "../../src/store/sqlite/users.js";
import { TENANT_SQL } from "../../src/store/sqlite/tenants.js";
import { describeStoreConformance } from "./conformance.js";
import { NO_CAP, apiKeyRecord, at, userRecord } from "./conformance/fixtures.js";
import type { CapWorkerResult, CapWorkerTask } from "./support/sqlite-cap-worker.js";
import { sqliteFileRawEvents, sqliteRawEvents } from "./support/sqlite-raw-events.js";

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), "keyward-sqlite-"));
}

describeStoreConformance(
  "SQLite file",
  async () => {
    const dir = await tempDir();
    const file = join(dir, "keyward.db");
    return {
      store: openSqliteStore(file),
      reopen: async () => openSqliteStore(file),
      openPeer: async () => openSqliteStore(file),
      cleanup: () => rm(dir, { recursive: true, force: true }),
      rawEvents: sqliteFileRawEvents(file),
    };
  },
  { persistent: true },
);

describeStoreConformance(
  "SQLite :memory:",
  async () => {
    const store = openSqliteStore(":memory:");
    return { store, cleanup: async () => {}, rawEvents: sqliteRawEvents(() => store.database, false) };
  },
  { persistent: false },
);

describe("store: SQLite adapter", () => {
  let dir: string;
  let file: string;
  const opened: SqliteStore[] = [];

  function open(): SqliteStore {
    const store = openSqliteStore(file);
    opened.push(store);
    return store;
  }

  beforeEach(async () => {
    dir = await tempDir();
    file = join(dir, "keyward.db");
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("opens with WAL, a busy timeout and foreign keys on", () => {
    const db = open().database;
    expect(db.pragma("journal_mode", { simple: true })).to.equal("wal");
    expect(db.pragma("busy_timeout", { simple: true })).to.be.at.least(1000);
    expect(db.pragma("foreign_keys", { simple: true })).to.equal(1);
  });

  it("migrates a new database to the latest schema version and records it", () => {
    const db = open().database;
    expect(LATEST_SCHEMA_VERSION).to.be.at.least(1);
    expect(schemaVersion(db)).to.equal(LATEST_SCHEMA_VERSION);
    const versions = db.prepare("SELECT version FROM schema_migrations ORDER BY version").pluck().all();
    expect(versions).to.deep.equal(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it("reopens a migrated database without migrating again and with data intact", async () => {
    const first = open();
    const user = userRecord();
    const key = apiKeyRecord(user.userId);
    await first.createUser(user);
    await first.createApiKey(key, NO_CAP);
    const before = first.database.prepare("SELECT version, applied_at FROM schema_migrations").all();
    await first.close();

    const second = open();
    expect(second.database.prepare("SELECT version, applied_at FROM schema_migrations").all()).to.deep.equal(before);
    expect(schemaVersion(second.database)).to.equal(LATEST_SCHEMA_VERSION);
    expect(await second.getUser(user.userId)).to.deep.equal(user);
    expect(await second.findApiKey(key.id)).to.deep.equal(key);
  });

  it("refuses a database migrated by a newer Keyward", async () => {
    const store = open();
    store.database
      .prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, 'future', 0)")
      .run(LATEST_SCHEMA_VERSION + 1);
    await store.close();
    expect(() => openSqliteStore(file)).to.throw(/newer than this Keyward supports/);
  });

  it("rejects an unopenable path with unavailable", () => {
    expect(() => openSqliteStore(join(dir, "missing", "dir", "keyward.db")))
      .to.throw()
      .with.property("kind", "unavailable");
  });

  describe("query plans with 100k keys", function () {
    this.timeout(60_000);
    let store: SqliteStore;
    const USERS = 1000;
    const KEYS_PER_USER = 100;
    const probe = apiKeyRecord("user-500", { createdAt: at(50), name: "the probe" });

    before(() => {
      store = openSqliteStore(":memory:");
      const db = store.database;
      const insertUser = db.prepare(USER_SQL.insert);
      const insertKey = db.prepare(API_KEY_SQL.insert);
      const insertTenant = db.prepare(TENANT_SQL.insert);
      db.transaction(() => {
        for (let t = 0; t < 10; t++) insertTenant.run({ tenant_id: `tenant-${t}`, name: "", created_at: t, updated_at: t });
        for (let u = 0; u < USERS; u++) {
          const userId = `user-${u}`;
          // Every odd user in one of ten tenants, so tenant lists pick a tenth of the users.
          const tenant = u % 2 === 1 ? { tenantId: `tenant-${u % 10}` } : {};
          insertUser.run(userToRow(userRecord({ userId, admin: u % 100 === 0, createdAt: at(u), ...tenant })));
          for (let k = 0; k < KEYS_PER_USER; k++) {
            const key = userId === probe.userId && k === 0 ? probe : apiKeyRecord(userId, { createdAt: at(k) });
            insertKey.run(apiKeyToRow(key));
          }
        }
      })();
      db.exec("ANALYZE");
    });

    after(() => store.close());

    function plan(sql: string, ...params: unknown[]): string[] {
      const rows = store.database.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[];
      return rows.map((row) => row.detail);
    }

    it("holds 100k keys", () => {
      const count = store.database.prepare("SELECT count(*) FROM api_keys").pluck().get();
      expect(count).to.equal(USERS * KEYS_PER_USER);
    });

    it("looks a key up by id with a primary-key seek, not a scan", async () => {
      const details = plan(API_KEY_SQL.findById, probe.id);
      expect(details).to.have.length(1);
      expect(details[0]).to.match(/^SEARCH api_keys USING (PRIMARY KEY|INDEX \w+) \(id=\?\)$/);
      expect(await store.findApiKey(probe.id)).to.deep.equal(probe);
    });

    it("reads a key with its owner by two primary-key seeks in one statement", async () => {
      const details = plan(API_KEY_SQL.findWithOwner, probe.id);
      expect(details).to.have.length(2);
      expect(details[0]).to.match(/^SEARCH k USING PRIMARY KEY \(id=\?\)$/);
      expect(details[1]).to.match(/^SEARCH u USING PRIMARY KEY \(user_id=\?\)$/);
      expect(await store.findApiKeyWithOwner(probe.id)).to.deep.equal({ key: probe, user: await store.getUser(probe.userId) });
    });

    it("serves every other query from an index, without a full scan or a sort", () => {
      const list = { user_id: "user-1", state: null, name_contains: null, limit: 51 };
      const plans = {
        getOfUser: plan(API_KEY_SQL.getOfUser, "id", "user-1"),
        deleteOfUser: plan(API_KEY_SQL.deleteOfUser, "id", "user-1"),
        countOfUser: plan(API_KEY_SQL.countOfUser, "user-1"),
        firstPage: plan(API_KEY_SQL.firstPage, list),
        pageAfter: plan(API_KEY_SQL.pageAfter, { ...list, created_at: 5, id: "X" }),
        countFiltered: plan(API_KEY_SQL.countFiltered, { ...list, limit: undefined }),
        recordUse: plan(API_KEY_SQL.recordUse, { id: "X", at: 1, ip: null, user_agent: null }),
        userGet: plan(USER_SQL.get, "user-1"),
        userPageAfter: plan(USER_SQL.pageAfter, { created_at: 5, id: "user-5", limit: 51 }),
        userFirstPage: plan(USER_SQL.firstPage, { limit: 51 }),
        activeAdmins: plan(USER_SQL.countActiveAdmins),
        // Tenants (ARCHITECTURE.md, "Tenants"): one tenant's users, their count, the delete's not-empty check.
        tenantUsersFirstPage: plan(USER_SQL.firstPageOfTenant, { tenant_id: "tenant-1", limit: 51 }),
        tenantUsersPageAfter: plan(USER_SQL.pageAfterOfTenant, { tenant_id: "tenant-1", created_at: 5, id: "user-5", limit: 51 }),
        tenantUsersCount: plan(USER_SQL.countOfTenant, "tenant-1"),
        tenantHasUsers: plan(TENANT_SQL.hasUsers, "tenant-1"),
        tenantGet: plan(TENANT_SQL.get, "tenant-1"),
        tenantsFirstPage: plan(TENANT_SQL.firstPage, { limit: 51 }),
        tenantsPageAfter: plan(TENANT_SQL.pageAfter, { created_at: 5, id: "tenant-5", limit: 51 }),
        // The revocation feed: every process reads it every 250 ms, so it must never scan.
        feedAfter: plan(REVOCATION_SQL.after, 5, 500),
        feedNewestBefore: plan(REVOCATION_SQL.newestBefore, 5),
        feedPrune: plan(REVOCATION_SQL.prune, 5),
      };
      for (const [query, details] of Object.entries(plans)) {
        for (const detail of details) {
          expect(detail, query).to.match(/^(SEARCH \w+ USING|SCAN \w+ USING (COVERING )?INDEX)/);
          expect(detail, query).to.not.match(/TEMP B-TREE/);
        }
      }
      expect(plans.pageAfter.join()).to.match(/\(user_id=\? AND \(created_at,id\)<\(\?,\?\)\)/);
      expect(plans.userPageAfter.join()).to.match(/\(\(created_at,user_id\)<\(\?,\?\)\)/);
      expect(plans.tenantUsersPageAfter.join()).to.match(/users_by_tenant_newest_first \(tenant_id=\? AND \(created_at,user_id\)<\(\?,\?\)\)/);
      expect(plans.tenantUsersCount.join()).to.match(/users_by_tenant_newest_first \(tenant_id=\?\)/);
    });
  });

  it("holds the cap across connections in parallel threads", async function () {
    this.timeout(30_000);
    const setup = open();
    const user = userRecord();
    await setup.createUser(user);
    await setup.close();

    const workers = 4;
    const results = await Promise.all(
      Array.from({ length: workers }, () => runCapWorker({ file, userId: user.userId, attempts: 10, maxKeysPerUser: 10 })),
    );
    const total = results.reduce(
      (sum, result) => ({
        created: sum.created + result.created,
        limited: sum.limited + result.limited,
        errors: [...sum.errors, ...result.errors],
      }),
      { created: 0, limited: 0, errors: [] as string[] },
    );
    expect(total).to.deep.equal({ created: 10, limited: workers * 10 - 10, errors: [] });
    expect(await open().countApiKeys(user.userId)).to.equal(10);
  });
});

function runCapWorker(task: CapWorkerTask): Promise<CapWorkerResult> {
  const module = new URL("./support/sqlite-cap-worker.ts", import.meta.url).href;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./support/ts-worker.mjs", import.meta.url), { workerData: { ...task, module } });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`cap worker exited with ${code}`));
    });
  });
}
