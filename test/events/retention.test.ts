// Retention on a real SQLite store: events older than the retention, and deliveries finished that long
// ago, are deleted by the background pruner in batches (more than one batch here), and what is newer, or
// still pending, stays; the chain's anchor moves with the pruning.
import { expect } from "chai";
import { silentLogger } from "../../src/logger.js";
import { PRUNE_BATCH, retentionPruner } from "../../src/events/retention.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewEvent } from "../../src/store/store.js";

const DAY = 86_400_000;

function event(time: Date): NewEvent {
  return { time, type: "auth.fail", actor: {}, subject: {}, client: { address: "127.0.0.1" }, changed: [], reason: "API_KEY_INVALID", count: 1 };
}

describe("retention", function () {
  this.timeout(60_000);

  it("prunes old events and finished deliveries in batches, keeping what is newer or pending", async () => {
    const store = openSqliteStore(":memory:");
    try {
      const now = Date.now();
      const old = new Date(now - 100 * DAY);
      const webhook = {
        webhookId: "HOOK",
        url: "https://hooks.example.com/",
        eventTypes: [],
        enabled: true,
        secretSalt: "salt",
        createdAt: old,
        updatedAt: old,
        delivery: { pending: 0, delivered: 0, failed: 0 },
      };
      await store.createWebhook(webhook, 10);
      const oldCount = PRUNE_BATCH + 200;
      await store.appendEvents(Array.from({ length: oldCount }, () => event(old)));
      const claimed = await store.claimDeliveries(new Date(Date.now() + 1000), { owner: "test", until: new Date(Date.now() + 60_000) }, oldCount);
      expect(claimed).to.have.length(oldCount);
      for (const delivery of claimed) {
        await store.finishDelivery("HOOK", delivery.event.seq, "test", { result: "delivered", at: old, status: 204 });
      }
      const [recent] = await store.appendEvents([event(new Date(now))]);

      const pruner = retentionPruner(store, 90 * DAY, silentLogger, () => now, 60_000);
      pruner.start();
      const deadline = Date.now() + 20_000;
      while ((await store.eventChainHead()).prunedThroughSeq < oldCount && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await pruner.stop();

      const head = await store.eventChainHead();
      expect(head.prunedThroughSeq).to.equal(oldCount);
      expect((await store.readEvents(0, 10)).map((e) => e.seq)).to.deep.equal([recent!.seq]);
      const rows = store.database.prepare("SELECT count(*) AS n FROM webhook_deliveries").get() as { n: number };
      expect(rows.n, "only the recent event's delivery is left").to.equal(1);
      expect(await store.countPendingDeliveries()).to.equal(1);
    } finally {
      await store.close();
    }
  });
});
