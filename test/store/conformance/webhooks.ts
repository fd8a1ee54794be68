// Webhooks (ARCHITECTURE.md, "Events"): records, the cap per scope, lists and what an update may change.
import { expect } from "chai";
import type { WebhookRecord } from "../../../src/store/store.js";
import { webhookRecord } from "./event-fixtures.js";
import { at, expectStoreError, rejectionOf } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

const MANY = 1000;

export function describeWebhooks(subject: StoreUnderTest): void {
  describe("webhooks", () => {
    it("stores a webhook and reads it back with zero counters, whatever counters it was given", async () => {
      const system = webhookRecord({ eventTypes: ["api_key.", "user.delete"], enabled: false });
      const ofTenant = webhookRecord({ tenantId: "tenant-a", delivery: { pending: 5, delivered: 6, failed: 7, lastStatus: 500 } });
      await subject.store.createWebhook(system, MANY);
      await subject.store.createWebhook(ofTenant, MANY);
      expect(await subject.store.getWebhook(system.webhookId)).to.deep.equal(system);
      expect(await subject.store.getWebhook(ofTenant.webhookId)).to.deep.equal({ ...ofTenant, delivery: { pending: 0, delivered: 0, failed: 0 } });
      await expectStoreError(subject.store.getWebhook("wh-missing"), "not_found", "webhook");
      await expectStoreError(subject.store.createWebhook(webhookRecord({ webhookId: system.webhookId }), MANY), "already_exists", "webhook");
      await expectStoreError(subject.store.createWebhook(webhookRecord({ url: "" }), MANY), "invalid_argument", "webhook");
    });

    it("caps webhooks per scope inside the write: the system and each tenant apart", async () => {
      for (let i = 0; i < 2; i++) await subject.store.createWebhook(webhookRecord(), 2);
      await subject.store.createWebhook(webhookRecord({ tenantId: "tenant-a" }), 1);
      const system = await expectStoreError(subject.store.createWebhook(webhookRecord(), 2), "limit_reached", "webhook");
      expect(system.limit).to.equal(2);
      const tenant = await expectStoreError(subject.store.createWebhook(webhookRecord({ tenantId: "tenant-a" }), 1), "limit_reached", "webhook");
      expect(tenant.subjectId).to.equal("tenant-a");
      await subject.store.createWebhook(webhookRecord({ tenantId: "tenant-b" }), 1);
      expect((await subject.store.listWebhooks({ pageSize: 10, pageToken: "" })).totalSize).to.equal(4);
    });

    it("holds the cap when many creates race", async () => {
      const results = await Promise.allSettled(Array.from({ length: 10 }, () => subject.store.createWebhook(webhookRecord({ tenantId: "t" }), 3)));
      expect(results.filter((r) => r.status === "fulfilled")).to.have.length(3);
      expect((await subject.store.listWebhooks({ pageSize: 10, pageToken: "", tenantId: "t" })).totalSize).to.equal(3);
    });

    it("lists every webhook, or one tenant's, newest first, page by page; refuses a foreign token", async () => {
      const hooks = [
        webhookRecord({ createdAt: at(3) }),
        webhookRecord({ createdAt: at(5), tenantId: "tenant-a" }),
        webhookRecord({ createdAt: at(4), tenantId: "tenant-a" }),
        webhookRecord({ createdAt: at(4), tenantId: "tenant-b" }),
      ];
      for (const hook of hooks) await subject.store.createWebhook(hook, MANY);
      const ids = async (tenantId?: string): Promise<string[]> => {
        const seen: string[] = [];
        let pageToken = "";
        do {
          const page = await subject.store.listWebhooks({ pageSize: 1, pageToken, ...(tenantId ? { tenantId } : {}) });
          seen.push(...page.items.map((w) => w.webhookId));
          pageToken = page.nextPageToken;
        } while (pageToken !== "");
        return seen;
      };
      const newestFirst = (list: WebhookRecord[]) =>
        [...list].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.webhookId < b.webhookId ? 1 : -1)).map((w) => w.webhookId);
      expect(await ids()).to.deep.equal(newestFirst(hooks));
      expect(await ids("tenant-a")).to.deep.equal(newestFirst(hooks.filter((w) => w.tenantId === "tenant-a")));
      const page = await subject.store.listWebhooks({ pageSize: 1, pageToken: "" });
      expect(page.totalSize).to.equal(4);
      await expectStoreError(subject.store.listWebhooks({ pageSize: 1, pageToken: page.nextPageToken, tenantId: "tenant-a" }), "invalid_argument");
      await expectStoreError(subject.store.listWebhooks({ pageSize: 1, pageToken: "junk" }), "invalid_argument");
    });

    it("updates the URL, types and enabled flag; refuses to change identity, scope, salt or counters", async () => {
      const hook = webhookRecord({ tenantId: "tenant-a" });
      await subject.store.createWebhook(hook, MANY);
      const updated = await subject.store.updateWebhook(hook.webhookId, (w) => ({
        ...w,
        url: "https://other.example.com/",
        eventTypes: ["auth.fail"],
        enabled: false,
        updatedAt: at(99),
      }));
      const expected = { ...hook, url: "https://other.example.com/", eventTypes: ["auth.fail"], enabled: false, updatedAt: at(99) };
      expect(updated).to.deep.equal(expected);
      expect(await subject.store.getWebhook(hook.webhookId)).to.deep.equal(expected);
      for (const change of [
        (w: WebhookRecord) => ({ ...w, webhookId: "wh-other" }),
        (w: WebhookRecord) => ({ ...w, tenantId: "tenant-b" }),
        (w: WebhookRecord) => {
          const { tenantId: _, ...system } = w;
          return system;
        },
        (w: WebhookRecord) => ({ ...w, secretSalt: "another-salt" }),
        (w: WebhookRecord) => ({ ...w, delivery: { ...w.delivery, delivered: 100 } }),
      ]) {
        await expectStoreError(subject.store.updateWebhook(hook.webhookId, change), "invalid_argument", "webhook");
      }
      const refusal = new Error("another tenant's");
      expect(
        await rejectionOf(
          subject.store.updateWebhook(hook.webhookId, () => {
            throw refusal;
          }),
        ),
      ).to.equal(refusal);
      expect(await subject.store.getWebhook(hook.webhookId)).to.deep.equal(expected);
      await expectStoreError(subject.store.updateWebhook("wh-missing", (w) => w), "not_found", "webhook");
    });

    it("deletes a webhook after its guard accepts it; a refusal deletes nothing", async () => {
      const hook = webhookRecord();
      await subject.store.createWebhook(hook, MANY);
      const refusal = new Error("no");
      let judged: WebhookRecord | undefined;
      expect(
        await rejectionOf(
          subject.store.deleteWebhook(hook.webhookId, (w) => {
            judged = w;
            throw refusal;
          }),
        ),
      ).to.equal(refusal);
      expect(judged).to.deep.equal(hook);
      expect(await subject.store.getWebhook(hook.webhookId)).to.deep.equal(hook);
      await subject.store.deleteWebhook(hook.webhookId, () => {});
      await expectStoreError(subject.store.getWebhook(hook.webhookId), "not_found", "webhook");
      await expectStoreError(subject.store.deleteWebhook(hook.webhookId), "not_found", "webhook");
    });
  });
}
