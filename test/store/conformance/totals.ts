// Totals (ARCHITECTURE.md, "The store"): the sizes lists report and the per-user key count the cap reads
// stay exact across creates, deletes, a user's delete that takes its keys with it, a tenant's delete and
// an id used again. SQLite keeps them in row_counts by triggers; MongoDB counts documents. Each count is
// checked against a model of what was done and against the rows the lists actually walk.
import { expect } from "chai";
import type { Store, UserRecord } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, newUserId, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { tenantRecord } from "./tenants.js";

/** What a store should hold: users by tenant ('' for system users), keys by user, the tenants. */
interface Model {
  users: Map<string, string>;
  keys: Map<string, string[]>;
  tenants: Set<string>;
}

/** Every item of a list, page after page of 7 (so totals are read from several pages). */
async function walk<T>(list: (pageToken: string) => Promise<{ items: T[]; nextPageToken: string; totalSize: number }>): Promise<{ items: T[]; totals: Set<number> }> {
  const items: T[] = [];
  const totals = new Set<number>();
  let token = "";
  do {
    const page = await list(token);
    items.push(...page.items);
    totals.add(page.totalSize);
    token = page.nextPageToken;
  } while (token !== "");
  return { items, totals };
}

/** Checks every total the store reports against `model` and against the rows its lists walk. */
async function expectTotals(store: Store, model: Model, step: string): Promise<void> {
  const users = await walk((pageToken) => store.listUsers({ pageSize: 7, pageToken }));
  expect(users.items.length, `${step}: users listed`).to.equal(model.users.size);
  expect([...users.totals], `${step}: users' totalSize`).to.deep.equal([model.users.size]);
  const tenants = await walk((pageToken) => store.listTenants({ pageSize: 7, pageToken }));
  expect([...tenants.totals], `${step}: tenants' totalSize`).to.deep.equal([model.tenants.size]);
  for (const tenantId of model.tenants) {
    const expected = [...model.users.values()].filter((t) => t === tenantId).length;
    const ofTenant = await walk((pageToken) => store.listUsers({ pageSize: 7, pageToken, tenantId }));
    expect(ofTenant.items.length, `${step}: users of ${tenantId} listed`).to.equal(expected);
    expect([...ofTenant.totals], `${step}: totalSize of ${tenantId}'s users`).to.deep.equal([expected]);
  }
  for (const [userId, keys] of model.keys) {
    const listed = await walk((pageToken) => store.listApiKeys(userId, { pageSize: 7, pageToken }));
    expect(listed.items.map((k) => k.id).sort(), `${step}: keys of ${userId} listed`).to.deep.equal([...keys].sort());
    expect([...listed.totals], `${step}: totalSize of ${userId}'s keys`).to.deep.equal([keys.length]);
    expect(await store.countApiKeys(userId), `${step}: countApiKeys(${userId})`).to.equal(keys.length);
  }
}

export function describeTotals(subject: StoreUnderTest): void {
  describe("totals", () => {
    let model: Model;

    beforeEach(() => {
      model = { users: new Map(), keys: new Map(), tenants: new Set() };
    });

    async function createUser(tenantId?: string, userId = newUserId("counted")): Promise<UserRecord> {
      const user = userRecord({ userId, createdAt: at(model.users.size), ...(tenantId === undefined ? {} : { tenantId }) });
      await subject.store.createUser(user);
      model.users.set(user.userId, tenantId ?? "");
      model.keys.set(user.userId, []);
      return user;
    }

    async function createKeys(userId: string, count: number): Promise<void> {
      for (let i = 0; i < count; i++) {
        const key = apiKeyRecord(userId, { createdAt: at(i) });
        await subject.store.createApiKey(key, NO_CAP);
        model.keys.get(userId)!.push(key.id);
      }
    }

    async function deleteUser(userId: string): Promise<void> {
      await subject.store.deleteUser(userId);
      model.users.delete(userId);
      // Its keys went with it; the id's key count is checked again below, as a user of no keys.
      model.keys.set(userId, []);
    }

    it("stays exact across creates and deletes of users and keys", async () => {
      await expectTotals(subject.store, model, "empty store");
      const [alice, bob, carol] = [await createUser(), await createUser(), await createUser()];
      await createKeys(alice.userId, 9);
      await createKeys(bob.userId, 2);
      await expectTotals(subject.store, model, "after creates");
      const gone = model.keys.get(alice.userId)!.splice(3, 2);
      for (const keyId of gone) await subject.store.deleteApiKey(alice.userId, keyId);
      await deleteUser(carol.userId);
      await expectTotals(subject.store, model, "after deletes");
      // A refused create and a refused delete change nothing.
      await expectStoreError(subject.store.createApiKey(apiKeyRecord(alice.userId), { maxKeysPerUser: 7 }), "limit_reached", "api_key");
      await expectStoreError(subject.store.deleteApiKey(bob.userId, gone[0]!), "not_found", "api_key");
      await expectStoreError(subject.store.createUser(userRecord({ userId: bob.userId })), "already_exists", "user");
      await expectTotals(subject.store, model, "after refused changes");
    });

    it("drops a deleted user's keys from its count, and a user created again under its id starts at none", async () => {
      const alice = await createUser();
      const bob = await createUser();
      await createKeys(alice.userId, 12);
      await createKeys(bob.userId, 3);
      await deleteUser(alice.userId);
      await expectTotals(subject.store, model, "after the delete took 12 keys");
      await createUser(undefined, alice.userId);
      await expectTotals(subject.store, model, "after the id was used again");
      // The cap reads the same count: the new user may have exactly its cap of keys.
      await subject.store.createApiKey(apiKeyRecord(alice.userId), { maxKeysPerUser: 1 });
      await expectStoreError(subject.store.createApiKey(apiKeyRecord(alice.userId), { maxKeysPerUser: 1 }), "limit_reached", "api_key");
    });

    it("counts each tenant's users apart, and a tenant created again under a deleted one's id starts at none", async () => {
      const acme = tenantRecord();
      const globex = tenantRecord();
      for (const tenant of [acme, globex]) {
        await subject.store.createTenant(tenant);
        model.tenants.add(tenant.tenantId);
      }
      const inAcme = [await createUser(acme.tenantId), await createUser(acme.tenantId), await createUser(acme.tenantId)];
      const inGlobex = await createUser(globex.tenantId);
      await createUser();
      await createKeys(inAcme[0]!.userId, 4);
      await expectTotals(subject.store, model, "after creates in two tenants");
      await deleteUser(inAcme[0]!.userId);
      await deleteUser(inGlobex.userId);
      await subject.store.deleteTenant(globex.tenantId);
      model.tenants.delete(globex.tenantId);
      await expectTotals(subject.store, model, "after a tenant emptied and deleted");
      await subject.store.createTenant(globex);
      model.tenants.add(globex.tenantId);
      await expectTotals(subject.store, model, "after the tenant's id was used again");
      await createUser(globex.tenantId);
      await expectTotals(subject.store, model, "after a user joined it");
    });

    it("keeps a filtered list's total to the keys it matches", async () => {
      const alice = await createUser();
      for (let i = 0; i < 5; i++) {
        await subject.store.createApiKey(apiKeyRecord(alice.userId, { name: i < 2 ? `deploy ${i}` : `ci ${i}`, state: i === 0 ? "disabled" : "active" }), NO_CAP);
      }
      const page = (request: { state?: "active" | "disabled"; query?: string }) =>
        subject.store.listApiKeys(alice.userId, { pageSize: 1, pageToken: "", ...request }).then((p) => p.totalSize);
      expect(await page({})).to.equal(5);
      expect(await page({ state: "disabled" })).to.equal(1);
      expect(await page({ state: "active" })).to.equal(4);
      expect(await page({ query: "Deploy" })).to.equal(2);
      expect(await page({ query: "deploy", state: "active" })).to.equal(1);
    });

    it("stays exact over a long random sequence of creates and deletes", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      model.tenants.add(tenant.tenantId);
      // A fixed seed: a failure reproduces, and the sequence mixes every kind of change.
      let seed = 29;
      const next = (n: number) => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed % n;
      };
      for (let step = 0; step < 80; step++) {
        const users = [...model.users.keys()];
        const choice = users.length === 0 ? 0 : next(10);
        if (choice < 3) {
          await createUser(next(2) === 0 ? tenant.tenantId : undefined);
        } else if (choice < 7) {
          await createKeys(users[next(users.length)]!, 1 + next(3));
        } else if (choice < 9) {
          const owner = users[next(users.length)]!;
          const keys = model.keys.get(owner)!;
          if (keys.length > 0) await subject.store.deleteApiKey(owner, keys.splice(next(keys.length), 1)[0]!);
        } else {
          await deleteUser(users[next(users.length)]!);
        }
        if (step % 20 === 19) await expectTotals(subject.store, model, `step ${step}`);
      }
    });
  });
}
