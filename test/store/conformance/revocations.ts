// The revocation feed (ARCHITECTURE.md, "Caches and the revocation feed"): which writes append, in what order, how readers page through it,
// and how pruning tells a reader that fell behind.
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "chai";
import type { RevocationEntry, Store } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, expectStoreError, newKeyId, newUserId, rejectionOf, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

/** Every entry after `after`, read `limit` at a time. */
async function readAll(store: Store, after: number, limit = 1000): Promise<RevocationEntry[]> {
  const entries: RevocationEntry[] = [];
  for (let cursor = after; ; ) {
    const batch = await store.readRevocations(cursor, limit);
    expect(batch.missed, "missed").to.equal(false);
    entries.push(...batch.entries);
    if (batch.entries.length < limit) return entries;
    cursor = batch.cursor;
  }
}

const named = (entries: RevocationEntry[]) => entries.map((entry) => `${entry.kind}:${entry.subjectId}`);

export function describeRevocations(subject: StoreUnderTest): void {
  describe("revocation feed", () => {
    let alice: string;
    let start: number;

    beforeEach(async () => {
      alice = newUserId("alice");
      await subject.store.createUser(userRecord({ userId: alice }));
      start = await subject.store.revocationHead();
    });

    it("reads nothing after the head, and misses nothing", async () => {
      const fresh = await subject.store.readRevocations(start, 10);
      expect(fresh).to.deep.equal({ entries: [], cursor: start, missed: false });
    });

    it("appends nothing for creates, reads and recorded uses", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      await subject.store.createUser(userRecord());
      await subject.store.recordApiKeyUse([{ id: key.id, at: new Date() }]);
      await subject.store.findApiKeyWithOwner(key.id);
      await subject.store.listApiKeys(alice, { pageSize: 10, pageToken: "" });
      expect(await subject.store.revocationHead()).to.equal(start);
      expect(await readAll(subject.store, start)).to.deep.equal([]);
    });

    it("appends one entry per key and user update or delete, oldest first, naming the subject", async () => {
      const bob = newUserId("bob");
      await subject.store.createUser(userRecord({ userId: bob }));
      const [first, second] = [apiKeyRecord(alice), apiKeyRecord(bob)];
      await subject.store.createApiKey(first, NO_CAP);
      await subject.store.createApiKey(second, NO_CAP);
      const before = Date.now();

      await subject.store.updateApiKey(alice, first.id, (key) => ({ ...key, state: "disabled" }));
      await subject.store.deleteApiKey(alice, first.id);
      await subject.store.updateUser(bob, (user) => ({ ...user, state: "suspended" }));
      await subject.store.deleteUser(bob);

      const entries = await readAll(subject.store, start);
      expect(named(entries)).to.deep.equal([`api_key:${first.id}`, `api_key:${first.id}`, `user:${bob}`, `user:${bob}`]);
      const seqs = entries.map((entry) => entry.seq);
      expect(seqs[0]).to.be.greaterThan(start);
      expect([...seqs].sort((a, b) => a - b), "strictly increasing").to.deep.equal(seqs);
      expect(new Set(seqs).size).to.equal(seqs.length);
      for (const entry of entries) {
        expect(entry.at.getTime()).to.be.within(before - 1_000, Date.now() + 1_000);
      }
      expect(await subject.store.revocationHead()).to.equal(seqs.at(-1));
      const batch = await subject.store.readRevocations(start, 10);
      expect(batch.cursor).to.equal(seqs.at(-1));
      expect(await subject.store.readRevocations(batch.cursor, 10)).to.deep.equal({ entries: [], cursor: batch.cursor, missed: false });
    });

    it("appends nothing when the change fails", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      const refusal = new Error("no");
      const refuse = () => {
        throw refusal;
      };
      expect(await rejectionOf(subject.store.updateApiKey(alice, key.id, refuse))).to.equal(refusal);
      expect(await rejectionOf(subject.store.updateUser(alice, refuse))).to.equal(refusal);
      await expectStoreError(subject.store.updateApiKey(alice, newKeyId(), (k) => k), "not_found", "api_key");
      await expectStoreError(subject.store.deleteApiKey(newUserId(), key.id), "not_found", "api_key");
      await expectStoreError(subject.store.updateUser(newUserId(), (u) => u), "not_found", "user");
      await expectStoreError(subject.store.deleteUser(newUserId()), "not_found", "user");
      // Guards decided inside the write: refusing rolls back the feed entry with the change.
      expect(await rejectionOf(subject.store.deleteApiKey(alice, key.id, refuse))).to.equal(refusal);
      const onlyAdmin = newUserId("admin");
      await subject.store.createUser(userRecord({ userId: onlyAdmin, admin: true }));
      expect(await subject.store.countActiveAdmins(), "each test's store starts empty").to.equal(1);
      await expectStoreError(subject.store.updateUser(onlyAdmin, (u) => ({ ...u, admin: false })), "last_admin");
      await expectStoreError(subject.store.deleteUser(onlyAdmin), "last_admin");
      expect(await subject.store.findApiKey(key.id), "the guarded key stays").to.not.equal(undefined);
      expect(await readAll(subject.store, start)).to.deep.equal([]);
      expect(await subject.store.revocationHead()).to.equal(start);
    });

    it("pages through the feed `limit` entries at a time from the returned cursor", async () => {
      const keys = Array.from({ length: 5 }, () => apiKeyRecord(alice));
      for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
      for (const key of keys) await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, rights: [] }));
      const pages: string[][] = [];
      let cursor = start;
      for (let i = 0; i < 3; i++) {
        const batch = await subject.store.readRevocations(cursor, 2);
        pages.push(batch.entries.map((entry) => entry.subjectId));
        cursor = batch.cursor;
      }
      const ids = keys.map((key) => key.id);
      expect(pages).to.deep.equal([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
    });

    it("prunes entries older than a time; a reader behind them is told it missed some", async () => {
      const keys = Array.from({ length: 3 }, () => apiKeyRecord(alice));
      for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
      await subject.store.updateApiKey(alice, keys[0]!.id, (k) => ({ ...k, name: "old 1" }));
      await subject.store.updateApiKey(alice, keys[1]!.id, (k) => ({ ...k, name: "old 2" }));
      const [, second] = await readAll(subject.store, start);
      await sleep(5);
      const cutoff = new Date();
      await sleep(5);
      await subject.store.updateApiKey(alice, keys[2]!.id, (k) => ({ ...k, name: "new" }));

      expect(await subject.store.pruneRevocations(cutoff)).to.equal(2);
      expect(await subject.store.pruneRevocations(cutoff), "pruning again").to.equal(0);

      const behind = await subject.store.readRevocations(start, 10);
      expect(behind).to.deep.equal({ entries: [], cursor: second!.seq, missed: true });
      const resumed = await subject.store.readRevocations(behind.cursor, 10);
      expect(resumed.missed).to.equal(false);
      expect(named(resumed.entries)).to.deep.equal([`api_key:${keys[2]!.id}`]);
      // A reader that had already read the pruned entries misses nothing.
      expect((await subject.store.readRevocations(second!.seq, 10)).missed).to.equal(false);
    });

    it("never reuses a seq after pruning every entry", async () => {
      const key = apiKeyRecord(alice);
      await subject.store.createApiKey(key, NO_CAP);
      await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, name: "one" }));
      const head = await subject.store.revocationHead();
      await sleep(5);
      expect(await subject.store.pruneRevocations(new Date())).to.equal(1);
      expect(await subject.store.revocationHead()).to.equal(head);
      await subject.store.updateApiKey(alice, key.id, (k) => ({ ...k, name: "two" }));
      const [next] = await readAll(subject.store, head);
      expect(next?.seq).to.be.greaterThan(head);
    });

    it("numbers concurrent changes uniquely, and a second connection reads them all", async function () {
      const peer = await subject.openPeer();
      if (!peer) this.skip();
      try {
        const keys = Array.from({ length: 10 }, () => apiKeyRecord(alice));
        for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
        await Promise.all(
          keys.map((key, i) => (i % 2 === 0 ? subject.store : peer).updateApiKey(alice, key.id, (k) => ({ ...k, state: "disabled" }))),
        );
        const seen = await readAll(peer, start, 3);
        expect(seen.map((entry) => entry.subjectId).sort()).to.deep.equal(keys.map((key) => key.id).sort());
        expect(new Set(seen.map((entry) => entry.seq)).size).to.equal(keys.length);
        expect(await peer.revocationHead()).to.equal(await subject.store.revocationHead());
        await sleep(5);
        const pruned = await Promise.all([subject.store.pruneRevocations(new Date()), peer.pruneRevocations(new Date())]);
        expect(pruned[0] + pruned[1], "pruned once between them").to.equal(keys.length);
      } finally {
        await peer.close();
      }
    });
  });
}
