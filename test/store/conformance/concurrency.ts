// Atomicity under concurrent callers: no lost updates, and the key cap holds exactly.
import { expect } from "chai";
import { isStoreError } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, newUserId, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

const WRITERS = 20;

export function describeConcurrency(subject: StoreUnderTest): void {
  describe("concurrency", () => {
    let alice: string;

    beforeEach(async () => {
      alice = newUserId("alice");
      await subject.store.createUser(userRecord({ userId: alice, name: "0" }));
    });

    it(`loses no user update among ${WRITERS} concurrent read-modify-writes`, async () => {
      const results = await Promise.allSettled(
        Array.from({ length: WRITERS }, () =>
          subject.store.updateUser(alice, (current) => ({ ...current, name: String(Number(current.name) + 1) })),
        ),
      );
      expect(results.filter((result) => result.status === "rejected")).to.deep.equal([]);
      expect((await subject.store.getUser(alice)).name).to.equal(String(WRITERS));
    });

    it(`loses no API key update among ${WRITERS} concurrent read-modify-writes`, async () => {
      const key = apiKeyRecord(alice, { rights: [] });
      await subject.store.createApiKey(key, NO_CAP);
      const results = await Promise.allSettled(
        Array.from({ length: WRITERS }, (_, i) =>
          subject.store.updateApiKey(alice, key.id, (current) => ({ ...current, rights: [...current.rights, i] })),
        ),
      );
      expect(results.filter((result) => result.status === "rejected")).to.deep.equal([]);
      const stored = await subject.store.findApiKey(key.id);
      expect([...(stored?.rights ?? [])].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: WRITERS }, (_, i) => i));
    });

    it("lets exactly 10 of 50 concurrent creates through a cap of 10", async () => {
      const keys = Array.from({ length: 50 }, () => apiKeyRecord(alice));
      const results = await Promise.allSettled(keys.map((key) => subject.store.createApiKey(key, { maxKeysPerUser: 10 })));
      const created = keys.filter((_, i) => results[i]?.status === "fulfilled");
      const refused = results.filter(
        (result) => result.status === "rejected" && isStoreError(result.reason, "limit_reached"),
      );
      expect(created).to.have.length(10);
      expect(refused).to.have.length(40);
      expect(await subject.store.countApiKeys(alice)).to.equal(10);
      const listed = await subject.store.listApiKeys(alice, { pageSize: 100, pageToken: "" });
      expect(listed.totalSize).to.equal(10);
      expect(listed.items.map((key) => key.id).sort()).to.deep.equal(created.map((key) => key.id).sort());
    });

    it("never leaves keys behind when a user is deleted during concurrent creates", async () => {
      const keys = Array.from({ length: 20 }, () => apiKeyRecord(alice));
      const creates = keys.map((key) => subject.store.createApiKey(key, NO_CAP));
      const deletion = subject.store.deleteUser(alice);
      const results = await Promise.allSettled([...creates, deletion]);
      for (const result of results) {
        if (result.status === "rejected") expect(isStoreError(result.reason, "not_found"), String(result.reason)).to.equal(true);
      }
      expect(results.at(-1)?.status).to.equal("fulfilled");
      expect(await subject.store.countApiKeys(alice)).to.equal(0);
      for (const key of keys) expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
    });
  });
}
