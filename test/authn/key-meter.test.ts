// The key meter (ARCHITECTURE.md, "Keys") through the verifier, against a real SQLite store (a temporary
// file) and a test clock: rate-limit windows and usage credits, exact on one process, bounded across two
// meters on one store (as two processes would be), refusals decided from memory, leases given back or
// voided, and the store's failure failing the call.
import { expect } from "chai";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { KeyMeter } from "../../src/authn/key-meter.js";
import { newRateLimitReading, rateLimitHeaders } from "../../src/authn/meter-reading.js";
import { rateCounterId } from "../../src/authn/rate-windows.js";
import { ApiKeyVerifier } from "../../src/authn/verifier.js";
import { KeywardError } from "../../src/errors/errors.js";
import { generateKey, hashSecret, type GeneratedKey } from "../../src/keys/index.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { StoreError, type ApiKeyRecord, type Store } from "../../src/store/store.js";
import { outcomeOf } from "../support/error-reasons.js";

const T0 = Date.UTC(2025, 5, 1, 12, 0, 0, 0);
const SECOND = 1_000;
const HOUR = 3_600_000;

describe("auth: the key meter (rate limits and usage credits)", () => {
  let dir: string;
  let store: SqliteStore;
  let clock: number;
  /** Store writes the meters made, by method. */
  let writes: { rate: number; take: number; give: number };
  let counted: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyward-meter-"));
    store = openSqliteStore(join(dir, "keyward.db"));
    clock = T0;
    writes = { rate: 0, take: 0, give: 0 };
    counted = Object.create(store, {
      updateAttemptCounter: { value: (...args: Parameters<Store["updateAttemptCounter"]>) => (writes.rate++, store.updateAttemptCounter(...args)) },
      takeApiKeyUses: { value: (...args: Parameters<Store["takeApiKeyUses"]>) => (writes.take++, store.takeApiKeyUses(...args)) },
      returnApiKeyUses: { value: (...args: Parameters<Store["returnApiKeyUses"]>) => (writes.give++, store.returnApiKeyUses(...args)) },
    }) as Store;
    await store.createUser({ userId: "alice", name: "Alice", email: "", admin: false, state: "active", createdAt: new Date(T0 - HOUR), updatedAt: new Date(T0 - HOUR) });
  });

  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A verifier as one process has it: its own cache and meter, on the shared store. */
  function process(on: Store = counted): ApiKeyVerifier {
    return new ApiKeyVerifier(on, { cacheTtlMs: 60_000, cacheSize: 100, negativeTtlMs: 1_000, now: () => clock, meter: new KeyMeter(on, () => clock, { idleMs: 5 * SECOND }) });
  }

  async function storedKey(overrides: Partial<ApiKeyRecord>): Promise<{ generated: GeneratedKey; record: ApiKeyRecord }> {
    const generated = generateKey();
    const record: ApiKeyRecord = {
      id: generated.id,
      userId: "alice",
      name: "metered",
      rights: [Right.USER_INFO],
      state: "active",
      secretHash: hashSecret(generated.secret),
      createdAt: new Date(T0 - HOUR),
      updatedAt: new Date(T0 - HOUR),
      ...overrides,
    };
    await store.createApiKey(record, { maxKeysPerUser: 100 });
    return { generated, record };
  }

  const credits = (remainingUses: number, refill?: ApiKeyRecord["refill"]): Partial<ApiKeyRecord> => ({
    remainingUses,
    refilledAt: new Date(T0 - HOUR),
    ...(refill === undefined ? {} : { refill }),
  });

  async function storedUses(keyId: string): Promise<number | undefined> {
    return (await store.getApiKey("alice", keyId)).remainingUses;
  }

  async function outcomes(verifier: ApiKeyVerifier, key: string, count: number): Promise<string[]> {
    const seen: string[] = [];
    for (let i = 0; i < count; i++) seen.push(await outcomeOf(verifier.verify(key)));
    return seen;
  }

  describe("rate limits", () => {
    it("admits 5 calls of a 5-per-second key and refuses the 6th until the window ends, with the wait", async () => {
      const { generated } = await storedKey({ rateLimit: { requests: 5, periodMs: SECOND } });
      const v = process();
      expect(await outcomes(v, generated.key, 5)).to.deep.equal(["ok", "ok", "ok", "ok", "ok"]);
      clock += 300;
      const refusal = await v.verify(generated.key).catch((error: unknown) => error);
      expect(refusal).to.be.instanceOf(KeywardError);
      expect((refusal as KeywardError).reason).to.equal("API_KEY_RATE_LIMITED");
      expect((refusal as KeywardError).code).to.equal("resource_exhausted");
      expect((refusal as KeywardError).retryDelayMs).to.equal(700);
      expect((refusal as KeywardError).message).to.contain("5 calls per second");
      clock += 700;
      expect(await outcomes(v, generated.key, 5)).to.deep.equal(["ok", "ok", "ok", "ok", "ok"]);
      expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_RATE_LIMITED");
    });

    it("fills the reading the X-RateLimit-* headers are made of, on success and on refusal", async () => {
      const { generated } = await storedKey({ rateLimit: { requests: 3, periodMs: 10 * SECOND } });
      const v = process();
      const first = newRateLimitReading();
      await v.verify(generated.key, undefined, first);
      expect(rateLimitHeaders(first)).to.deep.equal({ "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2", "X-RateLimit-Reset": "10" });
      clock += 2_500;
      await v.verify(generated.key);
      const third = newRateLimitReading();
      await v.verify(generated.key, undefined, third);
      expect(rateLimitHeaders(third)).to.deep.equal({ "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "8" });
      const refused = newRateLimitReading();
      expect(await outcomeOf(v.verify(generated.key, undefined, refused))).to.equal("API_KEY_RATE_LIMITED");
      expect(rateLimitHeaders(refused)).to.deep.equal({ "X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "8" });
    });

    it("an unmetered key writes nothing and fills no reading", async () => {
      const { generated } = await storedKey({});
      const v = process();
      const reading = newRateLimitReading();
      expect(await outcomes(v, generated.key, 50)).to.deep.equal(Array(50).fill("ok"));
      await v.verify(generated.key, undefined, reading);
      expect(rateLimitHeaders(reading)).to.equal(undefined);
      expect(writes).to.deep.equal({ rate: 0, take: 0, give: 0 });
    });

    it("leases a block per store write, one write for concurrent calls, and refuses a full window from memory", async () => {
      const { generated } = await storedKey({ rateLimit: { requests: 1_000, periodMs: 60 * SECOND } });
      const v = process();
      // Block = 1000 / 20 = 50: fifty concurrent calls share one lease.
      const results = await Promise.all(Array.from({ length: 50 }, () => outcomeOf(v.verify(generated.key))));
      expect(results.every((r) => r === "ok")).to.equal(true);
      expect(writes.rate).to.equal(1);
      expect(await outcomes(v, generated.key, 950)).to.deep.equal(Array(950).fill("ok"));
      expect(writes.rate).to.equal(20);
      expect(await outcomes(v, generated.key, 100)).to.deep.equal(Array(100).fill("API_KEY_RATE_LIMITED"));
      // The last lease said the window is full: every refusal is answered from memory.
      expect(writes.rate).to.equal(20);
      const counter = await store.updateAttemptCounter(rateCounterId(generated.id), new Date(clock), (c) => c);
      expect(counter?.attempts).to.equal(1_000);
    });

    it("two processes on one store never grant more than the limit in a window, and refuse early by at most one block", async () => {
      const { generated } = await storedKey({ rateLimit: { requests: 100, periodMs: 60 * SECOND } });
      const a = process();
      const b = process();
      let granted = 0;
      // Alternate the processes: each holds a block (5) the other cannot use.
      for (let i = 0; i < 150; i++) if ((await outcomeOf((i % 2 === 0 ? a : b).verify(generated.key))) === "ok") granted++;
      expect(granted).to.be.at.most(100);
      expect(granted).to.be.at.least(100 - 5);
    });

    it("a changed limit is used once the key is evicted, and a removed one stops metering", async () => {
      const { generated, record } = await storedKey({ rateLimit: { requests: 2, periodMs: HOUR } });
      const v = process();
      expect(await outcomes(v, generated.key, 3)).to.deep.equal(["ok", "ok", "API_KEY_RATE_LIMITED"]);
      await store.updateApiKey("alice", record.id, (current) => ({ ...current, rateLimit: { requests: 4, periodMs: HOUR } }));
      // Not yet evicted: the cached limit holds.
      expect(await outcomeOf(v.verify(generated.key))).to.equal("API_KEY_RATE_LIMITED");
      v.forgetKey(record.id);
      // The window's count (2) carries over: two more calls in it.
      expect(await outcomes(v, generated.key, 3)).to.deep.equal(["ok", "ok", "API_KEY_RATE_LIMITED"]);
      await store.updateApiKey("alice", record.id, ({ rateLimit: _removed, ...current }) => current);
      v.forgetKey(record.id);
      expect(await outcomes(v, generated.key, 10)).to.deep.equal(Array(10).fill("ok"));
    });

    it("a shorter period ends the window it carries over by then, so a key moved from an hour to a second waits a second, not the hour", async () => {
      const { generated, record } = await storedKey({ rateLimit: { requests: 2, periodMs: HOUR } });
      const v = process();
      expect(await outcomes(v, generated.key, 3)).to.deep.equal(["ok", "ok", "API_KEY_RATE_LIMITED"]);
      await store.updateApiKey("alice", record.id, (current) => ({ ...current, rateLimit: { requests: 1, periodMs: SECOND } }));
      v.forgetKey(record.id);
      // The count (2) carries over, so the new window is full; but it ends a second from now.
      const refusal = await v.verify(generated.key).then(() => undefined, (error: KeywardError) => error);
      expect(refusal?.reason).to.equal("API_KEY_RATE_LIMITED");
      expect(refusal?.retryDelayMs).to.be.at.most(SECOND);
      clock += SECOND;
      expect(await outcomes(v, generated.key, 2)).to.deep.equal(["ok", "API_KEY_RATE_LIMITED"]);
    });

    it("takes no credit for a call its rate limit refused", async () => {
      const { generated, record } = await storedKey({ rateLimit: { requests: 2, periodMs: HOUR }, ...credits(10) });
      const v = process();
      expect(await outcomes(v, generated.key, 5)).to.deep.equal(["ok", "ok", "API_KEY_RATE_LIMITED", "API_KEY_RATE_LIMITED", "API_KEY_RATE_LIMITED"]);
      await v.meter.stop();
      expect(await storedUses(record.id)).to.equal(8);
    });
  });

  describe("usage credits", () => {
    it("a key with 3 uses serves exactly 3 across two processes, then API_KEY_USAGE_EXHAUSTED", async () => {
      const { generated, record } = await storedKey(credits(3));
      const a = process();
      const b = process();
      const seen = [await outcomeOf(a.verify(generated.key)), await outcomeOf(b.verify(generated.key)), await outcomeOf(a.verify(generated.key))];
      expect(seen).to.deep.equal(["ok", "ok", "ok"]);
      expect(await outcomeOf(b.verify(generated.key))).to.equal("API_KEY_USAGE_EXHAUSTED");
      expect(await outcomeOf(a.verify(generated.key))).to.equal("API_KEY_USAGE_EXHAUSTED");
      expect(await storedUses(record.id)).to.equal(0);
    });

    it("leases a block, gives back what it did not use when idle or stopped, and refuses an empty key from memory for a moment", async () => {
      const { generated, record } = await storedKey(credits(1_000));
      const v = process();
      await v.verify(generated.key);
      // Block = 1000 / 20 = 50, one of them used.
      expect(await storedUses(record.id)).to.equal(950);
      await v.meter.stop();
      expect(await storedUses(record.id)).to.equal(999);

      const { generated: one } = await storedKey(credits(1));
      const w = process();
      expect(await outcomes(w, one.key, 4)).to.deep.equal(["ok", "API_KEY_USAGE_EXHAUSTED", "API_KEY_USAGE_EXHAUSTED", "API_KEY_USAGE_EXHAUSTED"]);
      expect(writes.take).to.equal(1 + 2);
      clock += SECOND;
      expect(await outcomeOf(w.verify(one.key))).to.equal("API_KEY_USAGE_EXHAUSTED");
      expect(writes.take).to.equal(4);
    });

    it("a refill sets the count every period, and the refusal says when", async () => {
      const { generated } = await storedKey({ remainingUses: 2, refilledAt: new Date(T0), refill: { amount: 2, periodMs: HOUR } });
      const v = process();
      expect(await outcomes(v, generated.key, 2)).to.deep.equal(["ok", "ok"]);
      const refusal = (await v.verify(generated.key).catch((error: unknown) => error)) as KeywardError;
      expect(refusal.reason).to.equal("API_KEY_USAGE_EXHAUSTED");
      expect(refusal.retryDelayMs).to.equal(HOUR);
      expect(refusal.message).to.contain(new Date(T0 + HOUR).toISOString());
      clock = T0 + HOUR;
      expect(await outcomes(v, generated.key, 3)).to.deep.equal(["ok", "ok", "API_KEY_USAGE_EXHAUSTED"]);
    });

    it("a new count voids older leases: the evicted lease is neither used nor given back into it", async () => {
      const { generated, record } = await storedKey(credits(1_000));
      const v = process();
      await v.verify(generated.key);
      expect(await storedUses(record.id)).to.equal(950);
      clock += SECOND;
      await store.updateApiKey("alice", record.id, (current) => ({ ...current, remainingUses: 10, refilledAt: new Date(clock) }));
      v.forgetKey(record.id);
      await v.meter.stop();
      expect(await storedUses(record.id)).to.equal(10);
      expect(await outcomes(v, generated.key, 11)).to.deep.equal([...Array(10).fill("ok"), "API_KEY_USAGE_EXHAUSTED"]);
    });

    it("an evicted key whose count did not change gives its lease back", async () => {
      const { generated, record } = await storedKey(credits(1_000));
      const v = process();
      await v.verify(generated.key);
      await store.updateApiKey("alice", record.id, (current) => ({ ...current, name: "renamed" }));
      v.forgetKey(record.id);
      await v.meter.stop();
      expect(await storedUses(record.id)).to.equal(999);
    });
  });

  it("fails the call when the store cannot lease (fail closed)", async () => {
    const { generated } = await storedKey({ rateLimit: { requests: 5, periodMs: SECOND } });
    const down = Object.create(store, {
      updateAttemptCounter: { value: () => Promise.reject(new StoreError("unavailable", "database is locked")) },
    }) as Store;
    const v = process(down);
    const failure = await v.verify(generated.key).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(StoreError);
    expect((failure as StoreError).kind).to.equal("unavailable");
  });
});
