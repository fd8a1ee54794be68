// Guards decided inside a write: the last active admin, and a caller's check on the key it deletes.
import { expect } from "chai";
import type { ApiKeyRecord } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, expectStoreError, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

/** How many times the concurrent last-admin race is run per variant. */
const RACE_ROUNDS = 10;

export function describeGuards(subject: StoreUnderTest): void {
  describe("last active admin", () => {
    it("refuses demoting or suspending the only active admin with last_admin (user) and writes nothing", async () => {
      const admin = userRecord({ admin: true });
      await subject.store.createUser(admin);
      await subject.store.createUser(userRecord({ admin: true, state: "suspended" })); // does not count
      const demote = await expectStoreError(subject.store.updateUser(admin.userId, (u) => ({ ...u, admin: false })), "last_admin", "user");
      expect(demote.subjectId).to.equal(admin.userId);
      await expectStoreError(subject.store.updateUser(admin.userId, (u) => ({ ...u, state: "suspended" })), "last_admin", "user");
      expect(await subject.store.getUser(admin.userId)).to.deep.equal(admin);
      // Changes that keep the admin active and an admin go through.
      const renamed = await subject.store.updateUser(admin.userId, (u) => ({ ...u, name: "Still admin" }));
      expect(renamed.name).to.equal("Still admin");
    });

    it("lets an admin go while another active admin remains", async () => {
      const first = userRecord({ admin: true });
      const second = userRecord({ admin: true });
      await subject.store.createUser(first);
      await subject.store.createUser(second);
      await subject.store.updateUser(first.userId, (u) => ({ ...u, admin: false }));
      expect(await subject.store.countActiveAdmins()).to.equal(1);
      await expectStoreError(subject.store.deleteUser(second.userId), "last_admin", "user");
    });

    it("refuses deleting the last active admin and keeps the user and their keys", async () => {
      const admin = userRecord({ admin: true });
      await subject.store.createUser(admin);
      const key = apiKeyRecord(admin.userId);
      await subject.store.createApiKey(key, NO_CAP);
      await expectStoreError(subject.store.deleteUser(admin.userId), "last_admin", "user");
      expect(await subject.store.getUser(admin.userId)).to.deep.equal(admin);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

    it("leaves a store without active admins free to change users that are not one", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      await subject.store.updateUser(user.userId, (u) => ({ ...u, state: "suspended" }));
      await subject.store.deleteUser(user.userId);
      expect(await subject.store.countActiveAdmins()).to.equal(0);
    });

    for (const variant of ["demote each other", "suspend each other", "delete each other", "each demote itself"] as const) {
      it(`keeps an active admin when the last two ${variant} at once (${RACE_ROUNDS} rounds)`, async () => {
        // Each round races the only two active admins: the previous round's survivor and a new one.
        let survivor = userRecord({ admin: true });
        await subject.store.createUser(survivor);
        for (let round = 0; round < RACE_ROUNDS; round++) {
          const newcomer = userRecord({ admin: true });
          await subject.store.createUser(newcomer);
          const pair = [survivor, newcomer];
          const results = await Promise.allSettled(
            pair.map((admin, i) => {
              // "each other": each call acts on the other admin; "itself": on its own user.
              const target = variant === "each demote itself" ? admin : pair[1 - i]!;
              if (variant === "delete each other") return subject.store.deleteUser(target.userId);
              const change = variant === "suspend each other" ? { state: "suspended" as const } : { admin: false };
              return subject.store.updateUser(target.userId, (u) => ({ ...u, ...change }));
            }),
          );
          const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
          expect(refused, `round ${round}: exactly one of the two is refused`).to.have.length(1);
          await expectStoreError(Promise.reject(refused[0]!.reason), "last_admin", "user");
          expect(await subject.store.countActiveAdmins(), `round ${round}`).to.equal(1);
          const remaining = await Promise.all(pair.map((admin) => subject.store.getUser(admin.userId).catch(() => undefined)));
          survivor = remaining.find((user) => user !== undefined && user.admin && user.state === "active")!;
        }
      });
    }
  });

  describe("delete guard", () => {
    it("shows the guard the stored key and deletes it when the guard accepts", async () => {
      const owner = userRecord();
      await subject.store.createUser(owner);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      let seen: ApiKeyRecord | undefined;
      await subject.store.deleteApiKey(owner.userId, key.id, (current) => {
        seen = current;
      });
      expect(seen).to.deep.equal(key);
      expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
      expect(await subject.store.countApiKeys(owner.userId)).to.equal(0);
    });

    it("propagates the guard's error unchanged and deletes nothing", async () => {
      const owner = userRecord();
      await subject.store.createUser(owner);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const refusal = new RangeError("not this key");
      let thrown: unknown;
      try {
        await subject.store.deleteApiKey(owner.userId, key.id, () => {
          throw refusal;
        });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).to.equal(refusal);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
      expect(await subject.store.countApiKeys(owner.userId)).to.equal(1);
    });

    it("is not_found (api_key) without calling the guard for another user's key", async () => {
      const owner = userRecord();
      const other = userRecord();
      await subject.store.createUser(owner);
      await subject.store.createUser(other);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      let called = false;
      await expectStoreError(
        subject.store.deleteApiKey(other.userId, key.id, () => {
          called = true;
        }),
        "not_found",
        "api_key",
      );
      expect(called).to.equal(false);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });
  });
}
