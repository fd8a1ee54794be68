// ARCHITECTURE.md, "Caches and the revocation feed" end to end: two real server processes on one SQLite file. Every kind of change that takes
// access away, made through one process, is refused by the other within 1 s, although both cache
// verified keys for ten minutes: only the revocation feed can explain the refusal.
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry, UserState } from "../../gen/keyward/v1/user_pb.js";
import { type Doors, type Outcome } from "./support/doors.js";
import { Fixtures, ok, type Actor } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { startTwoServers, stopTwoServers, type TwoServers } from "./support/two-servers.js";

/** The promise under test (ARCHITECTURE.md, "Caches and the revocation feed"). */
const PROPAGATION_LIMIT_MS = 1_000;
const LONG_CACHE = ["--auth-cache-ttl", "10m"];

/**
 * Calls `probe` until it is refused with `reason` and returns how long that took, failing after three
 * times the limit so a broken feed shows as a clear failure rather than a hang.
 */
async function msUntilRefused(probe: () => Promise<Outcome>, reason: string): Promise<number> {
  const started = Date.now();
  let last: Outcome | undefined;
  while (Date.now() - started < 3 * PROPAGATION_LIMIT_MS) {
    last = await probe();
    if (!last.ok && last.reason === reason) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  expect.fail(`still not refused with ${reason} after ${3 * PROPAGATION_LIMIT_MS} ms: ${JSON.stringify(last)}`);
}

describe("e2e: revocation across two processes on one SQLite file", function () {
  let servers: TwoServers;
  let here: Doors, there: Doors, fx: Fixtures, admin: string;

  before(async () => {
    servers = await startTwoServers(LONG_CACHE);
    ({ here, there, fx, admin } = servers);
  });

  after(() => stopTwoServers(servers));

  /** A key that the other process accepts now, so its cache holds it. */
  async function cachedThere(rights: Right[] = [Right.USER_INFO], options: { admin?: boolean } = {}): Promise<Actor> {
    const actor = await fx.actor(rights, options);
    ok(await there.call("grpc", AuthService.method.getAuthInfo, {}, actor.key));
    return actor;
  }

  const authInfoThere = (actor: Actor) => () => there.call("grpc", AuthService.method.getAuthInfo, {}, actor.key);

  it("a key disabled on one process is refused on the other within 1 s", async () => {
    const actor = await cachedThere();
    ok(
      await here.call(
        "connect",
        ApiKeyRegistry.method.updateApiKey,
        { apiKey: { userId: actor.userId, id: actor.apiKey.id, state: 2 }, updateMask: { paths: ["state"] } },
        admin,
      ),
    );
    expect(await msUntilRefused(authInfoThere(actor), "API_KEY_DISABLED")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a deleted key is refused on the other within 1 s", async () => {
    const actor = await cachedThere();
    ok(await here.call("connect", ApiKeyRegistry.method.deleteApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, admin));
    expect(await msUntilRefused(authInfoThere(actor), "API_KEY_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a key regenerated without a grace period: the old secret is refused on the other within 1 s, the new one works", async () => {
    const actor = await cachedThere();
    const regenerated = ok(await here.call("connect", ApiKeyRegistry.method.regenerateApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, admin));
    issuedKeys.add(regenerated.key);
    expect(await msUntilRefused(authInfoThere(actor), "API_KEY_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
    ok(await there.call("grpc", AuthService.method.getAuthInfo, {}, regenerated.key));
  });

  it("a key whose rights were reduced loses them on the other within 1 s", async () => {
    const actor = await cachedThere([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
    const getSelf = () => there.call("grpc", UserRegistry.method.getUser, { userId: actor.userId }, actor.key);
    ok(await getSelf());
    ok(
      await here.call(
        "connect",
        ApiKeyRegistry.method.updateApiKey,
        { apiKey: { userId: actor.userId, id: actor.apiKey.id, rights: [Right.USER_SETTINGS_BASIC] }, updateMask: { paths: ["rights"] } },
        admin,
      ),
    );
    expect(await msUntilRefused(getSelf, "INSUFFICIENT_RIGHTS")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a key given an expiry is refused on the other once it passes (the cached copy had none)", async () => {
    const actor = await cachedThere();
    const expiresAt = new Date(Date.now() + 1_500);
    ok(
      await here.call(
        "connect",
        ApiKeyRegistry.method.updateApiKey,
        { apiKey: { userId: actor.userId, id: actor.apiKey.id, expiresAt: timestampFromDate(expiresAt) }, updateMask: { paths: ["expires_at"] } },
        admin,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, expiresAt.getTime() - Date.now()));
    expect(await msUntilRefused(authInfoThere(actor), "API_KEY_EXPIRED")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a suspended user's keys are refused on the other within 1 s", async () => {
    const actor = await cachedThere();
    await fx.suspend(actor.userId);
    expect(await msUntilRefused(authInfoThere(actor), "USER_SUSPENDED")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a demoted admin's admin rights vanish on the other within 1 s", async () => {
    const actor = await cachedThere([Right.ALL], { admin: true });
    const listUsers = () => there.call("grpc", UserRegistry.method.listUsers, { pageSize: 1 }, actor.key);
    ok(await listUsers());
    ok(
      await here.call(
        "connect",
        UserRegistry.method.updateUser,
        { user: { userId: actor.userId, admin: false }, updateMask: { paths: ["admin"] } },
        admin,
      ),
    );
    expect(await msUntilRefused(listUsers, "INSUFFICIENT_RIGHTS")).to.be.below(PROPAGATION_LIMIT_MS);
    // Still a valid key of a non-admin user.
    ok(await there.call("grpc", AuthService.method.getAuthInfo, {}, actor.key));
  });

  it("a deleted user's keys are refused on the other within 1 s", async () => {
    const actor = await cachedThere();
    ok(await here.call("connect", UserRegistry.method.deleteUser, { userId: actor.userId }, admin));
    expect(await msUntilRefused(authInfoThere(actor), "API_KEY_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
  });

  it("a reactivated user works again on the other (the feed evicts, it does not only refuse)", async () => {
    const actor = await cachedThere();
    await fx.suspend(actor.userId);
    await msUntilRefused(authInfoThere(actor), "USER_SUSPENDED");
    ok(
      await here.call(
        "connect",
        UserRegistry.method.updateUser,
        { user: { userId: actor.userId, state: UserState.ACTIVE }, updateMask: { paths: ["state"] } },
        admin,
      ),
    );
    const started = Date.now();
    while (!(await authInfoThere(actor)()).ok) {
      expect(Date.now() - started, "accepted again").to.be.below(3 * PROPAGATION_LIMIT_MS);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  describe("sessions (ARCHITECTURE.md, 'Sessions and passwords': their ends reach every node)", () => {
    const PASSWORD = "across two processes, signed in";
    let counter = 0;

    /** A user with a password and `count` sessions, each already accepted (so cached) by the other process. */
    async function signedInThere(count: number): Promise<{ userId: string; sessions: { id: string; token: string }[] }> {
      const userId = `sess-${process.pid}-${++counter}`;
      ok(await here.call("connect", UserRegistry.method.createUser, { user: { userId, password: PASSWORD } }, admin));
      const sessions = [];
      for (let i = 0; i < count; i++) {
        const created = ok(await here.call("connect", SessionRegistry.method.createSession, { userId, password: PASSWORD }, undefined));
        sessions.push({ id: created.session!.id, token: created.token });
        ok(await there.call("grpc", AuthService.method.getAuthInfo, {}, created.token));
      }
      return { userId, sessions };
    }

    const authInfoWith = (token: string) => () => there.call("grpc", AuthService.method.getAuthInfo, {}, token);

    it("a session ended on one process is refused on the other within 1 s", async () => {
      const { userId, sessions } = await signedInThere(2);
      ok(await here.call("connect", SessionRegistry.method.deleteSession, { userId, sessionId: sessions[0]!.id }, sessions[0]!.token));
      expect(await msUntilRefused(authInfoWith(sessions[0]!.token), "SESSION_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
      ok(await authInfoWith(sessions[1]!.token)()); // the user's other session goes on
    });

    it("a password change ending other sessions on one process ends them on the other within 1 s", async () => {
      const { userId, sessions } = await signedInThere(2);
      const [own, other] = sessions as [{ id: string; token: string }, { id: string; token: string }];
      ok(
        await here.call(
          "connect",
          UserRegistry.method.updatePassword,
          { userId, currentPassword: PASSWORD, newPassword: `${PASSWORD}, changed`, revokeAllSessions: true },
          own.token,
        ),
      );
      expect(await msUntilRefused(authInfoWith(other.token), "SESSION_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
      ok(await authInfoWith(own.token)()); // the session that changed the password stays
    });

    it("suspension on one process ends the user's sessions on the other within 1 s", async () => {
      const { userId, sessions } = await signedInThere(1);
      await fx.suspend(userId);
      expect(await msUntilRefused(authInfoWith(sessions[0]!.token), "SESSION_INVALID")).to.be.below(PROPAGATION_LIMIT_MS);
    });
  });
});
