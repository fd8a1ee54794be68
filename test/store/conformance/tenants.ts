// Tenants (ARCHITECTURE.md, "Tenants"): tenant CRUD, users created in a tenant and kept there, lists of
// one tenant filtered in the query (pages and totals), the not-empty guard decided inside the delete's
// write (also against a user created at the same moment, from another connection where the backend has
// one), the last-admin guard about system admins only, and which tenant changes append feed entries.
import { expect } from "chai";
import type { RevocationEntry, Store, TenantRecord, UserRecord } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, newUserId, userRecord } from "./fixtures.js";
import { sessionRecord } from "./sessions.js";
import type { StoreUnderTest } from "./store-under-test.js";

/** A tenant record with every field set; `overrides` replace fields. */
export function tenantRecord(overrides: Partial<TenantRecord> = {}): TenantRecord {
  const tenantId = overrides.tenantId ?? newUserId("tenant");
  return { tenantId, name: `Tenant ${tenantId}`, createdAt: at(10), updatedAt: at(11), ...overrides };
}

/** Every page of a user list, in order. */
async function allUserPages(store: Store, pageSize: number, tenantId?: string): Promise<{ ids: string[]; totals: number[] }> {
  const ids: string[] = [];
  const totals: number[] = [];
  let pageToken = "";
  do {
    const page = await store.listUsers({ pageSize, pageToken, ...(tenantId === undefined ? {} : { tenantId }) });
    ids.push(...page.items.map((u) => u.userId));
    totals.push(page.totalSize);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return { ids, totals };
}

/** How many times the create-versus-delete race is run. */
const RACE_ROUNDS = 8;

export function describeTenants(subject: StoreUnderTest): void {
  describe("tenants", () => {
    it("stores, reads, renames and deletes a tenant; duplicates and absent tenants are refused by name", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      expect(await subject.store.getTenant(tenant.tenantId)).to.deep.equal(tenant);
      const taken = await expectStoreError(subject.store.createTenant(tenantRecord({ tenantId: tenant.tenantId })), "already_exists", "tenant");
      expect(taken.subjectId).to.equal(tenant.tenantId);
      const renamed = await subject.store.updateTenant(tenant.tenantId, (t) => ({ ...t, name: "Acme Corp", updatedAt: at(99) }));
      expect(renamed).to.deep.equal({ ...tenant, name: "Acme Corp", updatedAt: at(99) });
      expect(await subject.store.getTenant(tenant.tenantId)).to.deep.equal(renamed);
      await expectStoreError(subject.store.updateTenant(tenant.tenantId, (t) => ({ ...t, tenantId: "other" })), "invalid_argument", "tenant");
      await subject.store.deleteTenant(tenant.tenantId);
      const gone = await expectStoreError(subject.store.getTenant(tenant.tenantId), "not_found", "tenant");
      expect(gone.subjectId).to.equal(tenant.tenantId);
      await expectStoreError(subject.store.deleteTenant(tenant.tenantId), "not_found", "tenant");
      await expectStoreError(subject.store.updateTenant(tenant.tenantId, (t) => t), "not_found", "tenant");
    });

    it("lists tenants newest first, in pages, with the total", async () => {
      const tenants = [0, 1, 2, 3, 4].map((i) => tenantRecord({ createdAt: at(i * 1000) }));
      for (const tenant of tenants) await subject.store.createTenant(tenant);
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await subject.store.listTenants({ pageSize: 2, pageToken });
        expect(page.totalSize).to.equal(5);
        seen.push(...page.items.map((t) => t.tenantId));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      expect(seen).to.deep.equal(tenants.map((t) => t.tenantId).reverse());
      // A token of another list is refused.
      await subject.store.createUser(userRecord());
      await subject.store.createUser(userRecord());
      const userToken = (await subject.store.listUsers({ pageSize: 1, pageToken: "" })).nextPageToken;
      await expectStoreError(subject.store.listTenants({ pageSize: 2, pageToken: userToken }), "invalid_argument");
    });

    it("stores a user in an existing tenant and reads the tenant back on every path, keys and sessions included", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const user = userRecord({ tenantId: tenant.tenantId, admin: true });
      await subject.store.createUser(user);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
      const key = apiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      expect((await subject.store.findApiKeyWithOwner(key.id))?.user).to.deep.equal(user);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      expect((await subject.store.findSessionWithOwner(session.id))?.user).to.deep.equal(user);
      // A system user has no tenantId at all, never an empty one.
      const system = userRecord();
      await subject.store.createUser(system);
      expect(await subject.store.getUser(system.userId)).to.not.have.property("tenantId");
    });

    it("refuses a user in a tenant that does not exist with not_found (tenant), storing nothing", async () => {
      const user = userRecord({ tenantId: "no-such-tenant" });
      const error = await expectStoreError(subject.store.createUser(user), "not_found", "tenant");
      expect(error.subjectId).to.equal("no-such-tenant");
      await expectStoreError(subject.store.getUser(user.userId), "not_found", "user");
    });

    it("never moves a user: an updater that sets, changes or clears tenantId is refused", async () => {
      const [a, b] = [tenantRecord(), tenantRecord()];
      await subject.store.createTenant(a);
      await subject.store.createTenant(b);
      const inA = userRecord({ tenantId: a.tenantId });
      const system = userRecord();
      await subject.store.createUser(inA);
      await subject.store.createUser(system);
      await expectStoreError(subject.store.updateUser(inA.userId, (u) => ({ ...u, tenantId: b.tenantId })), "invalid_argument", "user");
      await expectStoreError(
        subject.store.updateUser(inA.userId, (u) => {
          const { tenantId: _dropped, ...rest } = u;
          return rest;
        }),
        "invalid_argument",
        "user",
      );
      await expectStoreError(subject.store.updateUser(system.userId, (u) => ({ ...u, tenantId: a.tenantId })), "invalid_argument", "user");
      expect(await subject.store.getUser(inA.userId)).to.deep.equal(inA);
      expect(await subject.store.getUser(system.userId)).to.deep.equal(system);
      // Other changes keep the tenant.
      const renamed = await subject.store.updateUser(inA.userId, (u) => ({ ...u, name: "renamed" }));
      expect(renamed.tenantId).to.equal(a.tenantId);
    });

    it("lists one tenant's users in the query: every page holds only them, and the total counts only them", async () => {
      const [acme, globex] = [tenantRecord(), tenantRecord()];
      await subject.store.createTenant(acme);
      await subject.store.createTenant(globex);
      const created: UserRecord[] = [];
      // Interleaved creation times, so a filter applied after paging would show short or empty pages.
      for (let i = 0; i < 15; i++) {
        const tenantId = i % 3 === 0 ? acme.tenantId : i % 3 === 1 ? globex.tenantId : undefined;
        const user = userRecord({ createdAt: at(i * 1000), ...(tenantId === undefined ? {} : { tenantId }) });
        await subject.store.createUser(user);
        created.push(user);
      }
      const idsOf = (tenantId: string | undefined) =>
        created.filter((u) => u.tenantId === tenantId).map((u) => u.userId).reverse();
      const inAcme = await allUserPages(subject.store, 2, acme.tenantId);
      expect(inAcme.ids).to.deep.equal(idsOf(acme.tenantId));
      expect(new Set(inAcme.totals)).to.deep.equal(new Set([5]));
      expect(inAcme.totals).to.have.length(3); // 2 + 2 + 1: full pages, no empty ones
      const inGlobex = await allUserPages(subject.store, 10, globex.tenantId);
      expect(inGlobex.ids).to.deep.equal(idsOf(globex.tenantId));
      expect(inGlobex.totals).to.deep.equal([5]);
      const everyone = await allUserPages(subject.store, 4);
      expect(everyone.ids).to.have.members(created.map((u) => u.userId));
      expect(new Set(everyone.totals)).to.deep.equal(new Set([15]));
      // An empty tenant lists nothing; a token is bound to its tenant.
      const empty = tenantRecord();
      await subject.store.createTenant(empty);
      expect(await subject.store.listUsers({ pageSize: 5, pageToken: "", tenantId: empty.tenantId })).to.deep.equal({
        items: [],
        nextPageToken: "",
        totalSize: 0,
      });
      const acmeToken = (await subject.store.listUsers({ pageSize: 2, pageToken: "", tenantId: acme.tenantId })).nextPageToken;
      await expectStoreError(subject.store.listUsers({ pageSize: 2, pageToken: acmeToken, tenantId: globex.tenantId }), "invalid_argument");
      await expectStoreError(subject.store.listUsers({ pageSize: 2, pageToken: acmeToken }), "invalid_argument");
    });

    it("refuses deleting a tenant that has users with not_empty (tenant), keeping it, and deletes it once empty", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const user = userRecord({ tenantId: tenant.tenantId });
      await subject.store.createUser(user);
      const refused = await expectStoreError(subject.store.deleteTenant(tenant.tenantId), "not_empty", "tenant");
      expect(refused.subjectId).to.equal(tenant.tenantId);
      expect(await subject.store.getTenant(tenant.tenantId)).to.deep.equal(tenant);
      expect(await subject.store.getUser(user.userId)).to.deep.equal(user);
      await subject.store.deleteUser(user.userId);
      await subject.store.deleteTenant(tenant.tenantId);
      await expectStoreError(subject.store.getTenant(tenant.tenantId), "not_found", "tenant");
    });

    it(`never leaves a user in a deleted tenant when a create races the delete (${RACE_ROUNDS} rounds)`, async () => {
      const peer = await subject.openPeer();
      try {
        for (let round = 0; round < RACE_ROUNDS; round++) {
          const tenant = tenantRecord();
          await subject.store.createTenant(tenant);
          const users = [0, 1, 2].map(() => userRecord({ tenantId: tenant.tenantId }));
          const results = await Promise.allSettled([
            (peer ?? subject.store).deleteTenant(tenant.tenantId),
            ...users.map((user) => subject.store.createUser(user)),
          ]);
          for (const result of results) {
            if (result.status === "rejected") {
              const kind = (result.reason as { kind?: string }).kind;
              expect(["not_empty", "not_found"], String(result.reason)).to.include(kind);
            }
          }
          const stored = await subject.store.listUsers({ pageSize: 10, pageToken: "", tenantId: tenant.tenantId });
          const deleted = results[0]!.status === "fulfilled";
          if (deleted) {
            expect(stored.items, `round ${round}: users in a deleted tenant`).to.deep.equal([]);
            await expectStoreError(subject.store.getTenant(tenant.tenantId), "not_found", "tenant");
          } else {
            expect(stored.totalSize, `round ${round}: the delete was refused, so a user got in`).to.be.greaterThan(0);
          }
          for (const user of stored.items) await subject.store.deleteUser(user.userId);
        }
      } finally {
        await peer?.close();
      }
    });

    it("keeps the last active system admin whatever tenant admins exist, and lets tenant admins go", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const system = userRecord({ admin: true });
      const tenantAdmin = userRecord({ admin: true, tenantId: tenant.tenantId });
      const otherTenantAdmin = userRecord({ admin: true, tenantId: tenant.tenantId });
      await subject.store.createUser(system);
      await subject.store.createUser(tenantAdmin);
      await subject.store.createUser(otherTenantAdmin);
      expect(await subject.store.countActiveAdmins()).to.equal(1);
      await expectStoreError(subject.store.updateUser(system.userId, (u) => ({ ...u, admin: false })), "last_admin", "user");
      await expectStoreError(subject.store.deleteUser(system.userId), "last_admin", "user");
      // The only admins of the tenant may be demoted, suspended and deleted: a system admin still manages it.
      await subject.store.updateUser(tenantAdmin.userId, (u) => ({ ...u, admin: false }));
      await subject.store.updateUser(otherTenantAdmin.userId, (u) => ({ ...u, state: "suspended" }));
      await subject.store.deleteUser(otherTenantAdmin.userId);
      expect(await subject.store.countActiveAdmins()).to.equal(1);
    });

    it("appends feed entries for what narrows a tenant user's access, and none for tenant changes", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const admin = userRecord({ admin: true, tenantId: tenant.tenantId });
      const member = userRecord({ tenantId: tenant.tenantId });
      await subject.store.createUser(admin);
      await subject.store.createUser(member);
      let start = await subject.store.revocationHead();
      // Tenant changes narrow no one's access (a user never leaves its tenant; only an empty tenant goes).
      await subject.store.updateTenant(tenant.tenantId, (t) => ({ ...t, name: "renamed" }));
      const spare = tenantRecord();
      await subject.store.createTenant(spare);
      await subject.store.deleteTenant(spare.tenantId);
      expect(await subject.store.revocationHead()).to.equal(start);
      start = await subject.store.revocationHead();
      await subject.store.updateUser(admin.userId, (u) => ({ ...u, admin: false }));
      await subject.store.deleteUser(member.userId);
      const entries: RevocationEntry[] = (await subject.store.readRevocations(start, 10)).entries;
      expect(entries.map((e) => `${e.kind}:${e.subjectId}`)).to.deep.equal([`user:${admin.userId}`, `user:${member.userId}`]);
    });
  });
}
