// RevocationPoller against two real SQLite connections on one file (two processes' view of one store):
// a change written through one connection evicts the other's cached key at its next poll, a reader that
// fell behind the retention drops everything, and an unknown entry kind is treated as "anything changed".
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { ApiKeyVerifier } from "../../src/authn/verifier.js";
import { DEFAULT_REVOCATION_POLLER_OPTIONS, RevocationPoller, type RevocableCaches } from "../../src/authn/revocation-poller.js";
import { generateKey, hashSecret, type GeneratedKey } from "../../src/keys/index.js";
import { silentLogger } from "../../src/logger.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { ApiKeyRecord, RevocationBatch, Store } from "../../src/store/store.js";
import { outcomeOf } from "../support/error-reasons.js";

const NO_CAP = { maxKeysPerUser: 100 };
// Long enough that only the feed can explain an eviction within a test.
const LONG_TTL = 10 * 60_000;

describe("auth: RevocationPoller", () => {
  let dir: string;
  let here: SqliteStore;
  let there: SqliteStore;
  let verifier: ApiKeyVerifier;
  let poller: RevocationPoller;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyward-poller-"));
    here = openSqliteStore(join(dir, "keyward.db"));
    there = openSqliteStore(join(dir, "keyward.db"));
    const now = new Date();
    await there.createUser({ userId: "alice", name: "Alice", email: "", admin: false, state: "active", createdAt: now, updatedAt: now });
    verifier = new ApiKeyVerifier(here, { cacheTtlMs: LONG_TTL, cacheSize: 100, negativeTtlMs: 1_000 });
    poller = new RevocationPoller(here, verifier, silentLogger, { ...DEFAULT_REVOCATION_POLLER_OPTIONS, intervalMs: 60_000 });
    await poller.start();
  });

  afterEach(async () => {
    await poller.stop();
    await here.close();
    await there.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function storedKey(): Promise<{ generated: GeneratedKey; record: ApiKeyRecord }> {
    const generated = generateKey();
    const now = new Date();
    const record: ApiKeyRecord = {
      id: generated.id,
      userId: "alice",
      name: "ci",
      rights: [Right.USER_INFO],
      state: "active",
      secretHash: hashSecret(generated.secret),
      createdAt: now,
      updatedAt: now,
    };
    await there.createApiKey(record, NO_CAP);
    return { generated, record };
  }


  it("evicts a key disabled through another connection at the next poll, not before", async () => {
    const { generated, record } = await storedKey();
    await verifier.verify(generated.key);
    await there.updateApiKey("alice", record.id, (key) => ({ ...key, state: "disabled" }));
    expect(await outcomeOf(verifier.verify(generated.key)), "still cached until the poll").to.equal("ok");
    await poller.poll();
    expect(await outcomeOf(verifier.verify(generated.key))).to.equal("API_KEY_DISABLED");
  });

  it("evicts every cached key of a user suspended or deleted elsewhere", async () => {
    const keys = [await storedKey(), await storedKey()];
    for (const { generated } of keys) await verifier.verify(generated.key);
    await there.updateUser("alice", (user) => ({ ...user, state: "suspended" }));
    await poller.poll();
    for (const { generated } of keys) expect(await outcomeOf(verifier.verify(generated.key))).to.equal("USER_SUSPENDED");
    await there.deleteUser("alice");
    await poller.poll();
    for (const { generated } of keys) expect(await outcomeOf(verifier.verify(generated.key))).to.equal("API_KEY_INVALID");
  });

  it("reads past a full batch in one poll", async () => {
    const small = new RevocationPoller(here, verifier, silentLogger, { ...DEFAULT_REVOCATION_POLLER_OPTIONS, intervalMs: 60_000, batchSize: 2 });
    await small.start();
    try {
      const keys = [await storedKey(), await storedKey(), await storedKey()];
      for (const { generated } of keys) await verifier.verify(generated.key);
      for (const { record } of keys) await there.deleteApiKey("alice", record.id);
      await small.poll();
      for (const { generated } of keys) expect(await outcomeOf(verifier.verify(generated.key))).to.equal("API_KEY_INVALID");
      expect(small.position).to.equal(await there.revocationHead());
    } finally {
      await small.stop();
    }
  });

  it("drops the whole cache when the entries it had not read were pruned", async () => {
    const { generated, record } = await storedKey();
    await verifier.verify(generated.key);
    await there.updateApiKey("alice", record.id, (key) => ({ ...key, rights: [] }));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await there.pruneRevocations(new Date())).to.equal(1);
    expect(verifier.cachedKeys).to.equal(1);
    await poller.poll();
    expect(verifier.cachedKeys).to.equal(0);
    expect((await verifier.verify(generated.key)).key!.rights, "read again from the store").to.deep.equal([]);
  });

  for (const [kind, expected] of [
    ["session", ["session s1"]],
    ["network", ["all"]],
  ] as const) {
    it(kind === "session" ? "forgets one session for a session entry" : "drops everything for an entry kind it does not know (written by a newer Keyward)", async () => {
      const evicted: string[] = [];
      const caches: RevocableCaches = {
        forgetKey: (id) => evicted.push(`key ${id}`),
        forgetUser: (id) => evicted.push(`user ${id}`),
        forgetSession: (id) => evicted.push(`session ${id}`),
        forgetAll: () => evicted.push("all"),
      };
      const batch: RevocationBatch = {
        entries: [{ seq: 1, kind: kind as never, subjectId: "s1", at: new Date() }],
        cursor: 1,
        missed: false,
      };
      const fake = { revocationHead: async () => 0, readRevocations: async () => batch, pruneRevocations: async () => 0 } as unknown as Store;
      const future = new RevocationPoller(fake, caches, silentLogger, { ...DEFAULT_REVOCATION_POLLER_OPTIONS, intervalMs: 60_000, batchSize: 10 });
      await future.start();
      await future.poll();
      await future.stop();
      expect(evicted).to.deep.equal(expected);
    });
  }

  it("keeps its cursor while the feed cannot be read, and applies what it missed once it can", async () => {
    let down = true;
    const flaky = {
      revocationHead: () => here.revocationHead(),
      readRevocations: (after: number, limit: number) => (down ? Promise.reject(new Error("store down")) : here.readRevocations(after, limit)),
      pruneRevocations: (before: Date) => here.pruneRevocations(before),
    } as unknown as Store;
    const recovering = new RevocationPoller(flaky, verifier, silentLogger, { ...DEFAULT_REVOCATION_POLLER_OPTIONS, intervalMs: 60_000 });
    await recovering.start();
    try {
      const { generated, record } = await storedKey();
      await verifier.verify(generated.key);
      const before = recovering.position;
      await there.updateApiKey("alice", record.id, (key) => ({ ...key, state: "disabled" }));
      await recovering.poll();
      expect(recovering.position).to.equal(before);
      expect(await outcomeOf(verifier.verify(generated.key)), "nothing evicted while down").to.equal("ok");
      down = false;
      await recovering.poll();
      expect(await outcomeOf(verifier.verify(generated.key))).to.equal("API_KEY_DISABLED");
      expect(recovering.position).to.be.greaterThan(before);
    } finally {
      await recovering.stop();
    }
  });
});
