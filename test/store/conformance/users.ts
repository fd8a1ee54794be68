// Users: create, get, update, delete (with its cascade) and the active-admin count.
import { expect } from "chai";
import type { UserRecord } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, newUserId, rejectionOf, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

export function describeUsers(subject: StoreUnderTest): void {
  describe("users", () => {
    it("stores a user and reads back exactly that record", async () => {
      const user = userRecord({ admin: true, state: "suspended" });
      await subject.store.createUser(user);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
    });

    it("rejects an unknown user id with not_found (user)", async () => {
      await subject.store.createUser(userRecord());
      const unknown = newUserId();
      const error = await expectStoreError(subject.store.getUser(unknown), "not_found", "user");
      expect(error.subjectId).to.equal(unknown);
    });

    it("rejects a taken user id with already_exists (user) and keeps the original", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const error = await expectStoreError(subject.store.createUser({ ...user, name: "impostor" }), "already_exists", "user");
      expect(error.subjectId).to.equal(user.userId);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
    });

    it("rejects a record it cannot store with invalid_argument and stores nothing", async () => {
      const user = userRecord({ createdAt: new Date(Number.NaN) });
      await expectStoreError(subject.store.createUser(user), "invalid_argument", "user");
      await expectStoreError(subject.store.getUser(user.userId), "not_found", "user");
    });

    it("updates through the updater, returns the stored result and persists it", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      let seen: UserRecord | undefined;
      const updated = await subject.store.updateUser(user.userId, (current) => {
        seen = current;
        return { ...current, name: "Renamed", email: "new@example.com", admin: true, updatedAt: at(60_001) };
      });
      const expected = { ...user, name: "Renamed", email: "new@example.com", admin: true, updatedAt: at(60_001) };
      expect(seen).to.deep.equal(user);
      expect(updated).to.deep.equal(expected);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(expected);
    });

    it("rejects updating an unknown user with not_found (user) without calling the updater", async () => {
      let called = false;
      const update = subject.store.updateUser(newUserId(), (current) => {
        called = true;
        return current;
      });
      await expectStoreError(update, "not_found", "user");
      expect(called).to.equal(false);
    });

    it("propagates an updater's error unchanged and writes nothing", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const abort = new RangeError("abort this update");
      const thrown = await rejectionOf(
        subject.store.updateUser(user.userId, (current) => {
          current.name = "half-done";
          throw abort;
        }),
      );
      expect(thrown).to.equal(abort);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
    });

    it("refuses an updater that changes userId (invalid_argument) and writes nothing", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const otherId = newUserId();
      const update = subject.store.updateUser(user.userId, (current) => ({ ...current, userId: otherId, name: "x" }));
      await expectStoreError(update, "invalid_argument", "user");
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
      await expectStoreError(subject.store.getUser(otherId), "not_found", "user");
    });

    it("deletes a user; deleting again is not_found (user)", async () => {
      const user = userRecord();
      const other = userRecord();
      await subject.store.createUser(user);
      await subject.store.createUser(other);
      await subject.store.deleteUser(user.userId);
      await expectStoreError(subject.store.getUser(user.userId), "not_found", "user");
      await expectStoreError(subject.store.deleteUser(user.userId), "not_found", "user");
      expect(await subject.store.getUser(other.userId)).to.deep.equal(other);
    });

    it("deletes the user's keys with the user and no one else's", async () => {
      const user = userRecord();
      const other = userRecord();
      await subject.store.createUser(user);
      await subject.store.createUser(other);
      const doomed = [apiKeyRecord(user.userId), apiKeyRecord(user.userId), apiKeyRecord(user.userId)];
      const kept = apiKeyRecord(other.userId);
      for (const key of [...doomed, kept]) await subject.store.createApiKey(key, NO_CAP);

      await subject.store.deleteUser(user.userId);

      for (const key of doomed) {
        expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
        await expectStoreError(subject.store.getApiKey(user.userId, key.id), "not_found", "api_key");
      }
      expect(await subject.store.countApiKeys(user.userId)).to.equal(0);
      expect(await subject.store.findApiKey(kept.id)).to.deep.equal(kept);
      // A new user under the same id starts with no keys.
      await subject.store.createUser(userRecord({ userId: user.userId }));
      const page = await subject.store.listApiKeys(user.userId, { pageSize: 10, pageToken: "" });
      expect(page).to.deep.equal({ items: [], nextPageToken: "", totalSize: 0 });
    });

    it("counts only users that are admin and active", async () => {
      expect(await subject.store.countActiveAdmins()).to.equal(0);
      const admin = userRecord({ admin: true });
      await subject.store.createUser(admin);
      await subject.store.createUser(userRecord({ admin: true }));
      await subject.store.createUser(userRecord({ admin: true, state: "suspended" }));
      await subject.store.createUser(userRecord({ admin: false }));
      expect(await subject.store.countActiveAdmins()).to.equal(2);

      await subject.store.updateUser(admin.userId, (current) => ({ ...current, state: "suspended" }));
      expect(await subject.store.countActiveAdmins()).to.equal(1);
      await subject.store.updateUser(admin.userId, (current) => ({ ...current, state: "active", admin: false }));
      expect(await subject.store.countActiveAdmins()).to.equal(1);
    });
  });
}
