// API keys: create (owner, duplicates, cap), get, find, update, delete, count and use tracking.
import { expect } from "chai";
import type { ApiKeyRecord } from "../../../src/store/store.js";
import {
  NO_CAP,
  apiKeyRecord,
  at,
  expectStoreError,
  fullApiKeyRecord,
  newKeyId,
  newUserId,
  rejectionOf,
  userRecord,
} from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

export function describeApiKeys(subject: StoreUnderTest): void {
  describe("API keys", () => {
    let alice: string;
    let bob: string;

    beforeEach(async () => {
      alice = newUserId("alice");
      bob = newUserId("bob");
      await subject.store.createUser(userRecord({ userId: alice }));
      await subject.store.createUser(userRecord({ userId: bob }));
    });

    it("stores a key and reads it back exactly, by owner and by id", async () => {
      const key = fullApiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      expect(await subject.store.getApiKey(alice, key.id)).to.deep.equal(key);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

    it("keeps rights as granted, in order", async () => {
      const key = apiKeyRecord(alice, { rights: [9, 1, 5, 1, 30] });
      await subject.store.createApiKey(key, NO_CAP);
      expect((await subject.store.findApiKey(key.id))?.rights).to.deep.equal([9, 1, 5, 1, 30]);
    });

    it("rejects a key for an unknown user with not_found (user) and stores nothing", async () => {
      const key = apiKeyRecord(newUserId());
      const error = await expectStoreError(subject.store.createApiKey(key, NO_CAP), "not_found", "user");
      expect(error.subjectId).to.equal(key.userId);
      expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
    });

    it("rejects a taken key id with already_exists (api_key), even under another user", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const error = await expectStoreError(subject.store.createApiKey({ ...key, name: "again" }, NO_CAP), "already_exists", "api_key");
      expect(error.subjectId).to.equal(key.id);
      await expectStoreError(subject.store.createApiKey({ ...key, userId: bob }, NO_CAP), "already_exists", "api_key");
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
      expect(await subject.store.countApiKeys(bob)).to.equal(0);
    });

    it("treats a key under another user's id as not_found (api_key)", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const error = await expectStoreError(subject.store.getApiKey(bob, key.id), "not_found", "api_key");
      expect(error.subjectId).to.equal(key.id);
      await expectStoreError(subject.store.getApiKey(alice, newKeyId()), "not_found", "api_key");
      await expectStoreError(subject.store.getApiKey(newUserId(), key.id), "not_found", "api_key");
    });

    it("finds nothing for an unknown id, without throwing", async () => {
      await subject.store.createApiKey(apiKeyRecord(alice), NO_CAP);
      expect(await subject.store.findApiKey(newKeyId())).to.equal(undefined);
    });

    it("updates through the updater, returns the stored result and persists it", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const changes: Partial<ApiKeyRecord> = {
        name: "renamed",
        rights: [3],
        state: "disabled",
        secretHash: "sha256:new",
        previousSecretHash: key.secretHash,
        previousSecretValidUntil: at(3_600_000),
        expiresAt: at(7_200_000),
        updatedAt: at(999),
      };
      const updated = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, ...changes }));
      expect(updated).to.deep.equal({ ...key, ...changes });
      expect(await subject.store.getApiKey(alice, key.id)).to.deep.equal({ ...key, ...changes });
    });

    it("clears optional fields an update leaves undefined", async () => {
      const key = fullApiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const updated = await subject.store.updateApiKey(alice, key.id, (current) => {
        const next = { ...current };
        delete next.expiresAt;
        next.previousSecretHash = undefined;
        next.previousSecretValidUntil = undefined;
        return next;
      });
      const stored = await subject.store.findApiKey(key.id);
      for (const record of [updated, stored]) {
        expect(record?.expiresAt).to.equal(undefined);
        expect(record?.previousSecretHash).to.equal(undefined);
        expect(record?.previousSecretValidUntil).to.equal(undefined);
        expect(record?.lastUsedAt).to.deep.equal(key.lastUsedAt);
      }
    });

    it("refuses to update another user's key (not_found, api_key) without calling the updater", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      let called = false;
      const update = subject.store.updateApiKey(bob, key.id, (current) => {
        called = true;
        return { ...current, name: "stolen" };
      });
      await expectStoreError(update, "not_found", "api_key");
      expect(called).to.equal(false);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

    it("propagates an updater's error unchanged and writes nothing", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const abort = new Error("abort");
      const thrown = await rejectionOf(
        subject.store.updateApiKey(alice, key.id, (current) => {
          current.rights.push(99);
          throw abort;
        }),
      );
      expect(thrown).to.equal(abort);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

    it("refuses an updater that changes id or userId (invalid_argument) and writes nothing", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const newId = newKeyId();
      await expectStoreError(
        subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, id: newId })),
        "invalid_argument",
        "api_key",
      );
      await expectStoreError(
        subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, userId: bob })),
        "invalid_argument",
        "api_key",
      );
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
      expect(await subject.store.findApiKey(newId)).to.equal(undefined);
      expect(await subject.store.countApiKeys(bob)).to.equal(0);
    });

    it("deletes a key of its owner only; deleting again is not_found (api_key)", async () => {
      const key = apiKeyRecord(alice);
      const other = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      await subject.store.createApiKey(other, NO_CAP);
      await expectStoreError(subject.store.deleteApiKey(bob, key.id), "not_found", "api_key");
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);

      await subject.store.deleteApiKey(alice, key.id);
      expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
      await expectStoreError(subject.store.getApiKey(alice, key.id), "not_found", "api_key");
      await expectStoreError(subject.store.deleteApiKey(alice, key.id), "not_found", "api_key");
      expect(await subject.store.findApiKey(other.id)).to.deep.equal(other);
    });

    it("counts keys per user (0 for an unknown user)", async () => {
      for (let i = 0; i < 3; i++) await subject.store.createApiKey(apiKeyRecord(alice), NO_CAP);
      await subject.store.createApiKey(apiKeyRecord(bob), NO_CAP);
      expect(await subject.store.countApiKeys(alice)).to.equal(3);
      expect(await subject.store.countApiKeys(bob)).to.equal(1);
      expect(await subject.store.countApiKeys(newUserId())).to.equal(0);
    });

    it("enforces the per-user cap with limit_reached (api_key), and a delete frees a slot", async () => {
      const cap = { maxKeysPerUser: 3 };
      const keys = [apiKeyRecord(alice), apiKeyRecord(alice), apiKeyRecord(alice)];
      for (const key of keys) await subject.store.createApiKey(key, cap);
      const extra = apiKeyRecord(alice);
      const error = await expectStoreError(subject.store.createApiKey(extra, cap), "limit_reached", "api_key");
      expect({ subjectId: error.subjectId, limit: error.limit }).to.deep.equal({ subjectId: alice, limit: 3 });
      expect(await subject.store.findApiKey(extra.id)).to.equal(undefined);
      expect(await subject.store.countApiKeys(alice)).to.equal(3);
      // The cap is per user.
      await subject.store.createApiKey(apiKeyRecord(bob), cap);

      await subject.store.deleteApiKey(alice, keys[0]!.id);
      await subject.store.createApiKey(extra, cap);
      expect(await subject.store.countApiKeys(alice)).to.equal(3);
      // A failed create (duplicate id) does not consume a slot.
      await subject.store.deleteApiKey(alice, extra.id);
      await expectStoreError(subject.store.createApiKey(keys[1]!, cap), "already_exists", "api_key");
      await subject.store.createApiKey(apiKeyRecord(alice), cap);
      expect(await subject.store.countApiKeys(alice)).to.equal(3);
    });

    describe("findApiKeyWithOwner", () => {
      it("reads a key and its owner back exactly, optional fields set or absent", async () => {
        const admin = userRecord({ admin: true, name: "Ädmin", email: "" });
        await subject.store.createUser(admin);
        const full = fullApiKeyRecord(admin.userId);
        const bare = apiKeyRecord(alice);
        await subject.store.createApiKey(full, NO_CAP);
        await subject.store.createApiKey(bare, NO_CAP);
        expect(await subject.store.findApiKeyWithOwner(full.id)).to.deep.equal({ key: full, user: admin });
        expect(await subject.store.findApiKeyWithOwner(bare.id)).to.deep.equal({
          key: bare,
          user: await subject.store.getUser(alice),
        });
      });

      it("reads back exactly text that JSON has to escape, and the largest dates", async () => {
        // SQLite reads this row as one JSON text: quotes, backslashes, control and line-separator
        // characters and astral code points must all come back as they went in.
        const awkward = 'a "quoted" \\ back\\slash\n\t\u0000\u001f\u2028\u2029 </script> 🗝️ Ω';
        const owner = userRecord({ name: awkward, email: `${awkward}@example.com` });
        await subject.store.createUser(owner);
        const latest = new Date(8_640_000_000_000_000); // the largest Date
        const key = fullApiKeyRecord(owner.userId, { name: awkward, lastUsedUserAgent: awkward, expiresAt: latest });
        await subject.store.createApiKey(key, NO_CAP);
        expect(await subject.store.findApiKeyWithOwner(key.id)).to.deep.equal({ key, user: owner });
      });

      it("finds nothing for an unknown id, without throwing", async () => {
        await subject.store.createApiKey(apiKeyRecord(alice), NO_CAP);
        expect(await subject.store.findApiKeyWithOwner(newKeyId())).to.equal(undefined);
      });

      it("sees the latest key and owner, and nothing once either is deleted", async () => {
        const key = apiKeyRecord(alice);
        const other = apiKeyRecord(bob);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.createApiKey(other, NO_CAP);
        const disabled = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, state: "disabled" }));
        const suspended = await subject.store.updateUser(alice, (current) => ({ ...current, state: "suspended" }));
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(70_001) }]);
        expect(await subject.store.findApiKeyWithOwner(key.id)).to.deep.equal({
          key: { ...disabled, lastUsedAt: at(70_001) },
          user: suspended,
        });

        await subject.store.deleteApiKey(alice, key.id);
        expect(await subject.store.findApiKeyWithOwner(key.id)).to.equal(undefined);
        await subject.store.deleteUser(bob);
        expect(await subject.store.findApiKeyWithOwner(other.id)).to.equal(undefined);
      });

      it("returns records the caller may change without changing the store", async () => {
        const key = apiKeyRecord(alice, { rights: [1, 2] });
        await subject.store.createApiKey(key, NO_CAP);
        const found = await subject.store.findApiKeyWithOwner(key.id);
        found!.key.rights.push(3);
        found!.user.name = "changed";
        expect(await subject.store.findApiKeyWithOwner(key.id)).to.deep.equal({ key, user: await subject.store.getUser(alice) });
      });
    });

    describe("recordApiKeyUse", () => {
      it("sets lastUsedAt and leaves every other field alone", async () => {
        const key = apiKeyRecord(alice);
        const other = fullApiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.createApiKey(other, NO_CAP);
        await subject.store.recordApiKeyUse([
          { id: key.id, at: at(50_001) },
          { id: other.id, at: at(60_002) },
        ]);
        expect(await subject.store.findApiKey(key.id)).to.deep.equal({ ...key, lastUsedAt: at(50_001) });
        expect(await subject.store.findApiKey(other.id)).to.deep.equal({ ...other, lastUsedAt: at(60_002) });
      });

      it("records the use's client address and User-Agent with it, and clears them for a use without", async () => {
        const key = apiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(50_001), ip: "2001:db8::7", userAgent: "curl/8.5.0" }]);
        expect(await subject.store.findApiKey(key.id)).to.deep.equal({ ...key, lastUsedAt: at(50_001), lastUsedIp: "2001:db8::7", lastUsedUserAgent: "curl/8.5.0" });
        expect((await subject.store.findApiKeyWithOwner(key.id))?.key).to.deep.include({ lastUsedIp: "2001:db8::7", lastUsedUserAgent: "curl/8.5.0" });
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(40_000), ip: "192.0.2.1" }]);
        expect((await subject.store.findApiKey(key.id))?.lastUsedIp, "an older use changes nothing").to.equal("2001:db8::7");
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(60_000) }]);
        expect(await subject.store.findApiKey(key.id)).to.deep.equal({ ...key, lastUsedAt: at(60_000) });
      });

      it("keeps allowedIps through updates, and an empty list reads back as absent", async () => {
        const key = apiKeyRecord(alice, { allowedIps: ["10.0.0.0/8"] });
        await subject.store.createApiKey(key, NO_CAP);
        expect((await subject.store.getApiKey(alice, key.id)).allowedIps).to.deep.equal(["10.0.0.0/8"]);
        const renamed = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, name: "renamed" }));
        expect(renamed.allowedIps).to.deep.equal(["10.0.0.0/8"]);
        const cleared = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, allowedIps: [] }));
        expect(cleared).to.not.have.property("allowedIps");
        expect(await subject.store.findApiKey(key.id)).to.deep.equal(cleared);
      });

      it("ignores ids that do not exist and still records the others", async () => {
        const key = apiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        const deleted = apiKeyRecord(alice);
        await subject.store.createApiKey(deleted, NO_CAP);
        await subject.store.deleteApiKey(alice, deleted.id);
        await subject.store.recordApiKeyUse([
          { id: newKeyId(), at: at(1) },
          { id: deleted.id, at: at(2) },
          { id: key.id, at: at(3) },
        ]);
        expect((await subject.store.findApiKey(key.id))?.lastUsedAt).to.deep.equal(at(3));
        expect(await subject.store.findApiKey(deleted.id)).to.equal(undefined);
        await subject.store.recordApiKeyUse([]);
      });

      it("never moves lastUsedAt backwards", async () => {
        const key = apiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(20_000) }]);
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(10_000) }]);
        expect((await subject.store.findApiKey(key.id))?.lastUsedAt).to.deep.equal(at(20_000));
        await subject.store.recordApiKeyUse([
          { id: key.id, at: at(30_000) },
          { id: key.id, at: at(25_000) },
        ]);
        expect((await subject.store.findApiKey(key.id))?.lastUsedAt).to.deep.equal(at(30_000));
      });

      it("is kept by a later update of other fields", async () => {
        const key = apiKeyRecord(alice);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.recordApiKeyUse([{ id: key.id, at: at(40_000) }]);
        const updated = await subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, name: "n" }));
        expect(updated.lastUsedAt).to.deep.equal(at(40_000));
      });
    });
  });
}
