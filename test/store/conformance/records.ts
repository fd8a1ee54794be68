// Record fidelity: timestamps at millisecond precision, absent optionals, text, and no shared state.
import { expect } from "chai";
import { NO_CAP, apiKeyRecord, fullApiKeyRecord, newUserId, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

// Instants whose milliseconds a seconds- or microseconds-based encoding would lose or shift.
const INSTANTS = [
  new Date(0),
  new Date(-1),
  new Date(Date.UTC(1969, 11, 31, 23, 59, 59, 999)),
  new Date(Date.UTC(2038, 0, 19, 3, 14, 8, 1)),
  new Date(Date.UTC(9999, 11, 31, 23, 59, 59, 999)),
  new Date(1_700_000_000_123),
];

export function describeRecords(subject: StoreUnderTest): void {
  describe("records", () => {
    it("round-trips user timestamps at millisecond precision", async () => {
      for (const [i, instant] of INSTANTS.entries()) {
        const user = userRecord({ createdAt: instant, updatedAt: INSTANTS[(i + 1) % INSTANTS.length]! });
        await subject.store.createUser(user);
        const stored = await subject.store.getUser(user.userId);
        expect(stored.createdAt).to.be.instanceOf(Date);
        expect(stored.createdAt.getTime()).to.equal(user.createdAt.getTime());
        expect(stored.updatedAt.getTime()).to.equal(user.updatedAt.getTime());
      }
    });

    it("round-trips every API key timestamp at millisecond precision", async () => {
      const userId = newUserId();
      await subject.store.createUser(userRecord({ userId }));
      for (const [i, instant] of INSTANTS.entries()) {
        const shifted = (n: number) => INSTANTS[(i + n) % INSTANTS.length]!;
        const key = fullApiKeyRecord(userId, {
          createdAt: instant,
          updatedAt: shifted(1),
          expiresAt: shifted(2),
          previousSecretValidUntil: shifted(3),
          lastUsedAt: shifted(4),
        });
        await subject.store.createApiKey(key, NO_CAP);
        const stored = await subject.store.findApiKey(key.id);
        for (const field of ["createdAt", "updatedAt", "expiresAt", "previousSecretValidUntil", "lastUsedAt"] as const) {
          expect(stored?.[field], field).to.be.instanceOf(Date);
          expect(stored?.[field]?.getTime(), field).to.equal(key[field]?.getTime());
        }
      }
    });

    it("returns absent optional fields as undefined, not null, and adds no fields", async () => {
      const userId = newUserId();
      await subject.store.createUser(userRecord({ userId }));
      const key = apiKeyRecord(userId);
      await subject.store.createApiKey(key, NO_CAP);
      const reads = [
        await subject.store.findApiKey(key.id),
        await subject.store.getApiKey(userId, key.id),
        (await subject.store.listApiKeys(userId, { pageSize: 1, pageToken: "" })).items[0],
        await subject.store.updateApiKey(userId, key.id, (current) => current),
      ];
      for (const read of reads) {
        expect(read).to.deep.equal(key);
        expect(Object.keys(read ?? {}).sort()).to.deep.equal(Object.keys(key).sort());
      }
      const user = await subject.store.getUser(userId);
      expect(Object.keys(user).sort()).to.deep.equal(Object.keys(userRecord()).sort());
    });

    it("keeps names and emails byte for byte", async () => {
      const user = userRecord({ name: "Zoë 'Quote' \"Double\" 🔑 — 名前", email: "zoë+tag@例え.jp" });
      await subject.store.createUser(user);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
      const key = apiKeyRecord(user.userId, { name: "  padded  🚀 %_\\ " });
      await subject.store.createApiKey(key, NO_CAP);
      expect((await subject.store.findApiKey(key.id))?.name).to.equal(key.name);
    });

    it("hands out copies: changing a returned record changes nothing stored", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const key = fullApiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const read = await subject.store.findApiKey(key.id);
      read?.rights.push(1234);
      read?.createdAt.setTime(0);
      key.rights.push(5678);
      const again = await subject.store.findApiKey(key.id);
      expect(again?.rights).to.deep.equal(key.rights.slice(0, -1));
      expect(again?.createdAt.getTime()).to.not.equal(0);
    });
  });
}
