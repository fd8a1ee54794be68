// The webhook outbox (ARCHITECTURE.md, "Events"): deliveries queued in their event's transaction for the
// webhooks that match it, claimed under a lease by one process at a time, finished once by the lease's owner.
import { expect } from "chai";
import type { ClaimedDelivery, DeliveryLease, Store } from "../../../src/store/store.js";
import { newEvent, webhookRecord } from "./event-fixtures.js";
import { NO_CAP, apiKeyRecord, rejectionOf, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { tenantRecord } from "./tenants.js";

const MANY = 1000;
const MINUTE = 60_000;

/** A time after every delivery queued so far (they are queued at the writer's clock). */
const later = (ms = MINUTE) => new Date(Date.now() + ms);
const leaseOf = (owner: string, until = later(10 * MINUTE)): DeliveryLease => ({ owner, until });
const pairs = (claimed: readonly ClaimedDelivery[]) => claimed.map((d) => `${d.webhook.webhookId}:${d.event.seq}`).sort();

/** Claims everything due by `now` (bounded, so a store that never stops handing out fails). */
async function claimAll(store: Store, owner: string, now = later()): Promise<ClaimedDelivery[]> {
  const claimed: ClaimedDelivery[] = [];
  for (let i = 0; i < 20; i++) {
    const batch = await store.claimDeliveries(now, leaseOf(owner), 7);
    claimed.push(...batch);
    if (batch.length === 0) return claimed;
  }
  throw new Error("claims never ran dry");
}

export function describeDeliveries(subject: StoreUnderTest): void {
  describe("webhook deliveries", () => {
    it("queues one delivery per enabled matching webhook with each event: by type prefix and tenant scope", async () => {
      const store = subject.store;
      const tenant = tenantRecord();
      await store.createTenant(tenant);
      const everything = webhookRecord();
      const keysOnly = webhookRecord({ eventTypes: ["api_key.", "session.create"] });
      const ofTenant = webhookRecord({ tenantId: tenant.tenantId });
      const ofOther = webhookRecord({ tenantId: "another-tenant" });
      const disabled = webhookRecord({ enabled: false });
      for (const hook of [everything, keysOnly, ofTenant, ofOther, disabled]) await store.createWebhook(hook, MANY);
      const start = (await store.eventChainHead()).seq;

      const member = userRecord({ tenantId: tenant.tenantId });
      await store.createUser(member); // start + 1
      const key = apiKeyRecord(member.userId);
      await store.createApiKey(key, NO_CAP); // + 2
      const outsider = userRecord();
      await store.createUser(outsider); // + 3
      await store.appendEvents([newEvent({ type: "auth.fail", subject: { tenantId: tenant.tenantId } })]); // + 4

      const expected = [
        `${everything.webhookId}:${start + 1}`,
        `${everything.webhookId}:${start + 2}`,
        `${everything.webhookId}:${start + 3}`,
        `${everything.webhookId}:${start + 4}`,
        `${keysOnly.webhookId}:${start + 2}`,
        `${ofTenant.webhookId}:${start + 1}`,
        `${ofTenant.webhookId}:${start + 2}`,
        `${ofTenant.webhookId}:${start + 4}`,
      ].sort();
      expect(await store.countPendingDeliveries()).to.equal(expected.length);
      expect((await store.getWebhook(ofTenant.webhookId)).delivery.pending).to.equal(3);
      const claimed = await claimAll(store, "node-1");
      expect(pairs(claimed)).to.deep.equal(expected);
      for (const delivery of claimed) {
        expect(delivery.attempts).to.equal(0);
        expect(delivery.queuedAt.getTime()).to.be.within(Date.now() - 30_000, Date.now() + 1_000);
        expect(delivery.event).to.deep.equal((await store.readEvents(delivery.event.seq - 1, 1))[0]);
        expect(delivery.webhook.webhookId).to.be.oneOf([everything.webhookId, keysOnly.webhookId, ofTenant.webhookId]);
      }
    });

    it("queues nothing when the event's write fails, and nothing for a webhook created after the event", async () => {
      const store = subject.store;
      await store.createWebhook(webhookRecord(), MANY);
      const restore = await subject.rawEvents.failAppends();
      expect(await rejectionOf(store.createUser(userRecord()))).to.be.instanceOf(Error);
      expect(await rejectionOf(store.appendEvents([newEvent()]))).to.be.instanceOf(Error);
      await restore();
      expect(await store.countPendingDeliveries()).to.equal(0);
      await store.createUser(userRecord());
      await store.createWebhook(webhookRecord(), MANY);
      expect(await store.countPendingDeliveries()).to.equal(1);
    });

    it("claims only due deliveries, oldest first, and none leased until the lease ends", async () => {
      const store = subject.store;
      await store.createWebhook(webhookRecord(), MANY);
      await store.appendEvents([newEvent(), newEvent(), newEvent()]);
      expect(await store.claimDeliveries(new Date(Date.now() - 10 * MINUTE), leaseOf("early"), 10), "not yet due").to.deep.equal([]);
      const first = await store.claimDeliveries(later(), leaseOf("node-1", later(5 * MINUTE)), 2);
      expect(first.map((d) => d.event.seq)).to.deep.equal([1, 2]);
      const second = await store.claimDeliveries(later(), leaseOf("node-2", later(5 * MINUTE)), 10);
      expect(second.map((d) => d.event.seq)).to.deep.equal([3]);
      expect(await store.claimDeliveries(later(2 * MINUTE), leaseOf("node-2"), 10), "leased").to.deep.equal([]);
      // The leases end: another process takes the deliveries over, and the first owner's outcome is refused.
      const takenOver = await store.claimDeliveries(later(6 * MINUTE), leaseOf("node-3", later(20 * MINUTE)), 10);
      expect(takenOver.map((d) => d.event.seq)).to.deep.equal([1, 2, 3]);
      const webhookId = takenOver[0]!.webhook.webhookId;
      expect(await store.finishDelivery(webhookId, 1, "node-1", { result: "delivered", at: new Date(), status: 200 })).to.equal(false);
      expect(await store.finishDelivery(webhookId, 1, "node-3", { result: "delivered", at: new Date(), status: 200 })).to.equal(true);
      expect((await store.getWebhook(webhookId)).delivery).to.include({ delivered: 1, pending: 2 });
    });

    it("records each outcome once, by the lease's owner, with the webhook's counters in the same write", async () => {
      const store = subject.store;
      const hook = webhookRecord();
      await store.createWebhook(hook, MANY);
      await store.appendEvents([newEvent(), newEvent(), newEvent()]);
      const claimed = await store.claimDeliveries(later(), leaseOf("node-1"), 10);
      expect(claimed).to.have.length(3);
      const [one, two, three] = claimed.map((d) => d.event.seq) as [number, number, number];
      const t1 = later(1_000);
      expect(await store.finishDelivery(hook.webhookId, one, "node-2", { result: "delivered", at: t1, status: 200 }), "not the owner").to.equal(false);
      expect(await store.finishDelivery(hook.webhookId, one, "node-1", { result: "delivered", at: t1, status: 204 })).to.equal(true);
      expect(await store.finishDelivery(hook.webhookId, one, "node-1", { result: "delivered", at: t1, status: 204 }), "twice").to.equal(false);
      expect((await store.getWebhook(hook.webhookId)).delivery).to.deep.equal({
        pending: 2,
        delivered: 1,
        failed: 0,
        lastAttemptAt: t1,
        lastStatus: 204,
        lastSuccessAt: t1,
      });

      const t2 = later(2_000);
      const retryAt = later(30 * MINUTE);
      expect(
        await store.finishDelivery(hook.webhookId, two, "node-1", { result: "retry", at: t2, status: 503, error: "HTTP 503", nextAttemptAt: retryAt }),
      ).to.equal(true);
      expect((await store.getWebhook(hook.webhookId)).delivery).to.deep.equal({
        pending: 2,
        delivered: 1,
        failed: 0,
        lastAttemptAt: t2,
        lastStatus: 503,
        lastError: "HTTP 503",
        lastSuccessAt: t1,
      });
      const t3 = later(3_000);
      expect(await store.finishDelivery(hook.webhookId, three, "node-1", { result: "failed", at: t3, status: 0, error: "timed out" })).to.equal(true);
      expect((await store.getWebhook(hook.webhookId)).delivery).to.deep.equal({
        pending: 1,
        delivered: 1,
        failed: 1,
        lastAttemptAt: t3,
        lastStatus: 0,
        lastError: "timed out",
        lastSuccessAt: t1,
      });
      expect(await store.countPendingDeliveries()).to.equal(1);

      // The retry comes due at its time, counting the attempt made; finished deliveries never come back.
      expect(await store.claimDeliveries(new Date(retryAt.getTime() - 1), leaseOf("node-2"), 10)).to.deep.equal([]);
      const retried = await store.claimDeliveries(retryAt, leaseOf("node-2"), 10);
      expect(retried.map((d) => [d.event.seq, d.attempts])).to.deep.equal([[two, 1]]);
      expect(retried[0]!.queuedAt).to.deep.equal(claimed[1]!.queuedAt);
      expect(await store.finishDelivery(hook.webhookId, two, "node-1", { result: "delivered", at: t3, status: 200 }), "old owner").to.equal(false);
      expect(await store.finishDelivery("wh-missing", two, "node-2", { result: "delivered", at: t3, status: 200 })).to.equal(false);
    });

    it("prunes finished deliveries older than a time, up to a limit; deleting a webhook drops its queue", async () => {
      const store = subject.store;
      const hook = webhookRecord();
      const other = webhookRecord();
      await store.createWebhook(hook, MANY);
      await store.createWebhook(other, MANY);
      await store.appendEvents([newEvent(), newEvent(), newEvent()]);
      const claimed = await store.claimDeliveries(later(), leaseOf("node-1"), 10);
      for (const delivery of claimed.filter((d) => d.webhook.webhookId === hook.webhookId)) {
        const outcome = delivery.event.seq === 3
          ? { result: "failed" as const, at: later(10_000), status: 410, error: "gone" }
          : { result: "delivered" as const, at: later(1_000), status: 200 };
        expect(await store.finishDelivery(hook.webhookId, delivery.event.seq, "node-1", outcome)).to.equal(true);
      }
      expect(await store.countPendingDeliveries()).to.equal(3);
      expect(await store.pruneDeliveries(later(5_000), 1)).to.equal(1);
      expect(await store.pruneDeliveries(later(5_000), 10)).to.equal(1);
      expect(await store.pruneDeliveries(later(5_000), 10)).to.equal(0);
      expect(await store.pruneDeliveries(later(20_000), 10)).to.equal(1);
      expect(await store.countPendingDeliveries(), "pending ones stay").to.equal(3);
      await store.deleteWebhook(other.webhookId);
      expect(await store.countPendingDeliveries()).to.equal(0);
      expect(await claimAll(store, "node-2", later(60 * MINUTE))).to.deep.equal([]);
    });

    it("never hands one delivery to two connections claiming at once", async function () {
      const peer = await subject.openPeer();
      if (!peer) this.skip();
      try {
        await subject.store.createWebhook(webhookRecord(), MANY);
        await subject.store.createWebhook(webhookRecord(), MANY);
        await subject.store.appendEvents(Array.from({ length: 15 }, () => newEvent()));
        const now = later();
        const claims = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? subject.store : peer).claimDeliveries(now, leaseOf(`node-${i}`), 5)),
        );
        const racing = claims.flatMap(pairs);
        expect(new Set(racing).size, "no delivery handed out twice while claims race").to.equal(racing.length);
        // Racing claimers may leave some due (each gives up after a bounded number of lost races; a
        // worker's next poll takes them): one more claim, alone, must hand out exactly the rest.
        const all = [...racing, ...pairs(await claimAll(subject.store, "node-last", now))];
        expect(all).to.have.length(30);
        expect(new Set(all).size).to.equal(30);
      } finally {
        await peer.close();
      }
    });
  });
}
