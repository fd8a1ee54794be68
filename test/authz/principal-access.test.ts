/**
 * The principal-access rules on hand-made callers and records: the cases the end-to-end tests cannot
 * arrange on demand (a first password set by someone else between the read and the write, a suspended
 * admin as the subject), and the edges of self-service and of the grace rule.
 */
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import {
  enforceCreateKey,
  enforceCreateUser,
  enforceDeleteUser,
  enforceEndSession,
  enforceSetPassword,
  enforceTouchKey,
  enforceUpdateUser,
  passwordAccess,
  type Caller,
} from "../../src/authz/principal-access.js";
import { KeywardError } from "../../src/errors/errors.js";
import { rights } from "../../src/rights/index.js";
import type { ApiKeyRecord, UserRecord } from "../../src/store/store.js";

const T = new Date(Date.UTC(2026, 0, 1));

function user(userId: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return { userId, name: "", email: "", admin: false, state: "active", createdAt: T, updatedAt: T, ...overrides };
}

function key(owner: string, keyRights: number[]): ApiKeyRecord {
  return { id: `KEY${owner.toUpperCase()}`, userId: owner, name: "", rights: keyRights, state: "active", secretHash: "sha256:x", createdAt: T, updatedAt: T };
}

/** A caller: `owner` using a key with `keyRights`, on a method whose own-user rights are `ownUserRights`. */
function caller(owner: UserRecord, keyRights: number[], options: { ownUserRights?: number[]; superseded?: boolean } = {}): Caller {
  const held = rights.effective(keyRights, { admin: owner.admin, suspended: owner.state === "suspended" });
  return {
    principal: { user: owner, key: key(owner.userId, keyRights), session: undefined, rights: held, supersededSecret: options.superseded ?? false },
    ownUserRights: options.ownUserRights ?? [],
  };
}

/** The reason `run` refused with, or "OK". */
function answer(run: () => unknown): string {
  try {
    run();
    return "OK";
  } catch (error) {
    if (error instanceof KeywardError) return error.reason;
    throw error;
  }
}

const admin = user("root", { admin: true });
const alice = user("alice", { passwordSetAt: T });

describe("auth: principal access", () => {
  describe("user-access rule", () => {
    it("judges a suspended admin by the universe it gets back when reactivated", () => {
      const suspendedAdmin = user("sleeper", { admin: true, state: "suspended" });
      const narrow = caller(admin, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]);
      expect(answer(() => enforceSetPassword(narrow, suspendedAdmin, false))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceDeleteUser(narrow, suspendedAdmin))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceDeleteUser(caller(admin, [Right.ALL]), suspendedAdmin))).to.equal("OK");
    });

    it("needs the universe after the change too: promoting needs every right, demoting as well", () => {
      const narrow = caller(admin, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]);
      expect(answer(() => enforceUpdateUser(narrow, alice, { ...alice, admin: true }, ["admin"]))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceUpdateUser(narrow, { ...alice, admin: true }, alice, ["admin"]))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceUpdateUser(narrow, alice, { ...alice, name: "A" }, ["name"]))).to.equal("OK");
      expect(answer(() => enforceUpdateUser(caller(admin, [Right.ALL]), alice, { ...alice, admin: true }, ["admin"]))).to.equal("OK");
    });

    it("issuing a credential for another user is acting on that user: a new key, a regenerated secret, rights added to its key", () => {
      // A provisioning key holds a non-admin's universe but not an admin's: a key it issued an admin
      // could delete that admin with RIGHT_USER_DELETE, as self-service.
      const provisioning = caller(admin, [Right.ADMIN_API_KEYS, Right.USER_ALL]);
      const otherAdmin = user("other-admin", { admin: true });
      const adminKey = key("other-admin", [Right.USER_INFO]);
      expect(answer(() => enforceCreateKey(provisioning, otherAdmin, [Right.USER_DELETE]))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceTouchKey(provisioning, adminKey, { owner: otherAdmin, regenerates: true }))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceTouchKey(provisioning, adminKey, { owner: otherAdmin, rights: [Right.USER_INFO, Right.USER_DELETE] }))).to.equal(
        "INSUFFICIENT_RIGHTS",
      );
      // Taking rights away, disabling or deleting issues nothing.
      expect(answer(() => enforceTouchKey(provisioning, key("other-admin", [Right.USER_INFO, Right.USER_DELETE]), { owner: otherAdmin, rights: [Right.USER_INFO] }))).to.equal("OK");
      expect(answer(() => enforceTouchKey(provisioning, adminKey))).to.equal("OK");
      // A non-admin's universe it holds; its own user needs only the grant rule.
      expect(answer(() => enforceCreateKey(provisioning, alice, [Right.USER_DELETE]))).to.equal("OK");
      expect(answer(() => enforceTouchKey(provisioning, key("alice", [Right.USER_INFO]), { owner: alice, regenerates: true }))).to.equal("OK");
      expect(answer(() => enforceCreateKey(caller(admin, [Right.USER_SETTINGS_API_KEYS]), admin, [Right.USER_SETTINGS_API_KEYS]))).to.equal("OK");
    });

    it("names the missing rights and the user in its refusal", () => {
      let refusal: unknown;
      try {
        enforceEndSession(caller(admin, [Right.ADMIN_USERS_WRITE]), alice);
      } catch (error) {
        refusal = error;
      }
      expect(refusal).to.be.instanceOf(KeywardError);
      expect((refusal as KeywardError).code).to.equal("permission_denied");
      expect((refusal as KeywardError).metadata).to.include({ user_id: "alice", missing: "RIGHT_USER_INFO, RIGHT_USER_SETTINGS_BASIC, RIGHT_USER_SETTINGS_API_KEYS, RIGHT_USER_DELETE, RIGHT_USER_ALL, RIGHT_USER_EVENTS_READ" });
    });

    it("self-service: one's own rights decide on one's own user, but never for admin or state", () => {
      const self = caller(alice, [Right.USER_SETTINGS_BASIC], { ownUserRights: [Right.USER_SETTINGS_BASIC] });
      expect(answer(() => enforceUpdateUser(self, alice, { ...alice, name: "A" }, ["name"]))).to.equal("OK");
      expect(answer(() => enforceEndSession(self, alice))).to.equal("OK");
      expect(answer(() => enforceUpdateUser(self, alice, alice, ["state"]))).to.equal("INSUFFICIENT_RIGHTS");
      // Without the method's own-user rights it is not self-service: the user-access rule decides.
      const other = caller(alice, [Right.USER_INFO], { ownUserRights: [Right.USER_SETTINGS_BASIC] });
      expect(answer(() => enforceEndSession(other, alice))).to.equal("INSUFFICIENT_RIGHTS");
    });

    it("creating a plain user needs nothing more; with a password or as an admin, the new user's universe", () => {
      const narrow = caller(admin, [Right.ADMIN_USERS_WRITE]);
      expect(answer(() => enforceCreateUser(narrow, user("plain"), false))).to.equal("OK");
      expect(answer(() => enforceCreateUser(narrow, user("pw"), true))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceCreateUser(narrow, user("boss", { admin: true }), false))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceCreateUser(caller(admin, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]), user("pw"), true))).to.equal("OK");
    });
  });

  describe("passwords on one's own user", () => {
    const own = { ownUserRights: [Right.USER_SETTINGS_BASIC] };

    it("a first password needs the user's whole universe; a later one the current password", () => {
      const fresh = user("fresh");
      expect(answer(() => passwordAccess(caller(fresh, [Right.USER_SETTINGS_BASIC], own), fresh))).to.equal("INSUFFICIENT_RIGHTS");
      expect(passwordAccess(caller(fresh, [Right.USER_ALL], own), fresh)).to.equal("first password");
      expect(passwordAccess(caller(alice, [Right.USER_SETTINGS_BASIC], own), alice)).to.equal("current password");
    });

    it("a first password set by someone else since the caller looked makes the current one required, inside the write", () => {
      const fresh = user("fresh");
      const self = caller(fresh, [Right.USER_ALL], own);
      expect(passwordAccess(self, fresh)).to.equal("first password");
      const meanwhile = { ...fresh, passwordSetAt: T };
      expect(answer(() => enforceSetPassword(self, meanwhile, false))).to.equal("VALIDATION_FAILED");
      expect(answer(() => enforceSetPassword(self, meanwhile, true))).to.equal("OK");
    });
  });

  describe("grace rule", () => {
    const old = caller(admin, [Right.ALL], { superseded: true, ownUserRights: [Right.USER_SETTINGS_API_KEYS] });

    it("refuses every key change and create, every password, and granting admin", () => {
      const mine = key("root", [Right.USER_INFO]);
      for (const [what, run] of [
        ["create key", () => enforceCreateKey(old, admin, [Right.USER_INFO])],
        ["touch key", () => enforceTouchKey(old, mine)],
        ["change rights", () => enforceTouchKey(old, mine, { owner: admin, rights: [Right.USER_INFO] })],
        ["password", () => passwordAccess(old, alice)],
        ["create with password", () => enforceCreateUser(old, user("pw"), true)],
        ["create admin", () => enforceCreateUser(old, user("boss", { admin: true }), false)],
        ["promote", () => enforceUpdateUser(old, alice, { ...alice, admin: true }, ["admin"])],
      ] as const) {
        expect(answer(run), what).to.equal("API_KEY_SECRET_SUPERSEDED");
      }
    });

    it("lets everything else through to the other rules: it still authenticates the key's rights", () => {
      expect(answer(() => enforceCreateUser(old, user("plain"), false))).to.equal("OK");
      expect(answer(() => enforceUpdateUser(old, { ...alice, admin: true }, alice, ["admin"]))).to.equal("OK");
      expect(answer(() => enforceUpdateUser(old, alice, { ...alice, state: "suspended" }, ["state"]))).to.equal("OK");
      expect(answer(() => enforceDeleteUser(old, alice))).to.equal("OK");
      expect(answer(() => enforceEndSession(old, alice))).to.equal("OK");
    });
  });
});
