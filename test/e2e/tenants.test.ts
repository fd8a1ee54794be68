/**
 * Tenants end to end (ARCHITECTURE.md, "Tenants"), the story a platform hosting several customers lives:
 * a system admin makes tenants `acme` and `globex` with a tenant admin each; acme's admin, with a
 * `RIGHT_ALL` key and with a password session, creates acme users and their keys, lists exactly acme's
 * users, and gets `NOT_FOUND` for every globex or system user on every door (REST, Connect, gRPC-Web,
 * gRPC), exactly the answer a user that does not exist gets. Also: what a tenant admin can never do, the
 * system admin's tenant calls, `GetAuthInfo` and forward auth naming the tenant, and a key row stored
 * the way earlier releases stored it gaining `RIGHT_ADMIN_TENANTS` by expansion alone.
 */
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { DescMessage, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { generateKey, hashSecret } from "../../src/keys/index.js";
import { DOORS, openDoors, type DoorName, type Doors, type Outcome } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { callRest } from "./support/rest-door.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, useServer } from "./support/server-process.js";

type AnyDoor = DoorName | "rest";
const EVERY_DOOR: readonly AnyDoor[] = ["rest", ...DOORS];
const PASSWORD = "correct horse battery staple";

describe("e2e: tenants", function () {
  this.timeout(120_000);
  const running = useServer();
  let system: string; // the system admin's RIGHT_ALL key
  let systemAdminId: string;

  /** One call on any door, REST included. */
  function call<I extends DescMessage, O extends DescMessage>(
    door: AnyDoor,
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    credential: string,
  ): Promise<Outcome<O>> {
    if (door === "rest") return callRest(running.server.httpUrl, method, request, credential) as Promise<Outcome<O>>;
    return running.doors.call(door, method, request, credential);
  }

  const as = (credential: string) => ({
    call: <I extends DescMessage, O extends DescMessage>(method: DescMethodUnary<I, O>, request: MessageInitShape<I>) =>
      call("connect", method, request, credential),
  });

  async function keyFor(userId: string, rights: Right[], by = system): Promise<string> {
    const created = ok(await as(by).call(ApiKeyRegistry.method.createApiKey, { userId, name: "t", rights }));
    issuedKeys.add(created.key);
    return created.key;
  }

  async function signIn(userId: string): Promise<string> {
    const session = ok(await call("connect", SessionRegistry.method.createSession, { userId, password: PASSWORD }, ""));
    issuedKeys.add(session.token);
    return session.token;
  }

  before(async () => {
    system = running.admin;
    systemAdminId = ok(await as(system).call(AuthService.method.getAuthInfo, {})).user!.userId;
    for (const tenantId of ["acme", "globex"]) {
      ok(await call("rest", TenantRegistry.method.createTenant, { tenant: { tenantId, name: `${tenantId} Inc.` } }, system));
    }
    // A tenant admin each, made by the system admin with a password (it holds the admin universe).
    for (const tenantId of ["acme", "globex"]) {
      const created = ok(
        await as(system).call(UserRegistry.method.createUser, {
          user: { userId: `${tenantId}-admin`, admin: true, tenantId, password: PASSWORD },
        }),
      );
      expect(created.user?.tenantId).to.equal(tenantId);
    }
    ok(await as(system).call(UserRegistry.method.createUser, { user: { userId: "globex-user", tenantId: "globex" } }));
    ok(await as(system).call(UserRegistry.method.createUser, { user: { userId: "system-user" } }));
  });

  it("lets the system admin manage tenants on every door, with named validation errors", async () => {
    for (const door of EVERY_DOOR) {
      const got = ok(await call(door, TenantRegistry.method.getTenant, { tenantId: "acme" }, system));
      // REST answers GetTenant with the tenant itself (response_body).
      const tenant = (door === "rest" ? got : got.tenant) as { tenantId: string; name: string };
      expect(tenant.tenantId).to.equal("acme");
      const list = ok(await call(door, TenantRegistry.method.listTenants, { pageSize: 1 }, system));
      expect(list.totalSize).to.equal(2);
      expect(list.tenants).to.have.length(1);
      const missing = await call(door, TenantRegistry.method.getTenant, { tenantId: "initech" }, system);
      expect(missing).to.include({ ok: false, codeName: "NotFound", reason: "TENANT_NOT_FOUND" });
    }
    const bad = await as(system).call(TenantRegistry.method.createTenant, { tenant: { tenantId: "Bad Id", name: "x\u202Ey" } });
    expect(bad).to.include({ ok: false, codeName: "InvalidArgument", reason: "VALIDATION_FAILED" });
    expect(await as(system).call(TenantRegistry.method.createTenant, { tenant: { tenantId: "acme" } })).to.include({
      ok: false,
      reason: "TENANT_ALREADY_EXISTS",
    });
    const moved = await as(system).call(UserRegistry.method.updateUser, {
      user: { userId: "globex-user", tenantId: "acme" },
      updateMask: { paths: ["tenant_id"] },
    });
    expect(moved).to.include({ ok: false, codeName: "InvalidArgument", reason: "VALIDATION_FAILED" });
    const renamed = ok(
      await as(system).call(TenantRegistry.method.updateTenant, { tenant: { tenantId: "globex", name: "Globex Corporation" }, updateMask: { paths: ["name"] } }),
    );
    expect(renamed.tenant?.name).to.equal("Globex Corporation");
    const readOnly = await as(system).call(TenantRegistry.method.updateTenant, {
      tenant: { tenantId: "globex", name: "x" },
      updateMask: { paths: ["created_at"] },
    });
    expect(readOnly).to.include({ ok: false, reason: "VALIDATION_FAILED" });
    // A user in a tenant that does not exist is refused by name, and nothing is stored.
    const nowhere = await as(system).call(UserRegistry.method.createUser, { user: { userId: "lost-user", tenantId: "initech" } });
    expect(nowhere).to.include({ ok: false, codeName: "NotFound", reason: "TENANT_NOT_FOUND" });
    expect(await as(system).call(UserRegistry.method.getUser, { userId: "lost-user" })).to.include({ ok: false, reason: "USER_NOT_FOUND" });
  });

  it("refuses deleting a tenant with users (TENANT_NOT_EMPTY) and deletes an empty one", async () => {
    for (const door of EVERY_DOOR) {
      const refused = await call(door, TenantRegistry.method.deleteTenant, { tenantId: "globex" }, system);
      expect(refused).to.include({ ok: false, codeName: "FailedPrecondition", reason: "TENANT_NOT_EMPTY" });
    }
    ok(await as(system).call(TenantRegistry.method.createTenant, { tenant: { tenantId: "short-lived" } }));
    ok(await as(system).call(TenantRegistry.method.deleteTenant, { tenantId: "short-lived" }));
    expect(await as(system).call(TenantRegistry.method.getTenant, { tenantId: "short-lived" })).to.include({ reason: "TENANT_NOT_FOUND" });
  });

  describe("acme's admin", () => {
    const credentials: Record<"RIGHT_ALL key" | "password session", string> = { "RIGHT_ALL key": "", "password session": "" };
    const outsiders = ["globex-admin", "globex-user", "system-user"];
    let globexKeyId: string;
    let systemUserKeyId: string;

    before(async () => {
      credentials["RIGHT_ALL key"] = await keyFor("acme-admin", [Right.ALL]);
      credentials["password session"] = await signIn("acme-admin");
      globexKeyId = (await keyOf("globex-user")).id;
      systemUserKeyId = (await keyOf("system-user")).id;
      outsiders.push(systemAdminId);
    });

    async function keyOf(userId: string) {
      return ok(await as(system).call(ApiKeyRegistry.method.createApiKey, { userId, name: "victim", rights: [Right.USER_INFO] })).apiKey!;
    }

    for (const label of ["RIGHT_ALL key", "password session"] as const) {
      it(`with a ${label}: creates acme users and their keys, and lists exactly acme's users`, async () => {
        const credential = credentials[label];
        const made: string[] = [];
        for (const [i, door] of EVERY_DOOR.entries()) {
          const userId = `acme-${label.startsWith("RIGHT") ? "k" : "s"}-${i}`;
          // No tenant named: the user lands in acme; naming acme is the same.
          const created = ok(await call(door, UserRegistry.method.createUser, { user: { userId, ...(i % 2 ? { tenantId: "acme" } : {}) } }, credential));
          const user = (created as { user?: { tenantId: string } }).user;
          expect(user?.tenantId, door).to.equal("acme");
          made.push(userId);
          const key = ok(await call(door, ApiKeyRegistry.method.createApiKey, { userId, name: "k", rights: [Right.USER_ALL] }, credential));
          issuedKeys.add((key as { key: string }).key);
          // The new key works, and its owner reads itself in acme.
          const info = ok(await call("connect", AuthService.method.getAuthInfo, {}, (key as { key: string }).key));
          expect(info.user?.tenantId).to.equal("acme");
        }
        // A tenant admin's own key of its tenant's user can be touched (the key-access rule within the tenant).
        const listed = ok(await call("connect", ApiKeyRegistry.method.listApiKeys, { userId: made[0]! }, credential));
        ok(await call("connect", ApiKeyRegistry.method.regenerateApiKey, { userId: made[0]!, keyId: listed.apiKeys[0]!.id }, credential));
        for (const door of EVERY_DOOR) {
          const ids: string[] = [];
          const totals = new Set<number>();
          let pageToken = "";
          do {
            const page = ok(await call(door, UserRegistry.method.listUsers, { pageSize: 2, pageToken }, credential));
            ids.push(...page.users.map((u) => u.userId));
            totals.add(page.totalSize);
            pageToken = page.nextPageToken;
          } while (pageToken !== "");
          const everyAcmeUser = await acmeUsers();
          expect(ids, door).to.have.members(everyAcmeUser);
          expect([...totals], door).to.deep.equal([everyAcmeUser.length]);
          for (const id of made) expect(ids, door).to.include(id);
        }
      });

      it(`with a ${label}: gets NOT_FOUND for every globex or system user on every door, as for a missing user`, async () => {
        const credential = credentials[label];
        const keyIdOf: Record<string, string> = { "globex-user": globexKeyId, "system-user": systemUserKeyId };
        for (const door of EVERY_DOOR) {
          for (const target of [...outsiders, "nobody-here"]) {
            const keyId = keyIdOf[target] ?? generateKey().id;
            const attempts = {
              getUser: await call(door, UserRegistry.method.getUser, { userId: target }, credential),
              updateUser: await call(door, UserRegistry.method.updateUser, { user: { userId: target, name: "pwned" }, updateMask: { paths: ["name"] } }, credential),
              updatePassword: await call(door, UserRegistry.method.updatePassword, { userId: target, newPassword: "a new password 123" }, credential),
              deleteUser: await call(door, UserRegistry.method.deleteUser, { userId: target }, credential),
              listApiKeys: await call(door, ApiKeyRegistry.method.listApiKeys, { userId: target }, credential),
              createApiKey: await call(door, ApiKeyRegistry.method.createApiKey, { userId: target, name: "x", rights: [Right.USER_INFO] }, credential),
              getApiKey: await call(door, ApiKeyRegistry.method.getApiKey, { userId: target, keyId }, credential),
              updateApiKey: await call(door, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: target, id: keyId, name: "x" }, updateMask: { paths: ["name"] } }, credential),
              regenerateApiKey: await call(door, ApiKeyRegistry.method.regenerateApiKey, { userId: target, keyId }, credential),
              deleteApiKey: await call(door, ApiKeyRegistry.method.deleteApiKey, { userId: target, keyId }, credential),
              listSessions: await call(door, SessionRegistry.method.listSessions, { userId: target }, credential),
              deleteSession: await call(door, SessionRegistry.method.deleteSession, { userId: target, sessionId: generateKey().id }, credential),
            };
            for (const [rpc, outcome] of Object.entries(attempts)) {
              expect(outcome, `${door} ${rpc} ${target}`).to.deep.include({ ok: false, codeName: "NotFound", reason: "USER_NOT_FOUND" });
            }
          }
        }
        // Nothing changed for anyone outside: names, keys and the system admin's key all as they were.
        for (const target of outsiders) {
          const user = ok(await as(system).call(UserRegistry.method.getUser, { userId: target })).user!;
          expect(user.name, target).to.not.equal("pwned");
        }
        const globexKeys = ok(await as(system).call(ApiKeyRegistry.method.listApiKeys, { userId: "globex-user" }));
        expect(globexKeys.apiKeys.map((k) => k.id)).to.include(globexKeyId);
        ok(await as(system).call(AuthService.method.getAuthInfo, {}));
      });

      it(`with a ${label}: can never leave acme, touch tenants or hold RIGHT_ADMIN_TENANTS`, async () => {
        const credential = credentials[label];
        for (const door of EVERY_DOOR) {
          const elsewhere = await call(door, UserRegistry.method.createUser, { user: { userId: `escapee-${door}`, tenantId: "globex" } }, credential);
          expect(elsewhere, door).to.include({ ok: false, codeName: "NotFound", reason: "TENANT_NOT_FOUND" });
          const listOther = await call(door, UserRegistry.method.listUsers, { tenantId: "globex" }, credential);
          expect(listOther, door).to.include({ ok: false, codeName: "NotFound", reason: "TENANT_NOT_FOUND" });
          for (const attempt of [
            await call(door, TenantRegistry.method.listTenants, {}, credential),
            await call(door, TenantRegistry.method.getTenant, { tenantId: "acme" }, credential),
            await call(door, TenantRegistry.method.createTenant, { tenant: { tenantId: `mine-${door}` } }, credential),
            await call(door, TenantRegistry.method.deleteTenant, { tenantId: "globex" }, credential),
          ]) {
            expect(attempt, door).to.include({ ok: false, codeName: "PermissionDenied", reason: "INSUFFICIENT_RIGHTS" });
          }
        }
        // No key of acme's may carry the right, not even its admin's.
        const outside = await as(credential).call(ApiKeyRegistry.method.createApiKey, { userId: "acme-admin", name: "x", rights: [Right.ADMIN_TENANTS] });
        expect(outside).to.include({ ok: false, codeName: "PermissionDenied" });
        // Moving a user is refused; so is a system user, which is out of reach anyway.
        const move = await as(credential).call(UserRegistry.method.updateUser, { user: { userId: "acme-admin", tenantId: "" }, updateMask: { paths: ["tenant_id"] } });
        expect(move).to.include({ ok: false, reason: "VALIDATION_FAILED" });
        // GetAuthInfo names the tenant and leaves the system-only right out.
        const info = ok(await as(credential).call(AuthService.method.getAuthInfo, {}));
        expect(info.user?.tenantId).to.equal("acme");
        expect(info.tenant).to.deep.include({ tenantId: "acme", name: "acme Inc." });
        expect(info.rights).to.include(Right.ADMIN_USERS_WRITE);
        expect(info.rights).to.not.include(Right.ADMIN_TENANTS);
      });
    }

    it("tells forward auth the tenant: X-Keyward-Tenant-Id, empty for a system user", async () => {
      const check = (credential: string) =>
        fetch(new URL("/api/v1/auth/check?rights=RIGHT_ADMIN_USERS_READ", running.server.httpUrl), { headers: { authorization: `Bearer ${credential}` } });
      const acme = await check(credentials["RIGHT_ALL key"]);
      expect(acme.status).to.equal(200);
      expect(acme.headers.get("x-keyward-tenant-id")).to.equal("acme");
      const sys = await check(system);
      expect(sys.status).to.equal(200);
      expect(sys.headers.get("x-keyward-tenant-id")).to.equal("");
      const tenants = await fetch(new URL("/api/v1/auth/check?rights=RIGHT_ADMIN_TENANTS", running.server.httpUrl), {
        headers: { authorization: `Bearer ${credentials["RIGHT_ALL key"]}` },
      });
      expect(tenants.status).to.equal(403);
      expect(tenants.headers.get("x-keyward-reason")).to.equal("INSUFFICIENT_RIGHTS");
    });

    it("lets the system admin list one tenant's users and the whole set", async () => {
      const inAcme = ok(await as(system).call(UserRegistry.method.listUsers, { tenantId: "acme", pageSize: 1000 }));
      expect(inAcme.users.map((u) => u.userId)).to.have.members(await acmeUsers());
      const all = ok(await as(system).call(UserRegistry.method.listUsers, { pageSize: 1000 }));
      expect(all.users.map((u) => u.userId)).to.include.members(["system-user", "globex-user", "acme-admin", systemAdminId]);
      expect(await as(system).call(UserRegistry.method.listUsers, { tenantId: "initech" })).to.include({ reason: "TENANT_NOT_FOUND" });
    });

    /** acme's users, as the system admin sees them. */
    async function acmeUsers(): Promise<string[]> {
      return ok(await as(system).call(UserRegistry.method.listUsers, { tenantId: "acme", pageSize: 1000 })).users.map((u) => u.userId);
    }
  });
});

describe("e2e: tenants and keys stored before them", function () {
  this.timeout(120_000);

  it("gives a stored RIGHT_ALL or RIGHT_ADMIN_ALL row of a system admin RIGHT_ADMIN_TENANTS by expansion, and never a tenant admin's", async () => {
    // The rows are written straight into SQLite, as a release before tenants wrote them: rights as JSON
    // numbers, RIGHT_ALL = 10, RIGHT_ADMIN_ALL = 9. No migration touches them.
    let server = await startServer();
    const dataDir = server.dataDir;
    const admin = server.adminKey();
    issuedKeys.add(admin);
    let doors: Doors = openDoors(server.httpUrl, server.grpcAddress);
    const adminId = ok(await doors.call("connect", AuthService.method.getAuthInfo, {}, admin)).user!.userId;
    ok(await doors.call("connect", TenantRegistry.method.createTenant, { tenant: { tenantId: "acme" } }, admin));
    ok(await doors.call("connect", UserRegistry.method.createUser, { user: { userId: "acme-admin", admin: true, tenantId: "acme" } }, admin));
    doors.close();
    expect(await server.stop()).to.equal(0);
    const rows = { systemAll: generateKey(), systemAdminAll: generateKey(), tenantAll: generateKey() };
    const db = new Database(join(dataDir, "keyward.db"));
    const insert = db.prepare(`INSERT INTO api_keys (id, user_id, name, name_folded, rights, state, secret_hash, created_at, updated_at)
      VALUES (?, ?, 'old', 'old', ?, 'active', ?, 0, 0)`);
    insert.run(rows.systemAll.id, adminId, JSON.stringify([Right.ALL]), hashSecret(rows.systemAll.secret));
    insert.run(rows.systemAdminAll.id, adminId, JSON.stringify([Right.ADMIN_ALL, Right.USER_ALL]), hashSecret(rows.systemAdminAll.secret));
    insert.run(rows.tenantAll.id, "acme-admin", JSON.stringify([Right.ALL]), hashSecret(rows.tenantAll.secret));
    db.close();
    for (const row of Object.values(rows)) issuedKeys.add(row.key);
    server = await startServer({ dataDir });
    doors = openDoors(server.httpUrl, server.grpcAddress);
    try {
      for (const row of [rows.systemAll, rows.systemAdminAll]) {
        const info = ok(await doors.call("connect", AuthService.method.getAuthInfo, {}, row.key));
        expect(info.rights).to.include(Right.ADMIN_TENANTS);
        ok(await doors.call("grpc", TenantRegistry.method.createTenant, { tenant: { tenantId: `t-${randomBytes(3).toString("hex")}` } }, row.key));
      }
      const tenantInfo = ok(await doors.call("connect", AuthService.method.getAuthInfo, {}, rows.tenantAll.key));
      expect(tenantInfo.rights).to.not.include(Right.ADMIN_TENANTS);
      expect(await doors.call("grpc", TenantRegistry.method.listTenants, {}, rows.tenantAll.key)).to.include({ reason: "INSUFFICIENT_RIGHTS" });
    } finally {
      doors.close();
      await server.stop();
      removeDataDir(dataDir);
    }
  });
});
