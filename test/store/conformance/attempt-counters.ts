// Sign-in attempt counters (ARCHITECTURE.md, "Sessions and passwords"): read, decided and written in one write, so concurrent callers on
// several connections count every attempt once; expired counters read as absent and are pruned.
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import type { AttemptCounter, Store } from "../../../src/store/store.js";
import { at, expectStoreError, rejectionOf } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

const counterId = (prefix: string) => `${prefix}:${randomBytes(4).toString("hex")}`;

/** A counter of `attempts` that lapses at `expiresAt` and allows the next attempt at once. */
const counter = (attempts: number, expiresAt: Date): AttemptCounter => ({ attempts, nextAttemptAt: at(0), expiresAt });

/** Adds one attempt, refusing (by throwing, as the throttle does) once `allowance` are counted. */
const reserveWithin = (allowance: number) => (current: AttemptCounter | undefined): AttemptCounter => {
  const attempts = current?.attempts ?? 0;
  if (attempts >= allowance) throw new Error("over the allowance");
  return counter(attempts + 1, at(60_000));
};

export function describeAttemptCounters(subject: StoreUnderTest): void {
  describe("attempt counters", () => {
    it("hands an absent counter to the updater as undefined, writes its result and returns it", async () => {
      const id = counterId("user");
      const seen: (AttemptCounter | undefined)[] = [];
      const first = await subject.store.updateAttemptCounter(id, at(0), (current) => {
        seen.push(current);
        return counter(1, at(60_000));
      });
      expect(first).to.deep.equal(counter(1, at(60_000)));
      const second = await subject.store.updateAttemptCounter(id, at(1), (current) => {
        seen.push(current);
        return { attempts: 2, nextAttemptAt: at(5_001), expiresAt: at(60_001) };
      });
      expect(seen).to.deep.equal([undefined, counter(1, at(60_000))]);
      expect(second).to.deep.equal({ attempts: 2, nextAttemptAt: at(5_001), expiresAt: at(60_001) });
      expect(await subject.store.updateAttemptCounter(id, at(2), (current) => current)).to.deep.equal(second);
    });

    it("keeps counters apart by id", async () => {
      const [a, b] = [counterId("user"), counterId("address")];
      await subject.store.updateAttemptCounter(a, at(0), () => counter(3, at(60_000)));
      expect(await subject.store.updateAttemptCounter(b, at(0), (current) => current)).to.equal(undefined);
    });

    it("writes nothing when the updater throws, and its error reaches the caller unchanged", async () => {
      const id = counterId("user");
      await subject.store.updateAttemptCounter(id, at(0), () => counter(1, at(60_000)));
      const refusal = new Error("throttled");
      const thrown = await rejectionOf(
        subject.store.updateAttemptCounter(id, at(1), () => {
          throw refusal;
        }),
      );
      expect(thrown).to.equal(refusal);
      expect(await subject.store.updateAttemptCounter(id, at(2), (current) => current)).to.deep.equal(counter(1, at(60_000)));
    });

    it("deletes the counter when the updater returns undefined", async () => {
      const id = counterId("user");
      await subject.store.updateAttemptCounter(id, at(0), () => counter(4, at(60_000)));
      expect(await subject.store.updateAttemptCounter(id, at(1), () => undefined)).to.equal(undefined);
      expect(await subject.store.updateAttemptCounter(id, at(2), (current) => current)).to.equal(undefined);
      // Deleting an absent counter is no error.
      expect(await subject.store.updateAttemptCounter(counterId("user"), at(2), () => undefined)).to.equal(undefined);
    });

    it("reads a counter as absent from its expiresAt on, so no subject stays counted forever", async () => {
      const id = counterId("address");
      await subject.store.updateAttemptCounter(id, at(0), () => counter(9, at(1_000)));
      expect(await subject.store.updateAttemptCounter(id, at(999), (current) => current)).to.deep.equal(counter(9, at(1_000)));
      const seen: (AttemptCounter | undefined)[] = [];
      const fresh = await subject.store.updateAttemptCounter(id, at(1_000), (current) => {
        seen.push(current);
        return counter(1, at(61_000));
      });
      expect(seen).to.deep.equal([undefined]);
      expect(fresh).to.deep.equal(counter(1, at(61_000)));
    });

    it("refuses a malformed counter with invalid_argument and writes nothing", async () => {
      const id = counterId("user");
      await expectStoreError(subject.store.updateAttemptCounter(id, at(0), () => counter(-1, at(60_000))), "invalid_argument", "attempt_counter");
      await expectStoreError(
        subject.store.updateAttemptCounter(id, at(0), () => ({ attempts: 1, nextAttemptAt: new Date(NaN), expiresAt: at(60_000) })),
        "invalid_argument",
        "attempt_counter",
      );
      expect(await subject.store.updateAttemptCounter(id, at(1), (current) => current)).to.equal(undefined);
    });

    it("loses no attempt among 20 concurrent increments from two connections", async () => {
      const peer = (await subject.openPeer()) ?? subject.store;
      try {
        const id = counterId("user");
        const increment = (current: AttemptCounter | undefined) => counter((current?.attempts ?? 0) + 1, at(60_000));
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? subject.store : peer).updateAttemptCounter(id, at(i), increment)),
        );
        expect(results.filter((result) => result.status === "rejected")).to.deep.equal([]);
        expect((await peer.updateAttemptCounter(id, at(100), (current) => current))?.attempts).to.equal(20);
      } finally {
        if (peer !== subject.store) await peer.close();
      }
    });

    it("lets exactly 10 of 30 concurrent reservations through an allowance of 10, from two connections", async () => {
      const peer = (await subject.openPeer()) ?? subject.store;
      try {
        const id = counterId("user");
        const results = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? subject.store : peer).updateAttemptCounter(id, at(i), reserveWithin(10))),
        );
        const reserved = results.filter((result) => result.status === "fulfilled");
        const refused = results.filter((result) => result.status === "rejected" && (result.reason as Error).message === "over the allowance");
        expect([reserved.length, refused.length]).to.deep.equal([10, 20]);
        expect((await subject.store.updateAttemptCounter(id, at(100), (current) => current))?.attempts).to.equal(10);
      } finally {
        if (peer !== subject.store) await peer.close();
      }
    });

    it("prunes the counters expired at the time given and keeps the others", async () => {
      const store: Store = subject.store;
      const lapsed = [counterId("user"), counterId("address")];
      const live = counterId("user");
      for (const id of lapsed) await store.updateAttemptCounter(id, at(0), () => counter(2, at(1_000)));
      await store.updateAttemptCounter(live, at(0), () => counter(2, at(1_001)));
      expect(await store.pruneAttemptCounters(at(1_000))).to.equal(2);
      expect(await store.pruneAttemptCounters(at(1_000)), "idempotent").to.equal(0);
      expect(await store.updateAttemptCounter(live, at(1_000), (current) => current)).to.deep.equal(counter(2, at(1_001)));
    });
  });
}
