// Guards decided inside a write: the last active admin, and a caller's checks on the key it deletes, the
// owner it creates or changes a key of, and the user it deletes, sets a password of or ends a session of.
import { expect } from "chai";
import type { ApiKeyRecord, PasswordRecord, UserRecord } from "../../../src/store/store.js";
import { NO_CAP, absentIfNotFound, apiKeyRecord, at, expectStoreError, newKeyId, newUserId, rejectionOf, userRecord } from "./fixtures.js";
import { sessionRecord } from "./sessions.js";
import type { StoreUnderTest } from "./store-under-test.js";

/** A guard that records what it saw, then refuses with `refusal` (or accepts when there is none). */
function recordingGuard(refusal?: Error): { seen: UserRecord[]; guard: (user: UserRecord) => void } {
  const seen: UserRecord[] = [];
  return {
    seen,
    guard: (user) => {
      seen.push(user);
      if (refusal) throw refusal;
    },
  };
}

/** How many times the concurrent last-admin race is run per variant. */
const RACE_ROUNDS = 10;

export function describeGuards(subject: StoreUnderTest): void {
  describe("last active admin", () => {
    it("refuses demoting or suspending the only active admin with last_admin (user) and writes nothing", async () => {
      const admin = userRecord({ admin: true });
      await subject.store.createUser(admin);
      await subject.store.createUser(userRecord({ admin: true, state: "suspended" })); // does not count
      const demote = await expectStoreError(subject.store.updateUser(admin.userId, (u) => ({ ...u, admin: false })), "last_admin", "user");
      expect(demote.subjectId).to.equal(admin.userId);
      await expectStoreError(subject.store.updateUser(admin.userId, (u) => ({ ...u, state: "suspended" })), "last_admin", "user");
      expect(await subject.store.getUser(admin.userId)).to.deep.equal(admin);
      // Changes that keep the admin active and an admin go through.
      const renamed = await subject.store.updateUser(admin.userId, (u) => ({ ...u, name: "Still admin" }));
      expect(renamed.name).to.equal("Still admin");
    });

    it("lets an admin go while another active admin remains", async () => {
      const first = userRecord({ admin: true });
      const second = userRecord({ admin: true });
      await subject.store.createUser(first);
      await subject.store.createUser(second);
      await subject.store.updateUser(first.userId, (u) => ({ ...u, admin: false }));
      expect(await subject.store.countActiveAdmins()).to.equal(1);
      await expectStoreError(subject.store.deleteUser(second.userId), "last_admin", "user");
    });

    it("refuses deleting the last active admin and keeps the user and their keys", async () => {
      const admin = userRecord({ admin: true });
      await subject.store.createUser(admin);
      const key = apiKeyRecord(admin.userId);
      await subject.store.createApiKey(key, NO_CAP);
      await expectStoreError(subject.store.deleteUser(admin.userId), "last_admin", "user");
      expect(await subject.store.getUser(admin.userId)).to.deep.equal(admin);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

    it("leaves a store without active admins free to change users that are not one", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      await subject.store.updateUser(user.userId, (u) => ({ ...u, state: "suspended" }));
      await subject.store.deleteUser(user.userId);
      expect(await subject.store.countActiveAdmins()).to.equal(0);
    });

    for (const variant of ["demote each other", "suspend each other", "delete each other", "each demote itself"] as const) {
      it(`keeps an active admin when the last two ${variant} at once (${RACE_ROUNDS} rounds)`, async () => {
        // Each round races the only two active admins: the previous round's survivor and a new one.
        let survivor = userRecord({ admin: true });
        await subject.store.createUser(survivor);
        for (let round = 0; round < RACE_ROUNDS; round++) {
          const newcomer = userRecord({ admin: true });
          await subject.store.createUser(newcomer);
          const pair = [survivor, newcomer];
          const results = await Promise.allSettled(
            pair.map((admin, i) => {
              // "each other": each call acts on the other admin; "itself": on its own user.
              const target = variant === "each demote itself" ? admin : pair[1 - i]!;
              if (variant === "delete each other") return subject.store.deleteUser(target.userId);
              const change = variant === "suspend each other" ? { state: "suspended" as const } : { admin: false };
              return subject.store.updateUser(target.userId, (u) => ({ ...u, ...change }));
            }),
          );
          const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
          expect(refused, `round ${round}: exactly one of the two is refused`).to.have.length(1);
          await expectStoreError(Promise.reject(refused[0]!.reason), "last_admin", "user");
          expect(await subject.store.countActiveAdmins(), `round ${round}`).to.equal(1);
          // A deleted admin reads as absent; any other failure fails the test.
          const remaining = await Promise.all(pair.map((admin) => subject.store.getUser(admin.userId).catch(absentIfNotFound)));
          survivor = remaining.find((user) => user !== undefined && user.admin && user.state === "active")!;
        }
      });
    }
  });

  describe("delete guard", () => {
    it("shows the guard the stored key and deletes it when the guard accepts", async () => {
      const owner = userRecord();
      await subject.store.createUser(owner);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      let seen: ApiKeyRecord | undefined;
      await subject.store.deleteApiKey(owner.userId, key.id, (current) => {
        seen = current;
      });
      expect(seen).to.deep.equal(key);
      expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
      expect(await subject.store.countApiKeys(owner.userId)).to.equal(0);
    });

    it("propagates the guard's error unchanged and deletes nothing", async () => {
      const owner = userRecord();
      await subject.store.createUser(owner);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const refusal = new RangeError("not this key");
      const thrown = await rejectionOf(
        subject.store.deleteApiKey(owner.userId, key.id, () => {
          throw refusal;
        }),
      );
      expect(thrown).to.equal(refusal);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
      expect(await subject.store.countApiKeys(owner.userId)).to.equal(1);
    });

    it("is not_found (api_key) without calling the guard for another user's key", async () => {
      const owner = userRecord();
      const other = userRecord();
      await subject.store.createUser(owner);
      await subject.store.createUser(other);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      let called = false;
      await expectStoreError(
        subject.store.deleteApiKey(other.userId, key.id, () => {
          called = true;
        }),
        "not_found",
        "api_key",
      );
      expect(called).to.equal(false);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });
  });

  describe("user guards (a caller's rule judged on the stored user, inside the write)", () => {
    /** A user with a password, a key and a session, as stored. */
    async function userWithEverything(overrides: Partial<UserRecord> = {}) {
      const first: PasswordRecord = { hash: "$argon2id$v=19$first", setAt: at(2_002) };
      const user = userRecord(overrides);
      await subject.store.createUser(user, first);
      const key = apiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      return { user: { ...user, passwordSetAt: first.setAt }, first, key, session };
    }

    /** Asserts the user, its password, key and session are all still as they were. */
    async function expectUnchanged(w: Awaited<ReturnType<typeof userWithEverything>>) {
      expect(await subject.store.getUser(w.user.userId)).to.deep.equal(w.user);
      expect(await subject.store.getPassword(w.user.userId)).to.deep.equal(w.first);
      expect(await subject.store.findApiKey(w.key.id)).to.deep.equal(w.key);
      expect((await subject.store.findSessionWithOwner(w.session.id))?.session).to.deep.equal(w.session);
    }

    it("deleteUser: the guard sees the stored user; a refusal deletes nothing, an acceptance deletes", async () => {
      const w = await userWithEverything({ admin: true });
      await subject.store.createUser(userRecord({ admin: true })); // so the last-admin guard is not what refuses
      const refusal = new RangeError("not this user");
      const refusing = recordingGuard(refusal);
      expect(await rejectionOf(subject.store.deleteUser(w.user.userId, refusing.guard))).to.equal(refusal);
      expect(refusing.seen.at(-1)).to.deep.equal(w.user);
      await expectUnchanged(w);
      const accepting = recordingGuard();
      await subject.store.deleteUser(w.user.userId, accepting.guard);
      expect(accepting.seen.at(-1)).to.deep.equal(w.user);
      await expectStoreError(subject.store.getUser(w.user.userId), "not_found", "user");
    });

    it("deleteUser: not_found (user) without calling the guard for an unknown user", async () => {
      const never = recordingGuard(new RangeError("must not run"));
      await expectStoreError(subject.store.deleteUser(newUserId(), never.guard), "not_found", "user");
      expect(never.seen).to.deep.equal([]);
    });

    it("setPassword: the guard sees the stored user (passwordSetAt included); a refusal changes no password and ends no session", async () => {
      const w = await userWithEverything();
      const refusal = new RangeError("not this password");
      const refusing = recordingGuard(refusal);
      const next: PasswordRecord = { hash: "$argon2id$v=19$next", setAt: at(9_009) };
      expect(await rejectionOf(subject.store.setPassword(w.user.userId, next, {}, refusing.guard))).to.equal(refusal);
      expect(refusing.seen.at(-1)).to.deep.equal(w.user);
      await expectUnchanged(w);
      const accepting = recordingGuard();
      await subject.store.setPassword(w.user.userId, next, {}, accepting.guard);
      expect(accepting.seen.at(-1)).to.deep.equal(w.user);
      expect(await subject.store.getPassword(w.user.userId)).to.deep.equal(next);
      expect(await subject.store.findSessionWithOwner(w.session.id)).to.equal(undefined);
      const never = recordingGuard(new RangeError("must not run"));
      await expectStoreError(subject.store.setPassword(newUserId(), next, undefined, never.guard), "not_found", "user");
      expect(never.seen).to.deep.equal([]);
    });

    it("deleteSession: the guard sees the stored user before the session is looked at; a refusal ends nothing", async () => {
      const w = await userWithEverything({ state: "suspended" });
      const refusal = new RangeError("not this user's sessions");
      const refusing = recordingGuard(refusal);
      expect(await rejectionOf(subject.store.deleteSession(w.user.userId, w.session.id, refusing.guard))).to.equal(refusal);
      // A refused caller learns nothing of the sessions: an unknown session id gets the same refusal.
      expect(await rejectionOf(subject.store.deleteSession(w.user.userId, newKeyId(), refusing.guard))).to.equal(refusal);
      expect(refusing.seen).to.have.length.greaterThan(1);
      for (const seen of refusing.seen) expect(seen).to.deep.equal(w.user);
      await expectUnchanged(w);
      const accepting = recordingGuard();
      await subject.store.deleteSession(w.user.userId, w.session.id, accepting.guard);
      expect(accepting.seen.at(-1)).to.deep.equal(w.user);
      expect(await subject.store.findSessionWithOwner(w.session.id)).to.equal(undefined);
      await expectStoreError(subject.store.deleteSession(w.user.userId, w.session.id, accepting.guard), "not_found", "session");
    });

    it("deleteSession: not_found (user) for an unknown user, without calling the guard", async () => {
      const never = recordingGuard(new RangeError("must not run"));
      await expectStoreError(subject.store.deleteSession(newUserId(), newKeyId(), never.guard), "not_found", "user");
      await expectStoreError(subject.store.deleteSession(newUserId(), newKeyId()), "not_found", "user");
      expect(never.seen).to.deep.equal([]);
    });

    it("createApiKey: the guard sees the stored owner; a refusal stores no key and claims no slot", async () => {
      const owner = userRecord({ admin: true });
      await subject.store.createUser(owner);
      const refusal = new RangeError("not for this owner");
      const refusing = recordingGuard(refusal);
      const key = apiKeyRecord(owner.userId);
      expect(await rejectionOf(subject.store.createApiKey(key, { maxKeysPerUser: 1 }, refusing.guard))).to.equal(refusal);
      expect(refusing.seen.at(-1)).to.deep.equal(owner);
      expect(await subject.store.findApiKey(key.id)).to.equal(undefined);
      expect(await subject.store.countApiKeys(owner.userId)).to.equal(0);
      // The refused create took no slot: the one allowed key still fits.
      const accepting = recordingGuard();
      await subject.store.createApiKey(key, { maxKeysPerUser: 1 }, accepting.guard);
      expect(accepting.seen.at(-1)).to.deep.equal(owner);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
      // At the cap, the guard still judges first: its refusal, not limit_reached.
      expect(await rejectionOf(subject.store.createApiKey(apiKeyRecord(owner.userId), { maxKeysPerUser: 1 }, refusing.guard))).to.equal(refusal);
      await expectStoreError(subject.store.createApiKey(apiKeyRecord(owner.userId), { maxKeysPerUser: 1 }, accepting.guard), "limit_reached", "api_key");
      const never = recordingGuard(new RangeError("must not run"));
      await expectStoreError(subject.store.createApiKey(apiKeyRecord(newUserId()), NO_CAP, never.guard), "not_found", "user");
      expect(never.seen).to.deep.equal([]);
    });

    it("updateApiKey: the updater sees the key and its stored owner", async () => {
      const owner = userRecord({ admin: true });
      await subject.store.createUser(owner);
      await subject.store.updateUser(owner.userId, (u) => ({ ...u, name: "changed before the key update" }));
      const stored = await subject.store.getUser(owner.userId);
      const key = apiKeyRecord(owner.userId);
      await subject.store.createApiKey(key, NO_CAP);
      let seen: [ApiKeyRecord, UserRecord] | undefined;
      const refusal = new RangeError("not this key");
      expect(
        await rejectionOf(
          subject.store.updateApiKey(owner.userId, key.id, (current, currentOwner) => {
            seen = [current, currentOwner];
            throw refusal;
          }),
        ),
      ).to.equal(refusal);
      expect(seen).to.deep.equal([key, stored]);
      expect(await subject.store.findApiKey(key.id)).to.deep.equal(key);
    });

  });
}
