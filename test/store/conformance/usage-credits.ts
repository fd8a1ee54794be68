// A key's rate limit, usage credits, refill and metadata (ARCHITECTURE.md, "Keys"): stored exactly, absent
// stays absent; leases of credits (takeApiKeyUses / returnApiKeyUses) never hand out more than the key had,
// under concurrent takes and updates, and are no change (no event, no feed entry, updatedAt stays).
import { expect } from "chai";
import type { ApiKeyRecord, Store, UsesLease } from "../../../src/store/store.js";
import { creditsAt, newUsageCount } from "../../../src/store/usage-credits.js";
import { eventsAfter } from "./event-fixtures.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, fullApiKeyRecord, newKeyId, newUserId, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

const METER_FIELDS = ["rateLimit", "remainingUses", "refill", "refilledAt", "metadata"] as const;

/** A key with credits: `remainingUses` counted from `refilledAt` (T0 unless overridden). */
function meteredKey(userId: string, overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return apiKeyRecord(userId, { remainingUses: 10, refilledAt: at(0), ...overrides });
}

/** Grants of `takes` concurrent takes of `want` each, spread over `stores` round robin. */
async function takeConcurrently(stores: Store[], keyId: string, takes: number, want: number, now: Date): Promise<number[]> {
  const leases = await Promise.all(Array.from({ length: takes }, (_, i) => stores[i % stores.length]!.takeApiKeyUses(keyId, want, now)));
  return leases.map((lease) => lease?.granted ?? -1);
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

export function describeUsageCredits(subject: StoreUnderTest): void {
  describe("rate limits, usage credits and metadata", () => {
    let alice: string;

    beforeEach(async () => {
      alice = newUserId("alice");
      await subject.store.createUser(userRecord({ userId: alice }));
    });

    it("stores every new field exactly, read back by owner, by id, with its owner and in lists", async () => {
      const key = fullApiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      expect(await subject.store.getApiKey(alice, key.id)).to.deep.equal(key);
      expect((await subject.store.findApiKeyWithOwner(key.id))?.key).to.deep.equal(key);
      const listed = await subject.store.listApiKeys(alice, { pageSize: 10, pageToken: "" });
      expect(listed.items).to.deep.equal([key]);
    });

    it("keeps absent fields absent (not null, not undefined properties), also with the owner and after an update", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const updated = await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, name: "renamed" }));
      for (const read of [
        await subject.store.getApiKey(alice, key.id),
        (await subject.store.findApiKeyWithOwner(key.id))!.key,
        updated,
      ]) {
        for (const field of METER_FIELDS) expect(read, field).to.not.have.property(field);
      }
    });

    it("clears each field by an update, and reads empty metadata back as absent", async () => {
      const key = fullApiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const { rateLimit: _r, remainingUses: _u, refill: _f, refilledAt: _a, ...bare } = key;
      const cleared = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...bare, updatedAt: current.updatedAt, metadata: {} }));
      for (const read of [cleared, await subject.store.getApiKey(alice, key.id), (await subject.store.findApiKeyWithOwner(key.id))!.key]) {
        for (const field of METER_FIELDS) expect(read, field).to.not.have.property(field);
      }
    });

    it("refuses malformed limits with invalid_argument (api_key) and stores nothing", async () => {
      for (const bad of [
        { rateLimit: { requests: 0, periodMs: 1_000 } },
        { rateLimit: { requests: 5, periodMs: 1.5 } },
        { remainingUses: -1, refilledAt: at(0) },
        { refill: { amount: 5, periodMs: 60_000 } },
        { remainingUses: 5, refilledAt: at(0), refill: { amount: 0, periodMs: 60_000 } },
        { metadata: { plan: 7 as unknown as string } },
      ] satisfies Partial<ApiKeyRecord>[]) {
        const key = apiKeyRecord(alice, bad);
        await expectStoreError(subject.store.createApiKey(key, NO_CAP), "invalid_argument", "api_key");
        expect(await subject.store.findApiKey(key.id), JSON.stringify(bad)).to.equal(undefined);
      }
    });

    it("begins the count at createdAt when a create gives credits without refilledAt", async () => {
      const key = apiKeyRecord(alice, { remainingUses: 3 });
      await subject.store.createApiKey(key, NO_CAP);
      expect((await subject.store.getApiKey(alice, key.id)).refilledAt).to.deep.equal(key.createdAt);
    });

    describe("takeApiKeyUses", () => {
      it("grants up to the count and counts it off; at zero grants none", async () => {
        const key = meteredKey(alice, { remainingUses: 5 });
        await subject.store.createApiKey(key, NO_CAP);
        expect(await subject.store.takeApiKeyUses(key.id, 3, at(10))).to.deep.equal({ granted: 3, remaining: 2, epoch: at(0) });
        expect(await subject.store.takeApiKeyUses(key.id, 3, at(11))).to.deep.equal({ granted: 2, remaining: 0, epoch: at(0) });
        expect(await subject.store.takeApiKeyUses(key.id, 1, at(12))).to.deep.equal({ granted: 0, remaining: 0, epoch: at(0) });
        expect((await subject.store.getApiKey(alice, key.id)).remainingUses).to.equal(0);
      });

      it("is undefined for an unlimited key and an unknown one, and refuses a want below 1", async () => {
        const key = apiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        expect(await subject.store.takeApiKeyUses(key.id, 1, at(0))).to.equal(undefined);
        expect(await subject.store.takeApiKeyUses(newKeyId(), 1, at(0))).to.equal(undefined);
        await expectStoreError(subject.store.takeApiKeyUses(key.id, 0, at(0)), "invalid_argument");
        await expectStoreError(subject.store.returnApiKeyUses(key.id, 0, at(0)), "invalid_argument");
      });

      it("applies a due refill as creditsAt says: the count set to the amount, the epoch moved by whole periods", async () => {
        const key = meteredKey(alice, { remainingUses: 2, refill: { amount: 10, periodMs: 1_000 } });
        await subject.store.createApiKey(key, NO_CAP);
        const stored = await subject.store.getApiKey(alice, key.id);
        const now = at(3_500);
        const expected = creditsAt(stored, now)!;
        expect(expected).to.deep.equal({ remaining: 10, refilledAt: at(3_000), nextRefillAt: at(4_000) });
        const lease = await subject.store.takeApiKeyUses(key.id, 4, now);
        expect(lease).to.deep.equal({ granted: 4, remaining: 6, epoch: at(3_000), nextRefillAt: at(4_000) } satisfies UsesLease);
        const after = await subject.store.getApiKey(alice, key.id);
        expect([after.remainingUses, after.refilledAt, after.updatedAt]).to.deep.equal([6, at(3_000), key.updatedAt]);
        // Before the refill is due, the count is what is left, and the next refill stays announced.
        expect(await subject.store.takeApiKeyUses(key.id, 1, at(3_999))).to.deep.equal({ granted: 1, remaining: 5, epoch: at(3_000), nextRefillAt: at(4_000) });
      });

      it("applies a due refill even to an exhausted key asked for nothing more than it has", async () => {
        const key = meteredKey(alice, { remainingUses: 0, refill: { amount: 3, periodMs: 60_000 } });
        await subject.store.createApiKey(key, NO_CAP);
        expect((await subject.store.takeApiKeyUses(key.id, 5, at(59_999)))?.granted).to.equal(0);
        expect(await subject.store.takeApiKeyUses(key.id, 5, at(60_000))).to.deep.equal({ granted: 3, remaining: 0, epoch: at(60_000), nextRefillAt: at(120_000) });
      });

      it("never grants more than the count in all among concurrent takes, on one connection and two", async () => {
        const key = meteredKey(alice, { remainingUses: 25 });
        await subject.store.createApiKey(key, NO_CAP);
        const peer = await subject.openPeer();
        try {
          const stores = peer ? [subject.store, peer] : [subject.store];
          const grants = await takeConcurrently(stores, key.id, 20, 3, at(10));
          expect(grants.every((g) => g >= 0 && g <= 3), String(grants)).to.equal(true);
          expect(sum(grants)).to.equal(25);
          expect((await subject.store.getApiKey(alice, key.id)).remainingUses).to.equal(0);
        } finally {
          await peer?.close();
        }
      });

      it("counts a due refill once when concurrent takes find it due together", async () => {
        const key = meteredKey(alice, { remainingUses: 0, refill: { amount: 12, periodMs: 1_000 } });
        await subject.store.createApiKey(key, NO_CAP);
        const grants = await takeConcurrently([subject.store], key.id, 10, 2, at(1_500));
        expect(sum(grants)).to.equal(12);
        expect((await subject.store.getApiKey(alice, key.id)).refilledAt).to.deep.equal(at(1_000));
      });
    });

    describe("returnApiKeyUses", () => {
      it("gives unused uses back into the count they were leased from", async () => {
        const key = meteredKey(alice, { remainingUses: 10 });
        await subject.store.createApiKey(key, NO_CAP);
        const lease = (await subject.store.takeApiKeyUses(key.id, 4, at(10)))!;
        expect(await subject.store.returnApiKeyUses(key.id, 3, lease.epoch)).to.equal(true);
        expect((await subject.store.getApiKey(alice, key.id)).remainingUses).to.equal(9);
      });

      it("gives nothing back after a refill, a new count, the credits' removal or the key's delete", async () => {
        const refilled = meteredKey(alice, { remainingUses: 5, refill: { amount: 5, periodMs: 1_000 } });
        await subject.store.createApiKey(refilled, NO_CAP);
        const before = (await subject.store.takeApiKeyUses(refilled.id, 5, at(10)))!;
        await subject.store.takeApiKeyUses(refilled.id, 1, at(1_010));
        expect(await subject.store.returnApiKeyUses(refilled.id, 5, before.epoch)).to.equal(false);
        expect((await subject.store.getApiKey(alice, refilled.id)).remainingUses).to.equal(4);

        const reset = meteredKey(alice, { remainingUses: 5 });
        await subject.store.createApiKey(reset, NO_CAP);
        const lease = (await subject.store.takeApiKeyUses(reset.id, 5, at(10)))!;
        await subject.store.updateApiKey(alice, reset.id, (k) => ({ ...k, remainingUses: 2 }));
        expect(await subject.store.returnApiKeyUses(reset.id, 5, lease.epoch)).to.equal(false);
        expect((await subject.store.getApiKey(alice, reset.id)).remainingUses).to.equal(2);

        const removed = meteredKey(alice, { remainingUses: 5 });
        await subject.store.createApiKey(removed, NO_CAP);
        const held = (await subject.store.takeApiKeyUses(removed.id, 2, at(10)))!;
        await subject.store.updateApiKey(alice, removed.id, ({ remainingUses: _u, refilledAt: _a, ...k }) => k);
        expect(await subject.store.returnApiKeyUses(removed.id, 2, held.epoch)).to.equal(false);
        expect(await subject.store.getApiKey(alice, removed.id)).to.not.have.property("remainingUses");

        await subject.store.deleteApiKey(alice, removed.id);
        expect(await subject.store.returnApiKeyUses(removed.id, 2, held.epoch)).to.equal(false);
      });
    });

    describe("epochs", () => {
      it("starts a new epoch when an update sets the count, even to the count it has, by moving refilledAt", async () => {
        const key = meteredKey(alice, { remainingUses: 5 });
        await subject.store.createApiKey(key, NO_CAP);
        const changed = await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, remainingUses: 8 }));
        expect(changed.remainingUses).to.equal(8);
        expect(changed.refilledAt!.getTime()).to.be.greaterThan(at(0).getTime());
        const lease = (await subject.store.takeApiKeyUses(key.id, 2, new Date()))!;
        expect(lease.epoch).to.deep.equal(changed.refilledAt);
        const same = await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, ...newUsageCount(k, 6, new Date()) }));
        expect(same.remainingUses).to.equal(6);
        expect(same.refilledAt!.getTime()).to.be.greaterThan(changed.refilledAt!.getTime());
        expect(await subject.store.returnApiKeyUses(key.id, 2, lease.epoch)).to.equal(false);
      });

      it("keeps the count and the epoch through an update of other fields, whatever count the updater copied", async () => {
        const key = meteredKey(alice, { remainingUses: 5 });
        await subject.store.createApiKey(key, NO_CAP);
        const lease = (await subject.store.takeApiKeyUses(key.id, 2, at(10)))!;
        const renamed = await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, name: "renamed" }));
        expect([renamed.remainingUses, renamed.refilledAt]).to.deep.equal([3, at(0)]);
        expect(await subject.store.returnApiKeyUses(key.id, 2, lease.epoch)).to.equal(true);
        expect((await subject.store.getApiKey(alice, key.id)).remainingUses).to.equal(5);
      });

      it("carries the count as of now into a new epoch when only the refill changes", async () => {
        const key = meteredKey(alice, { remainingUses: 1, refill: { amount: 50, periodMs: 1_000 } });
        await subject.store.createApiKey(key, NO_CAP);
        const changed = await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, refill: { amount: 50, periodMs: 3_600_000 } }));
        // T0 is long past: refills were due, so the count carried is the refill's amount.
        expect(changed.remainingUses).to.equal(50);
        expect(changed.refilledAt!.getTime()).to.be.within(Date.now() - 10_000, Date.now() + 1);
      });
    });

    it("leaves no event, no feed entry and updatedAt as it was for takes and returns", async () => {
      const key = meteredKey(alice, { remainingUses: 5, refill: { amount: 5, periodMs: 1_000 } });
      await subject.store.createApiKey(key, NO_CAP);
      const { seq } = await subject.store.eventChainHead();
      const feed = await subject.store.revocationHead();
      const lease = (await subject.store.takeApiKeyUses(key.id, 2, at(10)))!;
      await subject.store.returnApiKeyUses(key.id, 1, lease.epoch);
      await subject.store.takeApiKeyUses(key.id, 3, at(5_000)); // with a refill
      expect(await eventsAfter(subject.store, seq)).to.deep.equal([]);
      expect(await subject.store.revocationHead()).to.equal(feed);
      expect((await subject.store.getApiKey(alice, key.id)).updatedAt).to.deep.equal(key.updatedAt);
    });

    it("loses no take to concurrent updates of the key, and no update to concurrent takes", async () => {
      const key = meteredKey(alice, { remainingUses: 200, rights: [] });
      await subject.store.createApiKey(key, NO_CAP);
      const peer = await subject.openPeer();
      try {
        const stores = peer ? [subject.store, peer] : [subject.store];
        const takes = Array.from({ length: 30 }, (_, i) => stores[i % stores.length]!.takeApiKeyUses(key.id, 3, at(10)));
        const updates = Array.from({ length: 5 }, (_, i) =>
          subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, rights: [...current.rights, i] })),
        );
        const [leases] = await Promise.all([Promise.all(takes), Promise.all(updates)]);
        const granted = sum(leases.map((lease) => lease?.granted ?? 0));
        expect(granted).to.equal(90);
        const stored = await subject.store.getApiKey(alice, key.id);
        expect(stored.remainingUses).to.equal(200 - granted);
        expect([...stored.rights].sort()).to.deep.equal([0, 1, 2, 3, 4]);
      } finally {
        await peer?.close();
      }
    });
  });
}
