// SQLite: the conformance suite on a file and in memory, plus what only SQLite has: migrations,
// connection settings, query plans at scale and the cap across connections.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import { apiKeyToRow } from "../../src/store/sqlite/api-key-rows.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { openDatabase } from "../../src/store/sqlite/connection.js";
import { LATEST_SCHEMA_VERSION, migrate, schemaVersion } from "../../src/store/sqlite/migrations.js";
import { chainEvent } from "../../src/store/event-chain.js";
import { DELIVERY_SQL } from "../../src/store/sqlite/deliveries.js";
import { eventToRow } from "../../src/store/sqlite/event-rows.js";
import { EVENT_SQL, type EventQueryParams } from "../../src/store/sqlite/events.js";
import { EXPIRY_WARNING_SQL } from "../../src/store/sqlite/expiry-warnings.js";
import { REVOCATION_SQL } from "../../src/store/sqlite/revocations.js";
import { WEBHOOK_SQL } from "../../src/store/sqlite/webhooks.js";
import { ROW_COUNT_SQL } from "../../src/store/sqlite/row-counts.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { userToRow } from "../../src/store/sqlite/user-rows.js";
import { USER_SQL } from "../../src/store/sqlite/users.js";
import { TENANT_SQL } from "../../src/store/sqlite/tenants.js";
import { describeStoreConformance } from "./conformance.js";
import { newEvent, webhookRecord } from "./conformance/event-fixtures.js";
import { NO_CAP, apiKeyRecord, at, userRecord } from "./conformance/fixtures.js";
import type { CapWorkerResult, CapWorkerTask } from "./support/sqlite-cap-worker.js";
import type { OutboxWorkerResult, OutboxWorkerTask } from "./support/sqlite-outbox-worker.js";
import type { UsesWorkerResult, UsesWorkerTask } from "./support/sqlite-uses-worker.js";
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

  it("counts the rows of a file written before row counts when it migrates it, and keeps them after", async () => {
    // A file as the release before row counts left it: schema version 8, rows written by its SQL.
    const old = openDatabase(file);
    migrate(old, 8);
    const tenant = "tenant-old";
    old.prepare("INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (?, 'Old', 0, 0)").run(tenant);
    const users = [userRecord(), userRecord(), userRecord({ tenantId: tenant }), userRecord({ tenantId: tenant }), userRecord({ tenantId: tenant })];
    for (const user of users) old.prepare(USER_SQL.insert).run(userToRow(user));
    const keysOf = [7, 0, 3, 0, 1];
    users.forEach((user, u) => {
      for (let i = 0; i < keysOf[u]!; i++) old.prepare(API_KEY_SQL.insert).run(apiKeyToRow(apiKeyRecord(user.userId)));
    });
    expect(schemaVersion(old)).to.equal(8);
    old.close();

    const store = open();
    expect(schemaVersion(store.database)).to.equal(LATEST_SCHEMA_VERSION);
    const total = (request: Parameters<SqliteStore["listUsers"]>[0]) => store.listUsers(request).then((page) => page.totalSize);
    expect(await total({ pageSize: 1, pageToken: "" })).to.equal(5);
    expect(await total({ pageSize: 1, pageToken: "", tenantId: tenant })).to.equal(3);
    expect((await store.listTenants({ pageSize: 1, pageToken: "" })).totalSize).to.equal(1);
    for (const [u, user] of users.entries()) {
      expect(await store.countApiKeys(user.userId)).to.equal(keysOf[u]);
      expect((await store.listApiKeys(user.userId, { pageSize: 1, pageToken: "" })).totalSize).to.equal(keysOf[u]);
    }
    // And the triggers keep them from there: a user's delete takes its 7 keys with it.
    await store.deleteUser(users[0]!.userId);
    await store.createUser(userRecord({ userId: users[0]!.userId }));
    expect(await store.countApiKeys(users[0]!.userId)).to.equal(0);
    expect(await total({ pageSize: 1, pageToken: "" })).to.equal(5);
  });

  it("moves counts with a row that changes tenant or owner (no Keyward call does; a hand edit may)", async () => {
    const store = open();
    const db = store.database;
    for (const tenantId of ["t-a", "t-b"]) db.prepare("INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (?, '', 0, 0)").run(tenantId);
    const [alice, bob] = [userRecord({ tenantId: "t-a" }), userRecord()];
    await store.createUser(alice);
    await store.createUser(bob);
    const key = apiKeyRecord(alice.userId);
    await store.createApiKey(key, NO_CAP);
    db.prepare("UPDATE users SET tenant_id = 't-b' WHERE user_id = ?").run(alice.userId);
    db.prepare("UPDATE users SET tenant_id = 't-a' WHERE user_id = ?").run(bob.userId);
    db.prepare("UPDATE users SET tenant_id = NULL WHERE user_id = ?").run(bob.userId);
    db.prepare("UPDATE api_keys SET user_id = ? WHERE id = ?").run(bob.userId, key.id);
    const ofTenant = async (tenantId: string) => (await store.listUsers({ pageSize: 1, pageToken: "", tenantId })).totalSize;
    expect([await ofTenant("t-a"), await ofTenant("t-b")]).to.deep.equal([0, 1]);
    expect([await store.countApiKeys(alice.userId), await store.countApiKeys(bob.userId)]).to.deep.equal([0, 1]);
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
    const EVENTS = 100_000;
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
            const key = userId === probe.userId && k === 0
              ? probe
              : apiKeyRecord(userId, { createdAt: at(k), ...(k % 10 === 0 ? { expiresAt: at(86_400_000 * k) } : {}) });
            insertKey.run(apiKeyToRow(key));
          }
        }
        // 100k events about and by those users, chained, with a delivery queued for a tenth of them.
        const insertEvent = db.prepare(EVENT_SQL.insert);
        const insertWebhook = db.prepare(`INSERT INTO webhooks (webhook_id, tenant_id, url, event_types, enabled, secret_salt,
          created_at, updated_at) VALUES (?, ?, 'https://example.com/', '[]', 1, 'salt', ?, ?)`);
        const queue = db.prepare(DELIVERY_SQL.queue);
        for (let w = 0; w < 100; w++) insertWebhook.run(`wh-${w}`, w % 2 === 0 ? null : `tenant-${w % 10}`, w, w);
        let previous = { seq: 0, hash: "" };
        for (let e = 0; e < EVENTS; e++) {
          const u = e % USERS;
          const event = chainEvent(
            newEvent({
              time: at(e),
              type: ["api_key.update", "user.update", "auth.fail", "session.create"][e % 4]!,
              actor: { userId: `user-${(u * 7) % USERS}` },
              subject: { userId: `user-${u}`, apiKeyId: `key-${e % 5000}`, ...(u % 2 === 1 ? { tenantId: `tenant-${u % 10}` } : {}) },
            }),
            previous.seq,
            previous.hash,
          );
          insertEvent.run(eventToRow(event));
          previous = event;
          if (e % 10 === 0) queue.run({ webhook_id: `wh-${e % 100}`, event_seq: event.seq, queued_at: e });
        }
        db.prepare(EVENT_SQL.moveHead).run({ seq: previous.seq, hash: previous.hash });
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
        // The sizes of unfiltered lists and the key cap: one seek into row_counts, not a count of rows.
        rowCount: plan(ROW_COUNT_SQL.get, "api_keys_of_user", "user-1"),
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
        tenantHasUsers: plan(TENANT_SQL.hasUsers, "tenant-1"),
        tenantGet: plan(TENANT_SQL.get, "tenant-1"),
        tenantsFirstPage: plan(TENANT_SQL.firstPage, { limit: 51 }),
        tenantsPageAfter: plan(TENANT_SQL.pageAfter, { created_at: 5, id: "tenant-5", limit: 51 }),
        // The revocation feed: every process reads it every 250 ms, so it must never scan.
        feedAfter: plan(REVOCATION_SQL.after, 5, 500),
        feedNewestBefore: plan(REVOCATION_SQL.newestBefore, 5),
        feedPrune: plan(REVOCATION_SQL.prune, 5),
        // Events (ARCHITECTURE.md, "Events"): every filter's page, newest and oldest first, is an index walk.
        ...eventPlans(),
        eventsOldest: plan(EVENT_SQL.oldest, 5, 100),
        eventsFirstSince: plan(EVENT_SQL.firstSince, 99_000),
        eventsPrune: plan(EVENT_SQL.prune, 5),
        webhookGet: plan(WEBHOOK_SQL.get, "wh-1"),
        webhooksOfTenant: plan(WEBHOOK_SQL.pageAfterOfTenant, { tenant_id: "tenant-1", created_at: 5, id: "wh-5", limit: 51 }),
        webhooksOfSystem: plan(WEBHOOK_SQL.countOfSystem),
        webhooksPage: plan(WEBHOOK_SQL.pageAfter, { created_at: 5, id: "wh-5", limit: 51 }),
        appendMatchSystem: plan(DELIVERY_SQL.systemWebhooks),
        appendMatchTenant: plan(DELIVERY_SQL.tenantWebhooks, "tenant-1"),
        claimDue: plan(DELIVERY_SQL.due, { now: 5000, limit: 10 }),
        outboxDepth: plan(DELIVERY_SQL.pending),
        outboxPrune: plan(DELIVERY_SQL.prune, { before: 5, limit: 100 }),
        expiring: plan(EXPIRY_WARNING_SQL.candidates, { now: 0, until: 86_400_000 * 7, lead_ms: 86_400_000 * 7, limit: 100 }),
      };
      for (const [query, details] of Object.entries(plans)) {
        // Lines that only structure a plan (a merged compound select, a subquery) scan nothing themselves.
        for (const detail of details.filter((line) => !/^(MERGE \(UNION\)|LEFT|RIGHT|(CORRELATED SCALAR|LIST) SUBQUERY \d+)$/.test(line))) {
          expect(detail, query).to.match(/^(SEARCH \w+ USING|SCAN \w+ USING (COVERING )?INDEX)/);
          expect(detail, query).to.not.match(/TEMP B-TREE/);
        }
      }
      expect(plans.pageAfter.join()).to.match(/\(user_id=\? AND \(created_at,id\)<\(\?,\?\)\)/);
      expect(plans.userPageAfter.join()).to.match(/\(\(created_at,user_id\)<\(\?,\?\)\)/);
      expect(plans.tenantUsersPageAfter.join()).to.match(/users_by_tenant_newest_first \(tenant_id=\? AND \(created_at,user_id\)<\(\?,\?\)\)/);
      expect(plans.rowCount).to.deep.equal(["SEARCH row_counts USING PRIMARY KEY (kind=? AND id=?)"]);
      const events: Record<string, string[]> = plans;
      for (const order of ["newestFirst", "oldestFirst"]) {
        expect(events[`${order}.apiKey`]!.join(), order).to.match(/events_by_subject_api_key \(subject_api_key_id=\? AND rowid>\? AND rowid<\?\)/);
        expect(events[`${order}.tenant`]!.join(), order).to.match(/events_by_subject_tenant \(subject_tenant_id=\? AND rowid>\? AND rowid<\?\)/);
        expect(events[`${order}.user`]!.join(), order).to.match(/^MERGE \(UNION\).*events_by_subject_user \(subject_user_id=\?.*events_by_actor_user \(actor_user_id=\?/);
        expect(events[`${order}.all`]!.join(), order).to.match(/INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
      }
      expect(plans.eventsFirstSince.join()).to.match(/COVERING INDEX events_by_time \(time>\?\)/);
      expect(plans.claimDue.join()).to.match(/webhook_deliveries_due \(state=\? AND next_attempt_at<\?\)/);
      expect(plans.expiring.join()).to.match(/api_keys_by_expiry \(expires_at>\? AND expires_at<\?\)/);
    });

    /** The plan of every event read, each filter's statement with a cursor and bounds bound. */
    function eventPlans(): Record<string, string[]> {
      const params: EventQueryParams = {
        tenant_id: "tenant-1",
        user_id: "user-1",
        api_key_id: "key-1",
        type_prefix: "api_key.",
        since: 5,
        after: 10,
        before: 90_000,
        limit: 51,
      };
      return Object.fromEntries(
        (["newestFirst", "oldestFirst"] as const).flatMap((order) =>
          Object.entries(EVENT_SQL[order]).map(([driver, sql]) => [`${order}.${driver}`, plan(sql, params)]),
        ),
      );
    }

    it("lists a user's, a key's and a tenant's events and pages them through the store", async () => {
      const page = await store.listEvents({ pageSize: 3, pageToken: "", userId: "user-7" });
      expect(page.items.map((e) => e.seq)).to.deep.equal([99_008, 99_002, 98_008]);
      const next = await store.listEvents({ pageSize: 3, pageToken: page.nextPageToken, userId: "user-7" });
      expect(next.items[0]!.seq).to.be.lessThan(page.items[2]!.seq);
      const ofKey = await store.readEvents(0, 3, { apiKeyId: "key-42" });
      expect(ofKey.map((e) => e.seq)).to.deep.equal([43, 5043, 10_043]);
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

  it("never grants more uses than a key has to connections leasing and updating it in parallel threads", async function () {
    this.timeout(30_000);
    const setup = open();
    const user = userRecord();
    await setup.createUser(user);
    const key = apiKeyRecord(user.userId, { rights: [], remainingUses: 500 });
    await setup.createApiKey(key, NO_CAP);
    await setup.close();
    const ready = new SharedArrayBuffer(4);
    const results = await Promise.all(
      [1, 2, 3, 4].map((right) =>
        runWorker<UsesWorkerTask, UsesWorkerResult>("./support/sqlite-uses-worker.ts", { file, userId: user.userId, keyId: key.id, want: 3, right, ready, threads: 4 }),
      ),
    );
    expect(results.flatMap((r) => r.errors)).to.deep.equal([]);
    expect(results.reduce((sum, r) => sum + r.granted, 0)).to.equal(500);
    expect(results.every((r) => r.granted > 0), `every thread was granted some: ${JSON.stringify(results)}`).to.equal(true);
    const stored = await open().getApiKey(user.userId, key.id);
    expect([stored.remainingUses, [...stored.rights].sort()]).to.deep.equal([0, [1, 2, 3, 4]]);
  });

  it("never hands one delivery to two connections claiming in parallel threads", async function () {
    this.timeout(30_000);
    const setup = open();
    for (let w = 0; w < 3; w++) await setup.createWebhook(webhookRecord(), 10);
    await setup.appendEvents(Array.from({ length: 40 }, () => newEvent()));
    await setup.close();
    const now = Date.now() + 60_000;
    const results = await Promise.all(
      ["a", "b", "c", "d"].map((owner) => runOutboxWorker({ kind: "claim", file, owner, now, batch: 2 })),
    );
    expect(results.flatMap((r) => r.errors)).to.deep.equal([]);
    const claimed = results.flatMap((r) => r.got);
    expect(claimed).to.have.length(120);
    expect(new Set(claimed).size, "each delivery claimed once").to.equal(120);
  });

  it("warns each key once per point when connections sweep in parallel threads", async function () {
    this.timeout(30_000);
    const setup = open();
    const user = userRecord();
    await setup.createUser(user);
    const now = Date.UTC(2030, 0, 1);
    const keys = Array.from({ length: 12 }, (_, i) => apiKeyRecord(user.userId, { expiresAt: new Date(now + (i + 1) * 3_600_000) }));
    for (const key of keys) await setup.createApiKey(key, NO_CAP);
    await setup.close();
    const points = [
      { leadMs: 7 * 86_400_000, label: "7d" },
      { leadMs: 86_400_000, label: "1d" },
    ];
    const results = await Promise.all(Array.from({ length: 4 }, () => runOutboxWorker({ kind: "warn", file, now, points, rounds: 6 })));
    expect(results.flatMap((r) => r.errors)).to.deep.equal([]);
    const given = results.flatMap((r) => r.got).sort();
    expect(given).to.deep.equal(keys.flatMap((k) => [`${k.id}:1d`, `${k.id}:7d`]).sort());
    const events = await open().readEvents(0, 1000, { typePrefix: "api_key.expiring" });
    expect(events).to.have.length(24);
  });
});

function runOutboxWorker(task: OutboxWorkerTask): Promise<OutboxWorkerResult> {
  return runWorker("./support/sqlite-outbox-worker.ts", task);
}

function runCapWorker(task: CapWorkerTask): Promise<CapWorkerResult> {
  return runWorker("./support/sqlite-cap-worker.ts", task);
}

function runWorker<Task extends object, Result>(path: string, task: Task): Promise<Result> {
  const module = new URL(path, import.meta.url).href;
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./support/ts-worker.mjs", import.meta.url), { workerData: { ...task, module } });
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => {
      if (code !== 0) reject(new Error(`worker ${path} exited with ${code}`));
    });
  });
}
