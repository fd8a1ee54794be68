/**
 * The `auth.fail` aggregator over a real SQLite store: one event per credential, reason and address per
 * window with its count; the owner named when the key exists; a cap on tuples per window with one
 * overflow tuple; nothing written for an empty window; what is left written on stop.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { AuthFailureLog, OVERFLOW_REASON, type AuthFailure } from "../../src/authn/auth-failure-log.js";
import { generateKey, hashSecret } from "../../src/keys/index.js";
import { silentLogger } from "../../src/logger.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const failure = (id: string, reason = "API_KEY_INVALID", address = "192.0.2.1"): AuthFailure => ({ reason, kind: "api_key", id, address, userAgent: "curl/8" });

describe("AuthFailureLog", () => {
  let dir: string;
  let store: SqliteStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keyward-auth-fail-"));
    store = openSqliteStore(join(dir, "keyward.db"));
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const written = async () => (await store.listEvents({ pageSize: 1000, pageToken: "", typePrefix: "auth.fail" })).items;

  it("writes one event per credential, reason and address with its count, naming the key's owner and tenant", async () => {
    const now = new Date();
    await store.createTenant({ tenantId: "acme", name: "Acme", createdAt: now, updatedAt: now });
    await store.createUser({ userId: "dana", name: "Dana", email: "", admin: false, state: "active", createdAt: now, updatedAt: now, tenantId: "acme" });
    const key = generateKey();
    await store.createApiKey(
      { id: key.id, userId: "dana", name: "k", rights: [1], state: "active", secretHash: hashSecret(key.secret), createdAt: now, updatedAt: now },
      { maxKeysPerUser: 100 },
    );
    const unknown = generateKey().id;
    const log = new AuthFailureLog(store, silentLogger, { windowMs: 60_000, maxTuples: 10 });
    for (let i = 0; i < 5; i++) log.record(failure(key.id));
    log.record(failure(key.id, "API_KEY_DISABLED"));
    log.record(failure(key.id, "API_KEY_INVALID", "192.0.2.2"));
    for (let i = 0; i < 3; i++) log.record(failure(unknown));
    expect(log.pending).to.equal(4);
    await log.flush();
    const events = await written();
    expect(events).to.have.length(4);
    const counts = events.map((e) => [e.subject.apiKeyId, e.reason, e.client.address, e.count]).sort();
    expect(counts).to.deep.equal(
      [
        [key.id, "API_KEY_INVALID", "192.0.2.1", 5],
        [key.id, "API_KEY_DISABLED", "192.0.2.1", 1],
        [key.id, "API_KEY_INVALID", "192.0.2.2", 1],
        [unknown, "API_KEY_INVALID", "192.0.2.1", 3],
      ].sort(),
    );
    for (const event of events.filter((e) => e.subject.apiKeyId === key.id)) expect(event.subject).to.deep.include({ userId: "dana", tenantId: "acme" });
    expect(events.find((e) => e.subject.apiKeyId === unknown)!.subject.userId).to.equal(undefined);
    // The next window starts empty: a flush with nothing counted writes nothing.
    await log.flush();
    expect(await written()).to.have.length(4);
  });

  it("keeps at most maxTuples per window and counts the rest in one overflow tuple", async () => {
    const log = new AuthFailureLog(store, silentLogger, { windowMs: 60_000, maxTuples: 3 });
    for (let i = 0; i < 1_000; i++) log.record(failure("", "CREDENTIALS_MALFORMED", `198.51.100.${i % 250}`));
    expect(log.pending).to.equal(4);
    await log.flush();
    const events = await written();
    expect(events).to.have.length(4);
    const overflow = events.find((e) => e.reason === OVERFLOW_REASON)!;
    expect(overflow.count).to.equal(1_000 - 3 * 4); // 3 addresses kept, each seen 4 times in 1,000
    expect(overflow.subject).to.deep.equal({});
    expect(events.reduce((sum, e) => sum + e.count, 0)).to.equal(1_000);
  });

  it("writes what is left when stopped", async () => {
    const log = new AuthFailureLog(store, silentLogger, { windowMs: 3_600_000, maxTuples: 10 });
    log.start();
    log.record({ reason: "LOGIN_FAILED", kind: "user", id: "nobody", address: "", userAgent: undefined });
    await log.stop();
    const events = await written();
    expect(events.map((e) => [e.reason, e.count, e.subject.userId])).to.deep.equal([["LOGIN_FAILED", 1, undefined]]);
    expect(log.written).to.equal(1);
  });
});
