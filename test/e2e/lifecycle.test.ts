/**
 * The whole life of users and keys on the real server: every RPC for its rightful caller on every door,
 * immediate revocation even when the key was cached a moment before, expiry at its instant, regeneration
 * with a grace period, the secret shown only at create/regenerate, and reflection.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry, UserState } from "../../gen/keyward/v1/user_pb.js";
import { reflect } from "../transport/support/reflection-test-client.js";
import { DOORS, type DoorName, type Outcome } from "./support/doors.js";
import { ok, uniqueUserId } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("e2e: lifecycle", function () {
  const sut = useServer();
  /** Every response that must not carry a secret (all but create/regenerate). */
  const secretFreeResponses: unknown[] = [];

  /** A call whose response must not carry any secret. */
  async function call<T extends Outcome>(outcome: Promise<T>): Promise<T> {
    const result = await outcome;
    secretFreeResponses.push(result);
    return result;
  }

  const authInfo = (door: DoorName, key: string) => call(sut.doors.call(door, AuthService.method.getAuthInfo, {}, key));
  async function expectRevoked(key: string, reason: string) {
    for (const door of DOORS) {
      const outcome = await authInfo(door, key);
      expect(outcome.ok ? "ok" : `${outcome.codeName} ${outcome.reason}`, door).to.equal(`Unauthenticated ${reason}`);
    }
  }
  async function expectWorks(key: string) {
    for (const door of DOORS) expect((await authInfo(door, key)).ok, door).to.equal(true);
  }

  for (const door of DOORS) {
    it(`serves every RPC to its rightful caller over ${door}`, async () => {
      const userId = uniqueUserId(door.replace("-", ""));
      const created = ok(await call(sut.doors.call(door, UserRegistry.method.createUser, { user: { userId, name: "Ada", email: "ada@example.com" } }, sut.admin)));
      expect(created.user).to.include({ userId, name: "Ada", email: "ada@example.com", admin: false, state: UserState.ACTIVE });
      // The user's own key manages the user's own keys.
      const own = await sut.fx.key(userId, [Right.USER_ALL]);
      expect(ok(await call(sut.doors.call(door, UserRegistry.method.getUser, { userId }, own.key))).user?.name).to.equal("Ada");
      const listed = ok(await call(sut.doors.call(door, UserRegistry.method.listUsers, { pageSize: 1000 }, sut.admin)));
      expect(listed.users.map((u) => u.userId)).to.include(userId);
      expect(listed.totalSize).to.be.at.least(2);
      const renamed = ok(await call(sut.doors.call(door, UserRegistry.method.updateUser, { user: { userId, name: "Ada L." }, updateMask: { paths: ["name"] } }, own.key)));
      expect(renamed.user?.name).to.equal("Ada L.");
      expect(renamed.user?.email).to.equal("ada@example.com");

      const expiresAt = new Date(Date.now() + 86_400_000);
      const createdKey = ok(await sut.doors.call(door, ApiKeyRegistry.method.createApiKey, { userId, name: "ci", rights: [Right.USER_INFO], expiresAt: timestampFromDate(expiresAt) }, own.key));
      issuedKeys.add(createdKey.key);
      expect(createdKey.key).to.match(new RegExp(`^NNSXS\\.${createdKey.apiKey!.id}\\.[A-Z2-7]{52}$`));
      expect(createdKey.apiKey).to.include({ userId, name: "ci", state: ApiKeyState.ACTIVE });
      expect(createdKey.apiKey?.rights).to.deep.equal([Right.USER_INFO]);
      expect(createdKey.apiKey?.expiresAt?.seconds).to.equal(BigInt(Math.floor(expiresAt.getTime() / 1000)));
      const keyId = createdKey.apiKey!.id;

      const keys = ok(await call(sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId }, own.key)));
      expect(keys.apiKeys.map((k) => k.id)).to.deep.equal([keyId, own.apiKey.id]); // newest first
      expect(keys.totalSize).to.equal(2);
      const filtered = ok(await call(sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId, query: "CI" }, own.key)));
      expect(filtered.apiKeys.map((k) => k.id)).to.deep.equal([keyId]);
      expect(ok(await call(sut.doors.call(door, ApiKeyRegistry.method.getApiKey, { userId, keyId }, own.key))).apiKey?.name).to.equal("ci");
      const updated = ok(await call(sut.doors.call(door, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId, id: keyId, name: "ci-2", rights: [Right.USER_INFO, Right.USER_SETTINGS_BASIC] }, updateMask: { paths: ["name", "rights"] } }, own.key)));
      expect(updated.apiKey?.name).to.equal("ci-2");
      expect(updated.apiKey?.rights).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
      const regenerated = ok(await sut.doors.call(door, ApiKeyRegistry.method.regenerateApiKey, { userId, keyId }, own.key));
      issuedKeys.add(regenerated.key);
      expect(regenerated.apiKey?.id).to.equal(keyId);
      expect(regenerated.key).to.not.equal(createdKey.key);
      const info = ok(await authInfo(door, regenerated.key));
      expect(info.user?.userId).to.equal(userId);
      expect(info.apiKey?.id).to.equal(keyId);
      expect(info.rights).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
      ok(await call(sut.doors.call(door, ApiKeyRegistry.method.deleteApiKey, { userId, keyId }, own.key)));
      expect((await call(sut.doors.call(door, ApiKeyRegistry.method.getApiKey, { userId, keyId }, own.key))).ok).to.equal(false);

      ok(await call(sut.doors.call(door, UserRegistry.method.deleteUser, { userId }, own.key)));
      const gone = await call(sut.doors.call(door, UserRegistry.method.getUser, { userId }, sut.admin));
      expect(gone.ok ? "ok" : gone.reason).to.equal("USER_NOT_FOUND");
    });
  }

  describe("revocation is immediate on this node, even for a key cached a moment before", () => {
    const cases: Array<[string, (actor: { userId: string; key: string; id: string }) => Promise<unknown>, string]> = [
      ["delete", (a) => sut.doors.call("grpc", ApiKeyRegistry.method.deleteApiKey, { userId: a.userId, keyId: a.id }, sut.admin), "API_KEY_INVALID"],
      ["disable", (a) => sut.doors.call("grpc", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: a.userId, id: a.id, state: ApiKeyState.DISABLED }, updateMask: { paths: ["state"] } }, sut.admin), "API_KEY_DISABLED"],
      ["regenerate", async (a) => issuedKeys.add(ok(await sut.doors.call("grpc", ApiKeyRegistry.method.regenerateApiKey, { userId: a.userId, keyId: a.id }, sut.admin)).key), "API_KEY_INVALID"],
      ["suspend the user", (a) => sut.fx.suspend(a.userId), "USER_SUSPENDED"],
      ["delete the user", (a) => sut.doors.call("grpc", UserRegistry.method.deleteUser, { userId: a.userId }, sut.admin), "API_KEY_INVALID"],
    ];
    for (const [what, revoke, reason] of cases) {
      it(`after ${what}`, async () => {
        const actor = await sut.fx.actor([Right.USER_INFO]);
        await expectWorks(actor.key); // now cached on every door's path
        await revoke({ userId: actor.userId, key: actor.key, id: actor.apiKey.id });
        await expectRevoked(actor.key, reason);
      });
    }

    it("after a rights change", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]);
      ok(await sut.doors.call("grpc", ApiKeyRegistry.method.listApiKeys, { userId: actor.userId }, actor.key));
      ok(await sut.doors.call("grpc", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: actor.userId, id: actor.apiKey.id, rights: [Right.USER_INFO] }, updateMask: { paths: ["rights"] } }, sut.admin));
      for (const door of DOORS) {
        const outcome = await sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: actor.userId }, actor.key);
        expect(outcome.ok ? "ok" : outcome.reason, door).to.equal("INSUFFICIENT_RIGHTS");
      }
    });

    it("after an admin is demoted, the admin rights of their keys are gone", async () => {
      const actor = await sut.fx.actor([Right.ALL], { admin: true });
      ok(await sut.doors.call("grpc", UserRegistry.method.listUsers, {}, actor.key));
      ok(await sut.doors.call("grpc", UserRegistry.method.updateUser, { user: { userId: actor.userId, admin: false }, updateMask: { paths: ["admin"] } }, sut.admin));
      const outcome = await sut.doors.call("connect", UserRegistry.method.listUsers, {}, actor.key);
      expect(outcome.ok ? "ok" : outcome.reason).to.equal("INSUFFICIENT_RIGHTS");
    });
  });

  it("stops a key at its expiry instant", async () => {
    const userId = await sut.fx.user();
    const expiresAt = new Date(Date.now() + 1_500);
    const actor = await sut.fx.key(userId, [Right.USER_INFO], { expiresAt });
    await expectWorks(actor.key);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt.getTime() - Date.now()) + 50));
    await expectRevoked(actor.key, "API_KEY_EXPIRED");
  });

  it("keeps the old secret working through a regeneration's grace period only", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    const regenerated = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.regenerateApiKey, { userId: actor.userId, keyId: actor.apiKey.id, gracePeriod: { seconds: 60n } }, sut.admin));
    issuedKeys.add(regenerated.key);
    expect(regenerated.apiKey?.previousSecretValidUntil).to.not.equal(undefined);
    await expectWorks(actor.key);
    await expectWorks(regenerated.key);
    const again = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.regenerateApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, sut.admin));
    issuedKeys.add(again.key);
    await expectRevoked(actor.key, "API_KEY_INVALID");
    await expectRevoked(regenerated.key, "API_KEY_INVALID");
    await expectWorks(again.key);
  });

  it("refuses a grace period over 7 days and changes nothing", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    const outcome = await sut.doors.call("grpc", ApiKeyRegistry.method.regenerateApiKey, { userId: actor.userId, keyId: actor.apiKey.id, gracePeriod: { seconds: 8n * 86_400n } }, sut.admin);
    expect(outcome.ok ? "ok" : `${outcome.codeName} ${outcome.reason}`).to.equal(`${Code[Code.InvalidArgument]} VALIDATION_FAILED`);
    await expectWorks(actor.key);
  });

  it("enforces the per-user key cap with RESOURCE_EXHAUSTED", async () => {
    const userId = await sut.fx.user();
    const outcomes = await Promise.all(
      Array.from({ length: 105 }, () => sut.doors.call("grpc", ApiKeyRegistry.method.createApiKey, { userId, rights: [Right.USER_INFO] }, sut.admin)),
    );
    for (const outcome of outcomes) if (outcome.ok) issuedKeys.add(outcome.message.key);
    expect(outcomes.filter((o) => o.ok)).to.have.length(100);
    const refused = outcomes.find((o) => !o.ok);
    expect(refused && !refused.ok ? `${refused.codeName} ${refused.reason}` : "none").to.equal("ResourceExhausted API_KEY_LIMIT_REACHED");
  });

  it("records last_used_at off the request path", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    expect(actor.apiKey.lastUsedAt).to.equal(undefined);
    await expectWorks(actor.key);
    let lastUsed;
    for (let i = 0; i < 40 && !lastUsed; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lastUsed = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.getApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, sut.admin)).apiKey?.lastUsedAt;
    }
    expect(lastUsed, "last_used_at set within 4 s").to.not.equal(undefined);
  });

  it("lists the three services over gRPC server reflection, unauthenticated", async () => {
    const client = new grpc.Client(sut.server.grpcAddress, grpc.credentials.createInsecure());
    try {
      const [response] = await reflect(client, [{ listServices: "" }]);
      expect(response!.services).to.include.members(["keyward.v1.UserRegistry", "keyward.v1.ApiKeyRegistry", "keyward.v1.AuthService"]);
    } finally {
      client.close();
    }
  });

  it("lets `buf curl` discover and call every method by reflection", function () {
    const buf = join(ROOT, "node_modules/.bin/buf");
    const base = `http://${sut.server.grpcAddress}`;
    const listed = spawnSync(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "--list-methods", base], { encoding: "utf8" });
    expect(listed.status, listed.stderr).to.equal(0);
    // Keyward's 29 (EventRegistry's 2 and WebhookRegistry's 6 among them) and health's Check, Watch and List.
    expect(listed.stdout.trim().split("\n")).to.have.length(32).and.include.members(["keyward.v1.ApiKeyRegistry/RegenerateApiKey", "grpc.health.v1.Health/Check"]);
    const called = spawnSync(buf, ["curl", "--protocol", "grpc", "--http2-prior-knowledge", "-H", `authorization: Bearer ${sut.admin}`, `${base}/keyward.v1.AuthService/GetAuthInfo`], { encoding: "utf8" });
    expect(called.status, called.stderr).to.equal(0);
    expect(JSON.parse(called.stdout).user.userId).to.equal("admin");
  });

  it("returns the secret only from create and regenerate", () => {
    expect(issuedKeys.size).to.be.greaterThan(100);
    const responses = JSON.stringify(secretFreeResponses, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    expect(secretFreeResponses.length).to.be.greaterThan(30);
    const leaked = [...issuedKeys].filter((key) => responses.includes(key.split(".")[2]!));
    expect(leaked.length, "responses other than create/regenerate carrying a secret").to.equal(0);
  });
});
