// Passwords and sessions (ARCHITECTURE.md, "Sessions and passwords"): stored hashes kept out of user records, sessions found with their
// user, live-only listing, and the writes that end sessions (suspension, deletion, password change).
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import type { LiveSessions, PasswordRecord, SessionRecord } from "../../../src/store/store.js";
import { apiKeyRecord, at, expectStoreError, newKeyId, newUserId, NO_CAP, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

/** A session record of `userId` with every field set; `overrides` replace fields. */
export function sessionRecord(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: newKeyId(),
    userId,
    secretHash: `sha256:${randomBytes(32).toString("base64url")}`,
    createdAt: at(10_001),
    expiresAt: at(7 * 86_400_000 + 10_001),
    lastUsedAt: at(10_001),
    userAgent: "Mozilla/5.0 (X11; Linux x86_64) conformance",
    address: "127.0.0.1",
    ...overrides,
  };
}

const password = (): PasswordRecord => ({ hash: `$argon2id$v=19$m=19456,t=2,p=1$${randomBytes(8).toString("hex")}`, setAt: at(3_003) });
/** Everything used since T0 and expiring after T0 is live. */
const ALL_LIVE: LiveSessions = { usedSince: at(0), expiresAfter: at(0) };

export function describeSessions(subject: StoreUnderTest): void {
  describe("passwords", () => {
    it("stores a first password with the user: the record says when, only getPassword gives the hash", async () => {
      const user = userRecord();
      const first = password();
      await subject.store.createUser(user, first);
      const stored = await subject.store.getUser(user.userId);
      expect(stored).to.deep.equal({ ...user, passwordSetAt: first.setAt });
      expect(JSON.stringify(stored)).to.not.include(first.hash);
      expect(JSON.stringify((await subject.store.listUsers({ pageSize: 10, pageToken: "" })).items)).to.not.include(first.hash);
      expect(await subject.store.getPassword(user.userId)).to.deep.equal(first);
    });

    it("has no password for a user created without one, and not_found for an unknown user", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      expect(await subject.store.getPassword(user.userId)).to.equal(undefined);
      expect(await subject.store.getUser(user.userId)).to.not.have.property("passwordSetAt");
      await expectStoreError(subject.store.getPassword(newUserId()), "not_found", "user");
      await expectStoreError(subject.store.setPassword(newUserId(), password()), "not_found", "user");
    });

    it("sets and replaces a password without touching updatedAt; updateUser cannot change passwordSetAt", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const next = { hash: "$argon2id$v=19$second", setAt: at(9_009) };
      await subject.store.setPassword(user.userId, password());
      await subject.store.setPassword(user.userId, next);
      expect(await subject.store.getPassword(user.userId)).to.deep.equal(next);
      expect(await subject.store.getUser(user.userId)).to.deep.equal({ ...user, passwordSetAt: next.setAt });
      await subject.store.updateUser(user.userId, (u) => ({ ...u, name: "renamed", passwordSetAt: at(1) }));
      expect((await subject.store.getUser(user.userId)).passwordSetAt).to.deep.equal(next.setAt);
      expect(await subject.store.getPassword(user.userId)).to.deep.equal(next);
    });

    it("ends every session but the one kept when asked, in the password write", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const [kept, other, third] = [sessionRecord(user.userId), sessionRecord(user.userId), sessionRecord(user.userId)];
      for (const s of [kept, other, third]) await subject.store.createSession(s);
      await subject.store.setPassword(user.userId, password());
      expect((await subject.store.listSessions(user.userId, { pageSize: 10, pageToken: "", live: ALL_LIVE })).totalSize).to.equal(3);
      await subject.store.setPassword(user.userId, password(), { except: kept.id });
      expect(await subject.store.findSessionWithOwner(other.id)).to.equal(undefined);
      expect(await subject.store.findSessionWithOwner(third.id)).to.equal(undefined);
      expect((await subject.store.findSessionWithOwner(kept.id))?.session).to.deep.equal(kept);
      await subject.store.setPassword(user.userId, password(), {});
      expect(await subject.store.findSessionWithOwner(kept.id)).to.equal(undefined);
    });
  });

  describe("sessions", () => {
    it("stores a session and finds it by id with its user", async () => {
      const user = userRecord({ admin: true });
      await subject.store.createUser(user, password());
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      const found = await subject.store.findSessionWithOwner(session.id);
      expect(found).to.deep.equal({ session, user: { ...user, passwordSetAt: at(3_003) } });
      expect(JSON.stringify(found)).to.not.match(/argon2/);
      expect(await subject.store.findSessionWithOwner(newKeyId())).to.equal(undefined);
    });

    it("refuses a session of an unknown user (not_found user) and a taken id (already_exists session)", async () => {
      await expectStoreError(subject.store.createSession(sessionRecord(newUserId())), "not_found", "user");
      const user = userRecord();
      await subject.store.createUser(user);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      await expectStoreError(subject.store.createSession({ ...session, address: "10.0.0.1" }), "already_exists", "session");
      await expectStoreError(subject.store.createSession(sessionRecord(user.userId, { expiresAt: new Date(Number.NaN) })), "invalid_argument", "session");
    });

    it("lists only the live sessions of one user, newest first, in pages", async () => {
      const user = userRecord();
      const other = userRecord();
      await subject.store.createUser(user);
      await subject.store.createUser(other);
      const live = [1, 2, 3].map((n) => sessionRecord(user.userId, { createdAt: at(20_000 + n), lastUsedAt: at(50_000) }));
      const idle = sessionRecord(user.userId, { createdAt: at(20_010), lastUsedAt: at(20_010) });
      const expired = sessionRecord(user.userId, { createdAt: at(20_011), lastUsedAt: at(50_000), expiresAt: at(40_000) });
      for (const s of [...live, idle, expired, sessionRecord(other.userId)]) await subject.store.createSession(s);
      const cutoff: LiveSessions = { usedSince: at(30_000), expiresAfter: at(45_000) };
      const first = await subject.store.listSessions(user.userId, { pageSize: 2, pageToken: "", live: cutoff });
      expect(first.totalSize).to.equal(3);
      expect(first.items.map((s) => s.id)).to.deep.equal([live[2]!.id, live[1]!.id]);
      const second = await subject.store.listSessions(user.userId, { pageSize: 2, pageToken: first.nextPageToken, live: cutoff });
      expect(second.items).to.deep.equal([live[0]]);
      expect(second.nextPageToken).to.equal("");
      await expectStoreError(
        subject.store.listSessions(other.userId, { pageSize: 2, pageToken: first.nextPageToken, live: cutoff }),
        "invalid_argument",
      );
      expect(await subject.store.pruneSessions(user.userId, cutoff)).to.equal(2);
      expect(await subject.store.findSessionWithOwner(idle.id)).to.equal(undefined);
      expect(await subject.store.findSessionWithOwner(expired.id)).to.equal(undefined);
      expect((await subject.store.listSessions(user.userId, { pageSize: 10, pageToken: "", live: ALL_LIVE })).totalSize).to.equal(3);
    });

    it("deletes a session of its user only: another user's id is not_found (session) and stays", async () => {
      const user = userRecord();
      const other = userRecord();
      await subject.store.createUser(user);
      await subject.store.createUser(other);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      await expectStoreError(subject.store.deleteSession(other.userId, session.id), "not_found", "session");
      expect(await subject.store.findSessionWithOwner(session.id)).to.not.equal(undefined);
      await subject.store.deleteSession(user.userId, session.id);
      expect(await subject.store.findSessionWithOwner(session.id)).to.equal(undefined);
      await expectStoreError(subject.store.deleteSession(user.userId, session.id), "not_found", "session");
    });

    it("moves lastUsedAt forward only", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      await subject.store.recordSessionUse([{ id: session.id, at: at(90_000) }, { id: newKeyId(), at: at(90_000) }]);
      await subject.store.recordSessionUse([{ id: session.id, at: at(80_000) }]);
      expect((await subject.store.findSessionWithOwner(session.id))?.session.lastUsedAt).to.deep.equal(at(90_000));
      await subject.store.recordSessionUse([]);
    });

    it("ends a user's sessions when the user is suspended, and does not bring them back on reactivation", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      await subject.store.updateUser(user.userId, (u) => ({ ...u, name: "still active" }));
      expect(await subject.store.findSessionWithOwner(session.id)).to.not.equal(undefined);
      await subject.store.updateUser(user.userId, (u) => ({ ...u, state: "suspended" }));
      expect(await subject.store.findSessionWithOwner(session.id)).to.equal(undefined);
      await subject.store.updateUser(user.userId, (u) => ({ ...u, state: "active" }));
      expect(await subject.store.findSessionWithOwner(session.id)).to.equal(undefined);
    });

    it("deletes a user's sessions (and keys) with the user", async () => {
      const user = userRecord();
      await subject.store.createUser(user, password());
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      await subject.store.createApiKey(apiKeyRecord(user.userId), NO_CAP);
      await subject.store.deleteUser(user.userId);
      expect(await subject.store.findSessionWithOwner(session.id)).to.equal(undefined);
      // A new user of the same id has neither the old sessions nor the old password.
      await subject.store.createUser(userRecord({ userId: user.userId }));
      expect(await subject.store.findSessionWithOwner(session.id)).to.equal(undefined);
      expect(await subject.store.getPassword(user.userId)).to.equal(undefined);
      expect((await subject.store.listSessions(user.userId, { pageSize: 10, pageToken: "", live: ALL_LIVE })).totalSize).to.equal(0);
    });
  });
}
