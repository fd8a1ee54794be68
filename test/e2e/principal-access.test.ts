/**
 * The attacks the user-access and grace rules stop, against a real server, over REST and gRPC: the user-access rule (a key holding only
 * `RIGHT_ADMIN_USERS_WRITE` must not reach an admin's universe through its password, a new admin user, a
 * promotion, nor change an admin broader than itself) and the grace rule (a key's old secret, accepted
 * during a regenerate's grace period, must not regenerate the key or change or mint credentials). Each
 * refusal is checked to have changed nothing; and what the narrow key may still do is checked to work.
 */
import type { DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry, UserState } from "../../gen/keyward/v1/user_pb.js";
import type { Outcome } from "./support/doors.js";
import { ok, uniqueUserId } from "./support/fixtures.js";
import { callRest } from "./support/rest-door.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

type Door = "rest" | "grpc";
const PASSWORD = "a password of the victim";
const ATTACKER_PASSWORD = "the attacker's own password";

/** The full key a create or regenerate answered with (a message over gRPC, JSON over REST), noted for the secret scan. */
function issued(message: unknown): string {
  const key = String((message as { key: unknown }).key);
  issuedKeys.add(key);
  return key;
}

describe("e2e: the user-access and grace rules (over REST and gRPC)", function () {
  this.timeout(60_000);
  const sut = useServer();

  function call<M extends DescMethodUnary>(door: Door, method: M, request: MessageInitShape<M["input"]>, key: string): Promise<Outcome> {
    return door === "rest" ? callRest(sut.server.httpUrl, method, request, key) : sut.doors.call("grpc", method, request, key);
  }

  function expectRefused(outcome: Outcome, code: Code, reason: string): void {
    if (outcome.ok) expect.fail(`expected ${Code[code]} ${reason}, got success`);
    expect(`${outcome.codeName} ${outcome.reason}`, outcome.message).to.equal(`${Code[code]} ${reason}`);
  }

  /** A user as the admin key reads it (through Connect, whatever the door under test). */
  async function stored(userId: string) {
    const got = await sut.doors.call("connect", UserRegistry.method.getUser, { userId }, sut.admin);
    return got.ok ? got.message.user : undefined;
  }

  /** A user with a password and one live session, made by the admin key. */
  async function userWithSession(admin: boolean): Promise<{ userId: string; sessionId: string }> {
    const userId = uniqueUserId(admin ? "victim-admin" : "victim");
    ok(await sut.doors.call("connect", UserRegistry.method.createUser, { user: { userId, admin, password: PASSWORD } }, sut.admin));
    const signedIn = ok(await sut.doors.call("connect", SessionRegistry.method.createSession, { userId, password: PASSWORD }));
    issuedKeys.add(signedIn.token);
    return { userId, sessionId: signedIn.session!.id };
  }

  async function sessionsOf(userId: string): Promise<number> {
    return ok(await sut.doors.call("connect", SessionRegistry.method.listSessions, { userId }, sut.admin)).totalSize;
  }

  for (const door of ["rest", "grpc"] as const) {
    describe(`over ${door}`, () => {
      it("finding 1: a RIGHT_ADMIN_USERS_WRITE key cannot set an admin's password, so cannot sign in as that admin", async () => {
        const narrow = await sut.fx.actor([Right.ADMIN_USERS_WRITE], { admin: true });
        const victim = await userWithSession(true);
        expectRefused(
          await call(door, UserRegistry.method.updatePassword, { userId: victim.userId, newPassword: ATTACKER_PASSWORD }, narrow.key),
          Code.PermissionDenied,
          "INSUFFICIENT_RIGHTS",
        );
        // The second step of the escalation finds nothing: the attacker's password is not the admin's.
        expectRefused(await call(door, SessionRegistry.method.createSession, { userId: victim.userId, password: ATTACKER_PASSWORD }, narrow.key), Code.Unauthenticated, "LOGIN_FAILED");
        expect((await stored(victim.userId))?.admin).to.equal(true);
        expect(await sessionsOf(victim.userId)).to.equal(1);
      });

      it("finding 1: it cannot create an admin with a password, nor an admin without one, nor a user with a password", async () => {
        const narrow = await sut.fx.actor([Right.ADMIN_USERS_WRITE], { admin: true });
        for (const user of [
          { userId: uniqueUserId("made-admin"), admin: true, password: ATTACKER_PASSWORD },
          { userId: uniqueUserId("made-admin"), admin: true },
          { userId: uniqueUserId("made-user"), password: ATTACKER_PASSWORD },
        ]) {
          expectRefused(await call(door, UserRegistry.method.createUser, { user }, narrow.key), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
          expect(await stored(user.userId), `${user.userId} was not created`).to.equal(undefined);
        }
      });

      it("finding 1: it cannot promote a user whose password its holder knows", async () => {
        const narrow = await sut.fx.actor([Right.ADMIN_USERS_WRITE], { admin: true });
        const accomplice = await userWithSession(false);
        expectRefused(
          await call(door, UserRegistry.method.updateUser, { user: { userId: accomplice.userId, admin: true }, updateMask: { paths: ["admin"] } }, narrow.key),
          Code.PermissionDenied,
          "INSUFFICIENT_RIGHTS",
        );
        expect((await stored(accomplice.userId))?.admin).to.equal(false);
      });

      it("finding 1: it cannot suspend, rename, end the sessions of or delete an admin broader than itself", async () => {
        const narrow = await sut.fx.actor([Right.ADMIN_USERS_WRITE], { admin: true });
        const victim = await userWithSession(true);
        const before = await stored(victim.userId);
        const attempts: Array<() => Promise<Outcome>> = [
          () => call(door, UserRegistry.method.updateUser, { user: { userId: victim.userId, state: UserState.SUSPENDED }, updateMask: { paths: ["state"] } }, narrow.key),
          () => call(door, UserRegistry.method.updateUser, { user: { userId: victim.userId, name: "renamed" }, updateMask: { paths: ["name"] } }, narrow.key),
          () => call(door, SessionRegistry.method.deleteSession, { userId: victim.userId, sessionId: victim.sessionId }, narrow.key),
          () => call(door, UserRegistry.method.deleteUser, { userId: victim.userId }, narrow.key),
        ];
        for (const attempt of attempts) expectRefused(await attempt(), Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
        expect(await stored(victim.userId)).to.deep.equal(before);
        expect(await sessionsOf(victim.userId)).to.equal(1);
      });

      it("what a narrow admin key still may do: create a plain user; and manage a non-admin when it also holds RIGHT_USER_ALL", async () => {
        const narrow = await sut.fx.actor([Right.ADMIN_USERS_WRITE], { admin: true });
        const plain = uniqueUserId("plain");
        ok(await call(door, UserRegistry.method.createUser, { user: { userId: plain, name: "plain" } }, narrow.key));
        expect((await stored(plain))?.admin).to.equal(false);
        // Without the user family, a non-admin's universe is not covered: it may not set its password.
        const user = await userWithSession(false);
        expectRefused(
          await call(door, UserRegistry.method.updatePassword, { userId: user.userId, newPassword: ATTACKER_PASSWORD }, narrow.key),
          Code.PermissionDenied,
          "INSUFFICIENT_RIGHTS",
        );
        const covering = await sut.fx.key(narrow.userId, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]);
        ok(await call(door, UserRegistry.method.createUser, { user: { userId: uniqueUserId("with-pw"), password: ATTACKER_PASSWORD } }, covering.key));
        ok(await call(door, UserRegistry.method.updatePassword, { userId: user.userId, newPassword: "a new password for the user" }, covering.key));
        ok(await call(door, UserRegistry.method.updateUser, { user: { userId: user.userId, name: "renamed" }, updateMask: { paths: ["name"] } }, covering.key));
        ok(await call(door, SessionRegistry.method.deleteSession, { userId: user.userId, sessionId: user.sessionId }, covering.key));
        for (const state of [UserState.SUSPENDED, UserState.ACTIVE]) {
          ok(await call(door, UserRegistry.method.updateUser, { user: { userId: user.userId, state }, updateMask: { paths: ["state"] } }, covering.key));
        }
        // Still not an admin's: promoting, or acting on an admin, needs every right.
        expectRefused(
          await call(door, UserRegistry.method.updateUser, { user: { userId: user.userId, admin: true }, updateMask: { paths: ["admin"] } }, covering.key),
          Code.PermissionDenied,
          "INSUFFICIENT_RIGHTS",
        );
        ok(await call(door, UserRegistry.method.deleteUser, { userId: user.userId }, covering.key));
        expect(await stored(user.userId)).to.equal(undefined);
      });

      it("finding 2: the old secret in its grace period authenticates, but cannot regenerate, change or create keys, nor set a password; the new one can", async () => {
        const owner = await sut.fx.actor([Right.USER_ALL]);
        const other = await sut.fx.key(owner.userId, [Right.USER_INFO]);
        const rotated = ok(await call(door, ApiKeyRegistry.method.regenerateApiKey, { userId: owner.userId, keyId: owner.apiKey.id, gracePeriod: { seconds: 3600n, nanos: 0 } }, owner.key));
        const fresh = issued(rotated);
        const old = owner.key;
        // What the key is, without when and where it was last used: usage is written in the background,
        // so those fields may change between the two reads whatever the old secret was refused.
        const configurationOf = async () => {
          const { lastUsedAt: _at, lastUsedIp: _ip, lastUsedUserAgent: _agent, ...rest } = ok(
            await sut.doors.call("connect", ApiKeyRegistry.method.getApiKey, { userId: owner.userId, keyId: owner.apiKey.id }, sut.admin),
          ).apiKey!;
          return rest;
        };
        const keyBefore = await configurationOf();

        ok(await call(door, AuthService.method.getAuthInfo, {}, old));
        const superseded: Array<[string, () => Promise<Outcome>]> = [
          ["regenerate", () => call(door, ApiKeyRegistry.method.regenerateApiKey, { userId: owner.userId, keyId: owner.apiKey.id }, old)],
          [
            "allowed_ips",
            () =>
              call(
                door,
                ApiKeyRegistry.method.updateApiKey,
                { apiKey: { userId: owner.userId, id: owner.apiKey.id, allowedIps: ["127.0.0.0/8"] }, updateMask: { paths: ["allowed_ips"] } },
                old,
              ),
          ],
          ["create", () => call(door, ApiKeyRegistry.method.createApiKey, { userId: owner.userId, name: "from the old secret", rights: [Right.USER_INFO] }, old)],
          ["delete", () => call(door, ApiKeyRegistry.method.deleteApiKey, { userId: owner.userId, keyId: other.apiKey.id }, old)],
          ["password", () => call(door, UserRegistry.method.updatePassword, { userId: owner.userId, newPassword: ATTACKER_PASSWORD }, old)],
        ];
        for (const [name, attempt] of superseded) {
          const outcome = await attempt();
          expect(outcome.ok, `${name} with the old secret`).to.equal(false);
          expectRefused(outcome, Code.PermissionDenied, "API_KEY_SECRET_SUPERSEDED");
        }
        // Nothing changed: the key (its secret included: the new one still works), its sibling, the keys' count.
        expect(await configurationOf()).to.deep.equal(keyBefore);
        ok(await call(door, AuthService.method.getAuthInfo, {}, fresh));
        expect(ok(await sut.doors.call("connect", ApiKeyRegistry.method.listApiKeys, { userId: owner.userId }, sut.admin)).totalSize).to.equal(2);
        expect((await stored(owner.userId))?.hasPassword).to.equal(false);

        // The current secret can do all of it.
        issued(ok(await call(door, ApiKeyRegistry.method.createApiKey, { userId: owner.userId, name: "from the new secret", rights: [Right.USER_INFO] }, fresh)));
        ok(
          await call(
            door,
            ApiKeyRegistry.method.updateApiKey,
            { apiKey: { userId: owner.userId, id: owner.apiKey.id, allowedIps: ["127.0.0.0/8"] }, updateMask: { paths: ["allowed_ips"] } },
            fresh,
          ),
        );
        issued(ok(await call(door, ApiKeyRegistry.method.regenerateApiKey, { userId: owner.userId, keyId: owner.apiKey.id }, fresh)));
      });
    });
  }
});
