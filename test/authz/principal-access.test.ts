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
  enforceRotateSelf,
  enforceEndSession,
  enforceSetPassword,
  enforceTouchKey,
  enforceUpdateUser,
  loosening,
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
function caller(
  owner: UserRecord,
  keyRights: number[],
  options: { ownUserRights?: number[]; superseded?: boolean; limits?: Partial<ApiKeyRecord> } = {},
): Caller {
  const held = rights.effective(keyRights, { admin: owner.admin, suspended: owner.state === "suspended" });
  return {
    principal: {
      user: owner,
      key: { ...key(owner.userId, keyRights), ...options.limits },
      session: undefined,
      rights: held,
      supersededSecret: options.superseded ?? false,
    },
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

  describe("metered rule", () => {
    const MIN = 60_000;
    const limited = { rateLimit: { requests: 10, periodMs: 1000 } };
    const counted = { remainingUses: 100, refilledAt: T };
    const own = [Right.USER_SETTINGS_API_KEYS];
    const other = key("alice", [Right.USER_INFO]);

    it("refuses a key with a rate limit or uses every way to mint a credential; an unmetered key and a session pass", () => {
      for (const limits of [limited, counted]) {
        const metered = caller(admin, [Right.ALL], { limits, ownUserRights: own });
        const self = metered.principal.key!;
        for (const [what, run] of [
          ["create key", () => enforceCreateKey(metered, admin, [Right.USER_INFO])],
          ["regenerate another key", () => enforceTouchKey(metered, other, { owner: alice, regenerates: true })],
          ["set own password", () => passwordAccess(metered, admin)],
          ["set another's password", () => passwordAccess(metered, alice)],
          ["create user with password", () => enforceCreateUser(metered, user("pw"), true)],
        ] as const) {
          expect(answer(run), what).to.equal("API_KEY_METERED");
        }
        // Itself: by id (the key-access rule then decides) and as `self` (the grace rule alone).
        expect(answer(() => enforceTouchKey(metered, self, { owner: admin, regenerates: true }))).to.equal("OK");
        expect(answer(() => enforceRotateSelf(metered, self))).to.equal("OK");
        expect(answer(() => enforceCreateUser(metered, user("plain"), false))).to.equal("OK");
      }
      const free = caller(admin, [Right.ALL], { ownUserRights: own });
      expect(answer(() => enforceCreateKey(free, admin, [Right.USER_INFO]))).to.equal("OK");
      expect(answer(() => enforceTouchKey(free, other, { owner: alice, regenerates: true }))).to.equal("OK");
      const session = { ...free, principal: { ...free.principal, key: undefined, session: { id: "S", userId: "root" } as never } };
      expect(answer(() => enforceCreateKey(session, admin, [Right.USER_INFO]))).to.equal("OK");
    });

    it("judges the caller's own key as stored inside the write: a limit set since it was verified counts", () => {
      const verified = caller(admin, [Right.ALL]);
      const stored = { ...verified.principal.key!, ...limited };
      const later = key("root2", [Right.USER_INFO]);
      expect(answer(() => enforceTouchKey(verified, stored, { owner: admin, after: { key: {}, now: T } }))).to.equal("API_KEY_METERED");
      expect(answer(() => enforceTouchKey(verified, later, { owner: admin, regenerates: true }))).to.equal("OK");
    });

    it("names loosening exactly: removing or raising any limit, in amount or per time; lowering passes", () => {
      const rate = (requests: number, periodMs: number) => ({ rateLimit: { requests, periodMs } });
      const uses = (remainingUses: number, refill?: { amount: number; periodMs: number }) => ({ remainingUses, refilledAt: T, ...(refill ? { refill } : {}) });
      const cases: [string, object, object, string | undefined][] = [
        ["same rate", rate(10, 1000), rate(10, 1000), undefined],
        ["fewer requests", rate(10, 1000), rate(5, 1000), undefined],
        ["longer window", rate(10, 1000), rate(10, 2000), undefined],
        ["same ratio, more requests", rate(10, 1000), rate(20, 2000), "remove or raise a rate limit"],
        ["shorter window", rate(10, 1000), rate(10, 999), "remove or raise a rate limit"],
        ["removed rate", rate(10, 1000), {}, "remove or raise a rate limit"],
        ["added rate", {}, rate(1, 1000), undefined],
        ["fewer uses", uses(100), uses(99), undefined],
        ["more uses", uses(100), uses(101), "remove or raise remaining uses"],
        ["unlimited uses", uses(100), {}, "remove or raise remaining uses"],
        ["added uses", {}, uses(5), undefined],
        ["added refill", uses(100), uses(100, { amount: 1, periodMs: 366 * 86_400_000 }), "add or raise a refill"],
        ["bigger refill", uses(100, { amount: 10, periodMs: MIN }), uses(100, { amount: 11, periodMs: MIN }), "add or raise a refill"],
        ["faster refill", uses(100, { amount: 10, periodMs: 2 * MIN }), uses(100, { amount: 10, periodMs: MIN }), "add or raise a refill"],
        ["slower refill", uses(100, { amount: 10, periodMs: MIN }), uses(100, { amount: 10, periodMs: 2 * MIN }), undefined],
        ["removed refill", uses(100, { amount: 10, periodMs: MIN }), uses(100), undefined],
      ];
      for (const [what, before, after, expected] of cases) expect(loosening(before, after, T), what).to.equal(expected);
      // Uses are compared as of now: a refill that fell due counts, so setting the count to it is no raise.
      const due = { remainingUses: 0, refilledAt: T, refill: { amount: 50, periodMs: MIN } };
      const later = new Date(T.getTime() + MIN);
      expect(loosening(due, { ...due, remainingUses: 50, refilledAt: later }, later)).to.equal(undefined);
      expect(loosening(due, { ...due, remainingUses: 50, refilledAt: T }, T)).to.equal("remove or raise remaining uses");
    });

    it("refuses a metered key loosening any key, itself included, and lets an unmetered one", () => {
      const metered = caller(admin, [Right.ALL], { limits: limited });
      const self = metered.principal.key!;
      const raise = { key: { rateLimit: { requests: 11, periodMs: 1000 } }, now: T };
      expect(answer(() => enforceTouchKey(metered, self, { owner: admin, after: raise }))).to.equal("API_KEY_METERED");
      const narrowOther = { ...key("root", [Right.USER_INFO]), id: "KEYOTHER", remainingUses: 3, refilledAt: T };
      expect(answer(() => enforceTouchKey(metered, narrowOther, { owner: admin, after: { key: {}, now: T } }))).to.equal("API_KEY_METERED");
      expect(answer(() => enforceTouchKey(metered, narrowOther, { owner: admin, after: { key: { remainingUses: 2, refilledAt: T }, now: T } }))).to.equal("OK");
      const free = caller(admin, [Right.ALL]);
      expect(answer(() => enforceTouchKey(free, narrowOther, { owner: admin, after: { key: {}, now: T } }))).to.equal("OK");
    });

    it("self-rotation applies the grace rule only: an old secret is refused, a shrunken universe is not", () => {
      const old = caller(admin, [Right.ALL], { superseded: true });
      expect(answer(() => enforceRotateSelf(old, old.principal.key!))).to.equal("API_KEY_SECRET_SUPERSEDED");
      // The owner lost admin: the key's ADMIN rights are outside its universe, so the key-access rule
      // would refuse a regenerate by id; rotating itself hands out nothing more than it has.
      const demoted = caller(user("root"), [Right.ALL]);
      expect(answer(() => enforceTouchKey(demoted, demoted.principal.key!, { owner: user("root"), regenerates: true }))).to.equal("INSUFFICIENT_RIGHTS");
      expect(answer(() => enforceRotateSelf(demoted, demoted.principal.key!))).to.equal("OK");
      expect(() => enforceRotateSelf(demoted, key("alice", [Right.USER_INFO]))).to.throw("not the caller's own");
    });
  });
});
