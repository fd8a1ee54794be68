// Closing and reopening: a closed store refuses work, a persistent one keeps everything.
import { expect } from "chai";
import { NO_CAP, apiKeyRecord, at, expectStoreError, fullApiKeyRecord, newKeyId, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

export function describeLifecycle(subject: StoreUnderTest, persistent: boolean): void {
  describe("lifecycle", () => {
    it("rejects every call after close with unavailable; closing twice is fine", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const store = subject.store;
      await store.close();
      await store.close();
      await expectStoreError(store.getUser(user.userId), "unavailable");
      await expectStoreError(store.findApiKey(newKeyId()), "unavailable");
      await expectStoreError(store.findApiKeyWithOwner(newKeyId()), "unavailable");
      await expectStoreError(store.createUser(userRecord()), "unavailable");
      await expectStoreError(store.listUsers({ pageSize: 1, pageToken: "" }), "unavailable");
      await expectStoreError(store.recordApiKeyUse([]), "unavailable");
    });

    if (!persistent) return;

    it("keeps users, keys, updates, uses and page tokens across close and reopen", async () => {
      const admin = userRecord({ admin: true });
      const user = userRecord({ createdAt: at(5) });
      await subject.store.createUser(admin);
      await subject.store.createUser(user);
      const keys = [fullApiKeyRecord(user.userId, { createdAt: at(2) }), apiKeyRecord(user.userId, { createdAt: at(1) })];
      for (const key of keys) await subject.store.createApiKey(key, { maxKeysPerUser: 2 });
      const renamed = await subject.store.updateUser(user.userId, (current) => ({ ...current, name: "kept" }));
      await subject.store.recordApiKeyUse([{ id: keys[1]!.id, at: at(77) }]);
      const token = (await subject.store.listApiKeys(user.userId, { pageSize: 1, pageToken: "" })).nextPageToken;

      const reopened = await subject.reopen();

      expect(await reopened.getUser(user.userId)).to.deep.equal(renamed);
      expect(await reopened.getUser(admin.userId)).to.deep.equal(admin);
      expect(await reopened.countActiveAdmins()).to.equal(1);
      expect(await reopened.findApiKey(keys[0]!.id)).to.deep.equal(keys[0]);
      expect(await reopened.findApiKeyWithOwner(keys[0]!.id)).to.deep.equal({ key: keys[0], user: renamed });
      expect(await reopened.getApiKey(user.userId, keys[1]!.id)).to.deep.equal({ ...keys[1], lastUsedAt: at(77) });
      const rest = await reopened.listApiKeys(user.userId, { pageSize: 1, pageToken: token });
      expect(rest.items.map((key) => key.id)).to.deep.equal([keys[1]!.id]);
      // The cap still counts the keys created before the reopen.
      await expectStoreError(reopened.createApiKey(apiKeyRecord(user.userId), { maxKeysPerUser: 2 }), "limit_reached");
      await reopened.createApiKey(apiKeyRecord(user.userId), NO_CAP);
      expect(await reopened.countApiKeys(user.userId)).to.equal(3);
    });
  });
}
