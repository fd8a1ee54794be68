/**
 * `--insecure-transport` covers passwords as well as keys: sign-in, password change and a user
 * created with a password, on every door, refused (`reject`) or logged (`warn`) before the password is
 * checked or hashed. The exposed client is made on loopback: 127.0.0.1 is a trusted proxy here, and the
 * client it names (198.51.100.7, another machine) reached it over plain HTTP unless it says
 * `X-Forwarded-Proto: https`. test/e2e/insecure-transport.test.ts does the same from a real second
 * (virtual) machine where one can be made.
 */
import { expect } from "chai";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { DOORS, openDoors, type Doors } from "./support/doors.js";
import { Fixtures, ok, uniqueUserId } from "./support/fixtures.js";
import { httpFrom } from "./support/http-from.js";
import { reasonOfBody } from "../support/error-reasons.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

const CLIENT = "198.51.100.7";
const IN_THE_CLEAR = { "x-forwarded-for": CLIENT };
const OVER_TLS = { "x-forwarded-for": CLIENT, "x-forwarded-proto": "https" };
const PASSWORD = "correct horse battery staple";
const NEW_PASSWORD = "another long passphrase";

interface Running {
  server: ServerProcess;
  doors: Doors;
  fx: Fixtures;
  admin: string;
}

async function start(mode: "reject" | "warn"): Promise<Running> {
  const server = await startServer({ args: ["--insecure-transport", mode, "--trusted-proxies", "127.0.0.1/32"] });
  const doors = openDoors(server.httpUrl, server.grpcAddress);
  const admin = server.adminKey();
  issuedKeys.add(admin);
  return { server, doors, fx: new Fixtures(doors, admin), admin };
}

/** A server in `mode` for the enclosing suite; filled in by its `before` hook. */
function useServerIn(mode: "reject" | "warn"): Running {
  const running = {} as Running;
  before(async () => Object.assign(running, await start(mode)));
  after(async () => {
    running.doors.close();
    expect(await running.server.stop()).to.equal(0);
    removeDataDir(running.server.dataDir);
  });
  return running;
}

/** A user with {@link PASSWORD}, made from loopback. */
async function userWithPassword(running: Running): Promise<string> {
  const userId = uniqueUserId("pw");
  ok(await running.doors.call("grpc", UserRegistry.method.createUser, { user: { userId, password: PASSWORD } }, running.admin));
  return userId;
}

const signIn = (running: Running, userId: string, password: string, headers: Record<string, string>) =>
  httpFrom("127.0.0.1", `${running.server.httpUrl}/api/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ userId, password }),
  });

describe("e2e: --insecure-transport and passwords", function () {
  this.timeout(60_000);

  describe("reject", () => {
    const running = useServerIn("reject");

    it("refuses a sign-in sent in the clear from another machine on every door, right or wrong password, and lets it through TLS", async () => {
      const userId = await userWithPassword(running);
      const rest = await signIn(running, userId, PASSWORD, IN_THE_CLEAR);
      expect([rest.status, reasonOfBody(rest.body)], rest.body).to.deep.equal([401, "INSECURE_TRANSPORT"]);
      expect(rest.body).to.not.contain("token");
      expect(rest.body, "names the client seen").to.contain(CLIENT);
      for (const door of DOORS) {
        for (const password of [PASSWORD, "wrong password, also long"]) {
          const outcome = await running.doors.call(door, SessionRegistry.method.createSession, { userId, password }, undefined, IN_THE_CLEAR);
          expect(outcome.ok ? "a session" : `${outcome.codeName} ${outcome.reason}`, door).to.equal("Unauthenticated INSECURE_TRANSPORT");
        }
      }
      // Refused before the password was checked: the many wrong ones were never counted as failures.
      for (let i = 0; i < 10; i++) expect((await signIn(running, userId, "wrong password, also long", IN_THE_CLEAR)).status).to.equal(401);
      const sessions = ok(await running.doors.call("grpc", SessionRegistry.method.listSessions, { userId }, running.admin));
      expect(sessions.sessions, "no session was made").to.have.length(0);

      const throughTls = await signIn(running, userId, PASSWORD, OVER_TLS);
      expect(throughTls.status, throughTls.body).to.equal(200);
      issuedKeys.add((JSON.parse(throughTls.body) as { token: string }).token);
    });

    it("refuses a password change and a user created with a password, and changes nothing", async () => {
      const userId = await userWithPassword(running);
      const signedIn = await signIn(running, userId, PASSWORD, {});
      const token = (JSON.parse(signedIn.body) as { token: string }).token;
      issuedKeys.add(token);
      for (const door of DOORS) {
        const change = await running.doors.call(door, UserRegistry.method.updatePassword, { userId, currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, token, IN_THE_CLEAR);
        expect(change.ok ? "changed" : `${change.codeName} ${change.reason}`, door).to.equal("Unauthenticated INSECURE_TRANSPORT");
        const created = await running.doors.call(door, UserRegistry.method.createUser, { user: { userId: uniqueUserId("pw"), password: PASSWORD } }, running.admin, IN_THE_CLEAR);
        expect(created.ok ? "created" : `${created.codeName} ${created.reason}`, door).to.equal("Unauthenticated INSECURE_TRANSPORT");
      }
      const rest = await httpFrom("127.0.0.1", `${running.server.httpUrl}/api/v1/users/${userId}/password`, {
        method: "PUT",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...IN_THE_CLEAR },
        body: JSON.stringify({ currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      });
      expect([rest.status, reasonOfBody(rest.body)]).to.deep.equal([401, "INSECURE_TRANSPORT"]);
      expect((await signIn(running, userId, PASSWORD, {})).status, "the old password still works").to.equal(200);
      // A request without a password is not a password's business: a user made without one is judged by its key alone.
      ok(await running.doors.call("connect", UserRegistry.method.createUser, { user: { userId: uniqueUserId("nopw") } }, running.admin, OVER_TLS));
    });
  });

  describe("warn", () => {
    const running = useServerIn("warn");

    it("lets a password through and logs the method and client once per client per hour, never the password", async () => {
      const userId = await userWithPassword(running);
      const first = await signIn(running, userId, PASSWORD, IN_THE_CLEAR);
      expect(first.status, first.body).to.equal(200);
      issuedKeys.add((JSON.parse(first.body) as { token: string }).token);
      const again = await running.doors.call("grpc", SessionRegistry.method.createSession, { userId, password: PASSWORD }, undefined, IN_THE_CLEAR);
      issuedKeys.add(ok(again).token);
      expect((await signIn(running, userId, PASSWORD, OVER_TLS)).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 300)); // let the server's log lines arrive
      const warnings = running.server.output().split("\n").filter((line) => line.includes("password sent over an unencrypted connection"));
      expect(warnings, "one warning for two sign-ins in the clear").to.have.length(1);
      const warning = JSON.parse(warnings[0]!) as { level: string; method: string; client: string };
      expect(warning).to.deep.include({ level: "warn", method: "keyward.v1.SessionRegistry/CreateSession", client: CLIENT });
      expect(running.server.output()).to.not.contain(PASSWORD);
    });
  });
});
