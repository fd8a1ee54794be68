// ApiKeyVerifier against a real SQLite store (a temporary file): the order of checks of ARCHITECTURE.md, "Credentials and errors", and the
// cache rules. The secret hash, states and expiry are checked on every call, cached or not; changes on
// this node evict at once, others are seen within the TTL; unknown ids are remembered briefly; concurrent
// misses share one read.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { ApiKeyVerifier, type VerifierOptions } from "../../src/authn/verifier.js";
import type { Principal } from "../../src/authn/principal.js";
import { generateKey, hashSecret, type GeneratedKey } from "../../src/keys/index.js";
import { rights } from "../../src/rights/index.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { ApiKeyRecord, UserRecord } from "../../src/store/store.js";
import { isStoreError } from "../../src/store/store.js";
import { outcomeOf } from "../support/error-reasons.js";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0, 321);
const NO_CAP = { maxKeysPerUser: 100 };
const TTL = 5_000;
const NEGATIVE_TTL = 1_000;

describe("auth: ApiKeyVerifier", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: number;
  let user: UserRecord;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyward-verifier-"));
    store = openSqliteStore(join(dir, "keyward.db"));
    clock = T0;
    user = {
      userId: "alice",
      name: "Alice",
      email: "alice@example.com",
      admin: false,
      state: "active",
      createdAt: new Date(T0 - 86_400_000),
      updatedAt: new Date(T0 - 86_400_000),
    };
    await store.createUser(user);
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  function verifier(options: Partial<VerifierOptions> = {}): ApiKeyVerifier {
    return new ApiKeyVerifier(store, { cacheTtlMs: TTL, cacheSize: 100, negativeTtlMs: NEGATIVE_TTL, now: () => clock, ...options });
  }

  function keyRecord(generated: GeneratedKey, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
    return {
      id: generated.id,
      userId: user.userId,
      name: "ci",
      rights: [Right.USER_INFO, Right.USER_SETTINGS_BASIC],
      state: "active",
      secretHash: hashSecret(generated.secret),
      createdAt: new Date(T0 - 1_000),
      updatedAt: new Date(T0 - 1_000),
      ...overrides,
    };
  }

  async function storedKey(overrides: Partial<ApiKeyRecord> = {}): Promise<{ generated: GeneratedKey; record: ApiKeyRecord }> {
    const generated = generateKey();
    const record = keyRecord(generated, overrides);
    await store.createApiKey(record, NO_CAP);
    return { generated, record };
  }


  async function setKeyState(record: ApiKeyRecord, state: ApiKeyRecord["state"]): Promise<void> {
    await store.updateApiKey(record.userId, record.id, (current) => ({ ...current, state }));
  }

  it("returns the key, its owner and the effective rights of a valid key", async () => {
    const { generated, record } = await storedKey({ rights: [Right.USER_ALL, Right.ADMIN_USERS_READ] });
    const principal = await verifier().verify(generated.key);
    expect(principal.key).to.deep.equal(record);
    expect(principal.user).to.deep.equal(user);
    // An admin right on a non-admin's key is not effective.
    const expected = rights.effective(record.rights, { admin: false, suspended: false });
    expect([...principal.rights].sort()).to.deep.equal([...expected].sort());
    expect(principal.rights.has(Right.ADMIN_USERS_READ)).to.equal(false);
    expect(principal.rights.has(Right.USER_DELETE)).to.equal(true);
  });

  it("tells malformed, unknown and wrong-secret keys apart only where ARCHITECTURE.md, 'Credentials and errors' allows", async () => {
    const { generated } = await storedKey();
    const v = verifier();
    expect(await outcomeOf(v.verify(""))).to.equal("CREDENTIALS_MALFORMED");
    expect(await outcomeOf(v.verify(generated.key.slice(0, -1)))).to.equal("CREDENTIALS_MALFORMED");
    expect(await outcomeOf(v.verify(generateKey().key))).to.equal("API_KEY_INVALID");
    // A well-formed key with the right id and another secret: the same answer as an unknown id.
    expect(await outcomeOf(v.verify(generateKey(generated.id).key))).to.equal("API_KEY_INVALID");
  });

  it("checks the secret on every call, also when the key is cached", async () => {
    const { generated } = await storedKey();
    const v = verifier();
    await v.verify(generated.key);
    expect(await outcomeOf(v.verify(generateKey(generated.id).key))).to.equal("API_KEY_INVALID");
    expect((await v.verify(generated.key)).key?.id).to.equal(generated.id);
  });

  it("checks expiry on every call: the cache never extends a key's life", async () => {
    const { generated } = await storedKey({ expiresAt: new Date(T0 + 1_000) });
    const v = verifier();
    await v.verify(generated.key);
    clock = T0 + 999;
    await v.verify(generated.key);
    clock = T0 + 1_000;
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_EXPIRED");
  });

  it("accepts the replaced secret during the rotation grace period only, cached or not, and says which secret it was", async () => {
    const old = generateKey();
    const current = generateKey(old.id);
    const record = keyRecord(current, {
      previousSecretHash: hashSecret(old.secret),
      previousSecretValidUntil: new Date(T0 + 2_000),
    });
    await store.createApiKey(record, NO_CAP);
    for (const [v, cached] of [[verifier(), true], [verifier({ cacheTtlMs: 0 }), false]] as const) {
      clock = T0;
      const byCurrent = await v.verify(current.key);
      const byOld = await v.verify(old.key);
      // The grace rule needs to know: the old secret's principal is marked, with the same key and rights.
      expect(byCurrent.supersededSecret).to.equal(false);
      expect(byOld.supersededSecret).to.equal(true);
      expect(byOld.key).to.deep.equal(byCurrent.key);
      expect([...byOld.rights]).to.deep.equal([...byCurrent.rights]);
      if (cached) {
        // Each secret gets the principal built for it once per cache entry, not a new one per call.
        expect(await v.verify(old.key)).to.equal(byOld);
        expect(await v.verify(current.key)).to.equal(byCurrent);
      }
      clock = T0 + 2_000;
      await v.verify(current.key);
      expect(await outcomeOf(v.verify(old.key))).to.equal("API_KEY_INVALID");
    }
  });

  it("sees a change made elsewhere within the TTL, and one made on this node at once", async () => {
    const { generated, record } = await storedKey();
    const v = verifier();
    await v.verify(generated.key);

    // Another node disabled the key: this one keeps its cached records until the TTL runs out.
    await setKeyState(record, "disabled");
    clock = T0 + TTL - 1;
    await v.verify(generated.key);
    clock = T0 + TTL;
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_DISABLED");

    // Changed on this node: evicted at once.
    await setKeyState(record, "active");
    v.forgetKey(record.id);
    await v.verify(generated.key);
    await setKeyState(record, "disabled");
    v.forgetKey(record.id);
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_DISABLED");
  });

  it("evicts every key of a user changed on this node", async () => {
    const first = await storedKey();
    const second = await storedKey();
    const v = verifier();
    await v.verify(first.generated.key);
    await v.verify(second.generated.key);
    await store.updateUser(user.userId, (current) => ({ ...current, state: "suspended" }));
    v.forgetUser(user.userId);
    expect(await outcomeOf(v.verify(first.generated.key))).to.equal("USER_SUSPENDED");
    expect(await outcomeOf(v.verify(second.generated.key))).to.equal("USER_SUSPENDED");
  });

  it("checks the owner's state before the key's", async () => {
    const { generated } = await storedKey({ state: "disabled" });
    await store.updateUser(user.userId, (current) => ({ ...current, state: "suspended" }));
    expect(await outcomeOf(verifier().verify(generated.key))).to.equal("USER_SUSPENDED");
  });

  it("remembers an unknown id for the negative TTL, unless the key is created on this node", async () => {
    const generated = generateKey();
    const v = verifier();
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_INVALID");
    // Created by another node: still unknown here until the negative TTL runs out.
    await store.createApiKey(keyRecord(generated), NO_CAP);
    clock = T0 + NEGATIVE_TTL - 1;
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_INVALID");
    clock = T0 + NEGATIVE_TTL;
    await v.verify(generated.key);

    const other = generateKey();
    expect(await outcomeOf(v.verify(other.key))).to.equal("API_KEY_INVALID");
    await store.createApiKey(keyRecord(other), NO_CAP);
    v.forgetKey(other.id);
    await v.verify(other.key);
  });

  it("shares one store read among concurrent misses for a key", async () => {
    const { generated } = await storedKey();
    const v = verifier({ cacheTtlMs: 0 });
    const concurrent = await Promise.all([v.verify(generated.key), v.verify(generated.key), v.verify(generated.key)]);
    // One read builds one principal; without a cache, later calls read (and build) again.
    expect(concurrent[1]).to.equal(concurrent[0]);
    expect(concurrent[2]).to.equal(concurrent[0]);
    const later: Principal = await v.verify(generated.key);
    expect(later).to.not.equal(concurrent[0]);
    expect(later).to.deep.equal(concurrent[0]);
  });

  it("does not cache a read that raced with a change on this node", async () => {
    const { generated, record } = await storedKey();
    const v = verifier();
    const racing = v.verify(generated.key);
    v.forgetKey(record.id);
    await racing;
    await setKeyState(record, "disabled");
    expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_DISABLED");
  });

  it("reports a store failure as such, not as an invalid key, and does not remember it", async () => {
    const { generated } = await storedKey();
    const v = verifier();
    await store.close();
    for (let i = 0; i < 2; i++) {
      let failure: unknown;
      await v.verify(generated.key).catch((error: unknown) => (failure = error));
      expect(isStoreError(failure, "unavailable"), String(failure)).to.equal(true);
    }
  });

  it("holds at most cacheSize keys, dropping the least recently used (--auth-cache-size)", async () => {
    const v = verifier({ cacheSize: 2 });
    const [a, b, c] = [await storedKey(), await storedKey(), await storedKey()];
    for (const key of [a, b, c]) await v.verify(key.generated.key);
    // Disabled in the store behind the verifier's back (another node's change): a cached key still works
    // until its TTL; one that was dropped is read again and refused at once.
    await setKeyState(a.record, "disabled");
    await setKeyState(c.record, "disabled");
    expect(await outcomeOf(v.verify(a.generated.key))).to.equal("API_KEY_DISABLED");
    expect((await v.verify(c.generated.key)).key?.id).to.equal(c.record.id);
  });

  it("drops expired entries on its own, so memory follows the keys in use", async () => {
    // The real clock and a short TTL: the sweep runs on a timer.
    const v = verifier({ cacheTtlMs: 40, negativeTtlMs: 40, now: Date.now });
    const [a, b] = [await storedKey(), await storedKey()];
    await v.verify(a.generated.key);
    await v.verify(b.generated.key);
    expect(v.cachedKeys).to.equal(2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(v.cachedKeys).to.equal(0);
    // Dropped, not broken: the next call reads the store again.
    expect((await v.verify(a.generated.key)).key?.id).to.equal(a.record.id);
    expect(v.cachedKeys).to.equal(1);
  });
});
