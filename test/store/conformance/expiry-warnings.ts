// Expiry warnings (ARCHITECTURE.md, "Events"): each key warned once per point and expiry date, with its
// `api_key.expiring` event in the same write, whichever processes sweep.
import { expect } from "chai";
import { withEventContext } from "../../../src/store/event-context.js";
import type { ExpiryPoint } from "../../../src/store/store.js";
import { CONTEXT, eventsAfter, webhookRecord } from "./event-fixtures.js";
import { NO_CAP, apiKeyRecord, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { tenantRecord } from "./tenants.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const POINTS: readonly ExpiryPoint[] = [
  { leadMs: 7 * DAY, label: "7d" },
  { leadMs: DAY, label: "1d" },
];

export function describeExpiryWarnings(subject: StoreUnderTest): void {
  describe("expiry warnings", () => {
    const now = new Date(Date.UTC(2030, 5, 1, 12));
    const from = (ms: number) => new Date(now.getTime() + ms);

    it("warns a key once at each point it has reached, with its event, as Keyward itself", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const user = userRecord({ tenantId: tenant.tenantId });
      await subject.store.createUser(user);
      const key = apiKeyRecord(user.userId, { expiresAt: from(3 * DAY) });
      await subject.store.createApiKey(key, NO_CAP);
      await subject.store.createWebhook(webhookRecord({ eventTypes: ["api_key.expiring"] }), 10);
      const start = (await subject.store.eventChainHead()).seq;

      const warned = await withEventContext(CONTEXT, () => subject.store.warnExpiringKeys(now, POINTS, 100));
      expect(warned.map(({ type, reason, actor, client, subject: about, changed, time }) => ({ type, reason, actor, client, about, changed, time }))).to.deep.equal([
        {
          type: "api_key.expiring",
          reason: "7d",
          actor: {},
          client: {},
          about: { tenantId: tenant.tenantId, userId: user.userId, apiKeyId: key.id },
          changed: [{ field: "expires_at", after: JSON.stringify(key.expiresAt!.toISOString()) }],
          time: now,
        },
      ]);
      expect(await eventsAfter(subject.store, start)).to.deep.equal(warned);
      expect(await subject.store.countPendingDeliveries(), "queued for the webhook").to.equal(1);
      expect(await subject.store.warnExpiringKeys(from(HOUR), POINTS, 100), "once").to.deep.equal([]);
      const dayBefore = await subject.store.warnExpiringKeys(from(2 * DAY + HOUR), POINTS, 100);
      expect(dayBefore.map((e) => [e.subject.apiKeyId, e.reason])).to.deep.equal([[key.id, "1d"]]);
      expect(await subject.store.warnExpiringKeys(from(2 * DAY + 2 * HOUR), POINTS, 100)).to.deep.equal([]);
    });

    it("gives every point a key has reached at the first sweep, and up to `limit` keys per point", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const soon = [1, 2, 3].map((h) => apiKeyRecord(user.userId, { expiresAt: from(h * HOUR) }));
      for (const key of soon) await subject.store.createApiKey(key, NO_CAP);
      const first = await subject.store.warnExpiringKeys(now, POINTS, 2);
      expect(first.map((e) => `${e.subject.apiKeyId}:${e.reason}`).sort()).to.have.length(4);
      const second = await subject.store.warnExpiringKeys(now, POINTS, 2);
      expect(second.map((e) => e.reason).sort()).to.deep.equal(["1d", "7d"]);
      const all = [...first, ...second].map((e) => `${e.subject.apiKeyId}:${e.reason}`).sort();
      expect(all).to.deep.equal(soon.flatMap((k) => [`${k.id}:1d`, `${k.id}:7d`]).sort());
      expect(await subject.store.warnExpiringKeys(now, POINTS, 2)).to.deep.equal([]);
    });

    it("warns nothing for keys without expiry, already expired, or beyond every point", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      for (const expiresAt of [undefined, from(-1), now, from(7 * DAY + 1), from(400 * DAY)]) {
        await subject.store.createApiKey(apiKeyRecord(user.userId, expiresAt ? { expiresAt } : {}), NO_CAP);
      }
      const head = await subject.store.eventChainHead();
      expect(await subject.store.warnExpiringKeys(now, POINTS, 100)).to.deep.equal([]);
      expect(await subject.store.eventChainHead()).to.deep.equal(head);
    });

    it("warns anew when the key's expiry changes, and not for a key deleted since", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const key = apiKeyRecord(user.userId, { expiresAt: from(5 * DAY) });
      await subject.store.createApiKey(key, NO_CAP);
      expect((await subject.store.warnExpiringKeys(now, POINTS, 100)).map((e) => e.reason)).to.deep.equal(["7d"]);
      await subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, expiresAt: from(6 * DAY) }));
      expect((await subject.store.warnExpiringKeys(now, POINTS, 100)).map((e) => e.reason)).to.deep.equal(["7d"]);
      expect(await subject.store.warnExpiringKeys(now, POINTS, 100)).to.deep.equal([]);
      await subject.store.deleteApiKey(user.userId, key.id);
      expect(await subject.store.warnExpiringKeys(from(5 * DAY + HOUR), POINTS, 100)).to.deep.equal([]);
    });

    it("warns each key once per point when two connections sweep at once", async function () {
      const peer = (await subject.openPeer()) ?? subject.store;
      try {
        const user = userRecord();
        await subject.store.createUser(user);
        const keys = Array.from({ length: 8 }, (_, i) => apiKeyRecord(user.userId, { expiresAt: from((i + 1) * 10 * HOUR) }));
        for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
        const sweeps = await Promise.all([
          subject.store.warnExpiringKeys(now, POINTS, 100),
          peer.warnExpiringKeys(now, POINTS, 100),
          subject.store.warnExpiringKeys(now, POINTS, 100),
          peer.warnExpiringKeys(now, POINTS, 100),
        ]);
        const given = sweeps.flat().map((e) => `${e.subject.apiKeyId}:${e.reason}`);
        const expected = keys.flatMap((k, i) => ((i + 1) * 10 * HOUR <= DAY ? [`${k.id}:7d`, `${k.id}:1d`] : [`${k.id}:7d`]));
        expect(given.sort()).to.deep.equal(expected.sort());
        const stored = (await eventsAfter(subject.store, 0)).filter((e) => e.type === "api_key.expiring");
        expect(stored).to.have.length(expected.length);
      } finally {
        if (peer !== subject.store) await peer.close();
      }
    });
  });
}
