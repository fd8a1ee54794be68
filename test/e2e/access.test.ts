/**
 * Every RPC for its rightful caller and refused for the wrong one, on all three doors, which must give
 * the same code and reason for the same call (ARCHITECTURE.md, "Rights and access" and "Credentials and errors").
 */
import { Code } from "@connectrpc/connect";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { generateKey } from "../../src/keys/index.js";
import { DOORS, type DoorName, type Outcome } from "./support/doors.js";
import { ok, uniqueUserId, type Actor } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

describe("e2e: access on every door", function () {
  const sut = useServer();

  /** Calls on every door; asserts they agree; returns the gRPC outcome. */
  async function onEveryDoor(call: (door: (typeof DOORS)[number]) => Promise<Outcome>): Promise<Outcome> {
    const outcomes: Outcome[] = [];
    for (const door of DOORS) outcomes.push(await call(door));
    const shape = (o: Outcome) => (o.ok ? "ok" : `${o.codeName} ${o.reason}`);
    expect(outcomes.map(shape), "every door answers alike").to.deep.equal(outcomes.map(() => shape(outcomes[0]!)));
    return outcomes[0]!;
  }

  function expectRefused(outcome: Outcome, code: Code, reason: string): Extract<Outcome, { ok: false }> {
    if (outcome.ok) expect.fail(`expected ${Code[code]} ${reason}, got success`);
    expect(`${outcome.codeName} ${outcome.reason}`).to.equal(`${Code[code]} ${reason}`);
    return outcome;
  }

  describe("credentials (UNAUTHENTICATED, checked in ARCHITECTURE.md, 'Credentials and errors' order)", () => {
    const authInfo = (key?: string, headers?: Record<string, string>) =>
      onEveryDoor((door) => sut.doors.call(door, AuthService.method.getAuthInfo, {}, key, headers));

    it("no credentials → CREDENTIALS_MISSING", async () => {
      expectRefused(await authInfo(), Code.Unauthenticated, "CREDENTIALS_MISSING");
    });

    it("malformed key → CREDENTIALS_MALFORMED, naming the problem", async () => {
      const outcome = expectRefused(await authInfo("NNSXS.not-a-key"), Code.Unauthenticated, "CREDENTIALS_MALFORMED");
      expect(outcome.message).to.contain("98 characters");
      const typo = sut.admin.slice(0, 20) + (sut.admin[20] === "A" ? "B" : "A") + sut.admin.slice(21);
      const mistyped = expectRefused(await authInfo(typo), Code.Unauthenticated, "CREDENTIALS_MALFORMED");
      expect(mistyped.message).to.contain("checksum").and.not.contain(typo);
      // The last character of a secret can only be A or Q (4 unused bits); any other letter is still in
      // the alphabet, so the reason is the checksum, not "A-Z and 2-7".
      const lastTypo = `${sut.admin.slice(0, -1)}B`;
      const last = expectRefused(await authInfo(lastTypo), Code.Unauthenticated, "CREDENTIALS_MALFORMED");
      expect(last.message).to.contain("checksum does not match").and.contain("typo").and.not.contain("A-Z");
    });

    it("wrong scheme → CREDENTIALS_MALFORMED", async () => {
      expectRefused(await authInfo(undefined, { authorization: `Basic ${sut.admin}` }), Code.Unauthenticated, "CREDENTIALS_MALFORMED");
      expectRefused(await authInfo(undefined, { authorization: sut.admin }), Code.Unauthenticated, "CREDENTIALS_MALFORMED");
    });

    it("unknown id and wrong secret → the same API_KEY_INVALID", async () => {
      const unknown = expectRefused(await authInfo(generateKey().key), Code.Unauthenticated, "API_KEY_INVALID");
      const actor = await sut.fx.actor([Right.USER_INFO]);
      const wrongSecret = expectRefused(await authInfo(generateKey(actor.apiKey.id).key), Code.Unauthenticated, "API_KEY_INVALID");
      expect(wrongSecret.message).to.equal(unknown.message);
    });

    it("disabled key → API_KEY_DISABLED; enabled again → works", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      await setKeyState(actor, ApiKeyState.DISABLED);
      expectRefused(await authInfo(actor.key), Code.Unauthenticated, "API_KEY_DISABLED");
      await setKeyState(actor, ApiKeyState.ACTIVE);
      expect((await authInfo(actor.key)).ok).to.equal(true);
    });

    it("suspended owner → USER_SUSPENDED, keys kept; reactivated → works", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      await sut.fx.suspend(actor.userId);
      expectRefused(await authInfo(actor.key), Code.Unauthenticated, "USER_SUSPENDED");
      await sut.fx.suspend(actor.userId, false);
      expect((await authInfo(actor.key)).ok).to.equal(true);
    });

    it("X-Authorization: ApiKey works; Authorization wins when both are sent", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      const viaThingsBoard = ok(await sut.doors.call("connect", AuthService.method.getAuthInfo, {}, undefined, { "x-authorization": `ApiKey ${actor.key}` }));
      expect(viaThingsBoard.user?.userId).to.equal(actor.userId);
      const both = ok(await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, sut.admin, { "x-authorization": `apikey ${actor.key}` }));
      expect(both.user?.userId).to.equal("admin");
    });
  });

  describe("rights (PERMISSION_DENIED names the missing rights)", () => {
    it("a key lacking the right is refused before the handler runs", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      const outcome = expectRefused(
        await onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: actor.userId }, actor.key)),
        Code.PermissionDenied,
        "INSUFFICIENT_RIGHTS",
      );
      expect(outcome.message).to.contain("RIGHT_USER_SETTINGS_API_KEYS");
      expect(outcome.metadata["missing"]).to.equal("RIGHT_USER_SETTINGS_API_KEYS");
    });

    it("a non-admin acting on another user is refused; another user's key id under one's own path is NOT_FOUND", async () => {
      const alice = await sut.fx.actor([Right.USER_ALL]);
      const bob = await sut.fx.actor([Right.USER_ALL]);
      for (const call of [
        (door: (typeof DOORS)[number]) => sut.doors.call(door, UserRegistry.method.getUser, { userId: bob.userId }, alice.key),
        (door: (typeof DOORS)[number]) => sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: bob.userId }, alice.key),
        (door: (typeof DOORS)[number]) => sut.doors.call(door, UserRegistry.method.deleteUser, { userId: bob.userId }, alice.key),
        (door: (typeof DOORS)[number]) => sut.doors.call(door, UserRegistry.method.listUsers, {}, alice.key),
      ]) {
        expectRefused(await onEveryDoor(call), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      }
      expectRefused(
        await onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.getApiKey, { userId: alice.userId, keyId: bob.apiKey.id }, alice.key)),
        Code.NotFound,
        "API_KEY_NOT_FOUND",
      );
      expectRefused(
        await onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.deleteApiKey, { userId: alice.userId, keyId: bob.apiKey.id }, alice.key)),
        Code.NotFound,
        "API_KEY_NOT_FOUND",
      );
      // Bob's key still works: nothing was deleted.
      expect((await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, bob.key)).ok).to.equal(true);
    });

    it("a user cannot make themselves admin or unsuspend themselves", async () => {
      const alice = await sut.fx.actor([Right.USER_ALL]);
      expectRefused(
        await onEveryDoor((door) =>
          sut.doors.call(door, UserRegistry.method.updateUser, { user: { userId: alice.userId, admin: true }, updateMask: { paths: ["admin"] } }, alice.key),
        ),
        Code.PermissionDenied,
        "INSUFFICIENT_RIGHTS",
      );
    });

    it("an empty subject user id is INVALID_ARGUMENT, not a guess", async () => {
      const alice = await sut.fx.actor([Right.USER_ALL]);
      expectRefused(
        await onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: "" }, alice.key)),
        Code.InvalidArgument,
        "VALIDATION_FAILED",
      );
    });
  });

  describe("each RPC needs exactly its declared right", () => {
    const USER_RIGHTS = [Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS, Right.USER_DELETE];
    // [RPC, the right it needs on one's own user (the admin right when it acts on no single user), call]
    const cases: Array<[string, Right, (self: string, keyId: string, key: string, door: (typeof DOORS)[number]) => Promise<Outcome>]> = [
      ["GetUser", Right.USER_INFO, (self, _id, key, door) => sut.doors.call(door, UserRegistry.method.getUser, { userId: self }, key)],
      ["UpdateUser", Right.USER_SETTINGS_BASIC, (self, _id, key, door) => sut.doors.call(door, UserRegistry.method.updateUser, { user: { userId: self, name: "n" }, updateMask: { paths: ["name"] } }, key)],
      ["DeleteUser", Right.USER_DELETE, (self, _id, key, door) => sut.doors.call(door, UserRegistry.method.deleteUser, { userId: self }, key)],
      ["CreateApiKey", Right.USER_SETTINGS_API_KEYS, (self, _id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.createApiKey, { userId: self, rights: [Right.USER_SETTINGS_API_KEYS] }, key)],
      ["ListApiKeys", Right.USER_SETTINGS_API_KEYS, (self, _id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: self }, key)],
      ["GetApiKey", Right.USER_SETTINGS_API_KEYS, (self, id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.getApiKey, { userId: self, keyId: id }, key)],
      ["UpdateApiKey", Right.USER_SETTINGS_API_KEYS, (self, id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: self, id, name: "n" }, updateMask: { paths: ["name"] } }, key)],
      ["DeleteApiKey", Right.USER_SETTINGS_API_KEYS, (self, id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.deleteApiKey, { userId: self, keyId: id }, key)],
      ["RegenerateApiKey", Right.USER_SETTINGS_API_KEYS, (self, id, key, door) => sut.doors.call(door, ApiKeyRegistry.method.regenerateApiKey, { userId: self, keyId: id }, key)],
      ["CreateUser", Right.ADMIN_USERS_WRITE, (_self, _id, key, door) => sut.doors.call(door, UserRegistry.method.createUser, { user: { userId: uniqueUserId() } }, key)],
      ["ListUsers", Right.ADMIN_USERS_READ, (_self, _id, key, door) => sut.doors.call(door, UserRegistry.method.listUsers, {}, key)],
    ];
    for (const [rpc, needed, callAs] of cases) {
      it(`${rpc}: refused without ${Right[needed]}, allowed with it`, async () => {
        const self = await sut.fx.user();
        const everythingElse = await sut.fx.key(self, USER_RIGHTS.filter((r) => r !== needed));
        // The target key needs no right the holder lacks: touching a key needs every right it has.
        const target = await sut.fx.key(self, [Right.USER_SETTINGS_API_KEYS]);
        const refused = expectRefused(
          await onEveryDoor((door) => callAs(self, target.apiKey.id, everythingElse.key, door)),
          Code.PermissionDenied,
          "INSUFFICIENT_RIGHTS",
        );
        expect(refused.metadata["missing"]).to.equal(`RIGHT_${Right[needed]}`);
        if (needed === Right.ADMIN_USERS_WRITE || needed === Right.ADMIN_USERS_READ) {
          const admin = await sut.fx.actor([needed], { admin: true });
          ok(await callAs(admin.userId, target.apiKey.id, admin.key, "grpc"));
        } else {
          const holder = await sut.fx.key(self, [needed]);
          const outcome = await callAs(self, target.apiKey.id, holder.key, "grpc");
          if (outcome.ok && "key" in outcome.message && typeof outcome.message.key === "string") issuedKeys.add(outcome.message.key);
          ok(outcome);
        }
      });
    }
  });

  describe("the escalation matrix (grant rule)", () => {
    let scoped: Actor;
    before(async () => {
      scoped = await sut.fx.actor([Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]);
    });
    const create = (actor: Actor, rights: Right[], userId = actor.userId) =>
      onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.createApiKey, { userId, name: "x", rights }, actor.key));

    it("a scoped key cannot create a key with more rights", async () => {
      const outcome = expectRefused(await create(scoped, [Right.USER_INFO, Right.USER_DELETE]), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      expect(outcome.message).to.contain("RIGHT_USER_DELETE").and.not.contain("RIGHT_USER_INFO,");
      expectRefused(await create(scoped, [Right.USER_ALL]), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
    });

    it("a scoped key can create a key with a subset of its rights", async () => {
      const outcomes = await Promise.all(DOORS.map((door) => sut.doors.call(door, ApiKeyRegistry.method.createApiKey, { userId: scoped.userId, rights: [Right.USER_INFO] }, scoped.key)));
      for (const outcome of outcomes) issuedKeys.add(ok(outcome).key);
    });

    it("a scoped key cannot add or remove rights it lacks", async () => {
      const target = await sut.fx.key(scoped.userId, [Right.USER_INFO, Right.USER_DELETE]);
      const update = (rights: Right[]) =>
        onEveryDoor((door) =>
          sut.doors.call(door, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: scoped.userId, id: target.apiKey.id, rights }, updateMask: { paths: ["rights"] } }, scoped.key),
        );
      expectRefused(await update([Right.USER_INFO]), Code.PermissionDenied, "INSUFFICIENT_RIGHTS"); // removes USER_DELETE
      expectRefused(await update([Right.USER_INFO, Right.USER_DELETE, Right.USER_SETTINGS_BASIC]), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      // On a key it may touch (it holds every right of it), it may still add and remove only rights it holds.
      const narrow = await sut.fx.key(scoped.userId, [Right.USER_INFO]);
      const updateNarrow = (rights: Right[], door: DoorName = "grpc") =>
        sut.doors.call(door, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: scoped.userId, id: narrow.apiKey.id, rights }, updateMask: { paths: ["rights"] } }, scoped.key);
      expectRefused(await onEveryDoor((door) => updateNarrow([Right.USER_INFO, Right.USER_SETTINGS_BASIC], door)), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      const swapped = ok(await updateNarrow([Right.USER_SETTINGS_API_KEYS]));
      expect(swapped.apiKey?.rights).to.deep.equal([Right.USER_SETTINGS_API_KEYS]);
    });

    it("a scoped key cannot act for another user", async () => {
      const other = await sut.fx.user();
      expectRefused(await create(scoped, [Right.USER_INFO], other), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
    });

    it("an admin key limited to RIGHT_ADMIN_API_KEYS cannot mint RIGHT_ALL, nor rights it lacks", async () => {
      const limited = await sut.fx.actor([Right.ADMIN_API_KEYS], { admin: true });
      const otherAdmin = await sut.fx.user({ admin: true });
      expectRefused(await create(limited, [Right.ALL], otherAdmin), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      expectRefused(await create(limited, [Right.USER_INFO], otherAdmin), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
      ok(await sut.doors.call("grpc", ApiKeyRegistry.method.listApiKeys, { userId: otherAdmin }, limited.key));
    });

    it("a key cannot carry rights outside its owner's universe", async () => {
      const user = await sut.fx.user();
      expectRefused(
        await onEveryDoor((door) => sut.doors.call(door, ApiKeyRegistry.method.createApiKey, { userId: user, rights: [Right.ADMIN_USERS_READ] }, sut.admin)),
        Code.PermissionDenied,
        "RIGHTS_OUTSIDE_OWNER_UNIVERSE",
      );
    });

    it("GetAuthInfo answers what the key holds now: a change shows at once on every door and REST, cached or not", async () => {
      const user = await sut.fx.user();
      const actor = await sut.fx.key(user, [Right.USER_INFO, Right.USER_DELETE]);
      // Twice per door: after the first call, answers come from the cached principal's kept answer and its
      // once-made encodings, which a change must not outlive.
      const answersNow = async () => {
        const answers: { rights: unknown; keyRights: unknown; name: unknown }[] = [];
        for (let i = 0; i < 2; i++) {
          for (const door of DOORS) {
            const info = ok(await sut.doors.call(door, AuthService.method.getAuthInfo, {}, actor.key));
            answers.push({ rights: info.rights.map((r) => Right[r]), keyRights: info.apiKey?.rights.map((r) => Right[r]), name: info.user?.name });
          }
          const response = await fetch(`${sut.server.httpUrl}/api/v1/auth_info`, { headers: { authorization: `Bearer ${actor.key}` } });
          const json = (await response.json()) as { rights: string[]; apiKey: { rights: string[] }; user: { name: string } };
          answers.push({ rights: json.rights.map((r) => r.replace(/^RIGHT_/, "")), keyRights: json.apiKey.rights.map((r) => r.replace(/^RIGHT_/, "")), name: json.user.name });
        }
        return answers;
      };
      const expected = (rights: string[], name: string) => Array(2 * (DOORS.length + 1)).fill({ rights, keyRights: rights, name });
      const before = await answersNow();
      expect(before).to.deep.equal(expected(["USER_INFO", "USER_DELETE"], before[0]!.name as string));
      ok(await sut.doors.call("connect", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: user, id: actor.apiKey.id, rights: [Right.USER_INFO] }, updateMask: { paths: ["rights"] } }, sut.admin));
      ok(await sut.doors.call("grpc", UserRegistry.method.updateUser, { user: { userId: user, name: "Renamed" }, updateMask: { paths: ["name"] } }, sut.admin));
      expect(await answersNow()).to.deep.equal(expected(["USER_INFO"], "Renamed"));
    });

    it("a RIGHT_USER_ALL key holds every user right, itself included, and no admin right", async () => {
      const user = await sut.fx.user();
      const all = await sut.fx.key(user, [Right.USER_ALL]);
      const info = ok(await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, all.key));
      expect(info.rights).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS, Right.USER_DELETE, Right.USER_ALL, Right.USER_EVENTS_READ]);
    });
  });

  async function setKeyState(actor: Actor, state: ApiKeyState) {
    ok(await sut.doors.call("connect", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: actor.userId, id: actor.apiKey.id, state }, updateMask: { paths: ["state"] } }, sut.admin));
  }

  it("uses a fresh user id per fixture", () => {
    expect(uniqueUserId()).to.not.equal(uniqueUserId());
  });
});
