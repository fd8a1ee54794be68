/**
 * The real server on MongoDB (MONGODB_URL, or the stand-in `npm test` starts): two server processes on
 * one database, so what one writes the other reads, and what one revokes the other refuses. The second
 * process runs with a short cache TTL, so the test holds with or without a revocation feed; it polls for
 * the refusal instead of assuming when it comes. Then readiness: a stand-in of its own is killed under a
 * running server and started again on the same port.
 */
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { openDoors, type DoorName, type Doors } from "./support/doors.js";
import { Fixtures, ok, uniqueUserId } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";
import { jongodbBinary, startJongodb, type RunningJongodb } from "../../scripts/jongodb.mjs";
import { HEALTH_NOT_SERVING, HEALTH_SERVING, healthCheck } from "../transport/support/grpc-health-client.js";
import { withDatabase } from "./support/mongo-url.js";

const configuredUrl = process.env["MONGODB_URL"] ?? "";
/** How long the other process may take to refuse a revoked key: well past its 500 ms cache TTL. */
const REFUSAL_DEADLINE_MS = 5_000;

describe(
  configuredUrl === ""
    ? "e2e: two servers on MongoDB (skipped: no MONGODB_URL; npm test sets one to a stand-in when installed)"
    : "e2e: two servers on MongoDB",
  function () {
    let writer: ServerProcess;
    let reader: ServerProcess;
    let writerDoors: Doors;
    let readerDoors: Doors;
    let fx: Fixtures;
    let admin: string;

    before(async function () {
      if (configuredUrl === "") this.skip();
      // Two server starts in a row: on a loaded 2-core machine each can take several seconds.
      this.timeout(60_000);
      const store = withDatabase(configuredUrl, `keyward_e2e_${Date.now().toString(36)}_${process.pid}`);
      // One after the other: the first bootstraps the admin, the second finds it and creates none.
      writer = await startServer({ args: ["--store", store] });
      reader = await startServer({ args: ["--store", store, "--auth-cache-ttl", "500ms"] });
      writerDoors = openDoors(writer.httpUrl, writer.grpcAddress);
      readerDoors = openDoors(reader.httpUrl, reader.grpcAddress);
      admin = writer.adminKey();
      issuedKeys.add(admin);
      fx = new Fixtures(writerDoors, admin);
    });

    after(async () => {
      writerDoors?.close();
      readerDoors?.close();
      for (const server of [writer, reader]) {
        if (!server) continue;
        expect(await server.stop()).to.equal(0);
        removeDataDir(server.dataDir);
      }
    });

    const authInfo = (doors: Doors, door: DoorName, key: string) => doors.call(door, AuthService.method.getAuthInfo, {}, key);

    /** Polls the reader until `key` is refused with `reason` on every door, failing after the deadline. */
    async function expectRefusedByReader(key: string, reason: string): Promise<void> {
      const deadline = Date.now() + REFUSAL_DEADLINE_MS;
      for (const door of ["grpc", "connect", "grpc-web"] as const) {
        for (;;) {
          const outcome = await authInfo(readerDoors, door, key);
          const seen = outcome.ok ? "ok" : `${outcome.codeName} ${outcome.reason}`;
          if (seen === `Unauthenticated ${reason}`) break;
          if (Date.now() > deadline) expect.fail(`${door}: still ${seen} ${REFUSAL_DEADLINE_MS} ms after the revocation`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    }

    it("bootstraps one admin: the second process found the first one's", async () => {
      const users = ok(await readerDoors.call("connect", UserRegistry.method.listUsers, { pageSize: 100 }, admin));
      expect(users.users.filter((user) => user.admin).map((user) => user.userId)).to.deep.equal(["admin"]);
      expect(reader.output()).to.not.include("admin.key");
    });

    it("serves on one process the users and keys created on the other", async () => {
      const userId = await fx.user();
      const actor = await fx.key(userId, [Right.USER_INFO], { name: "shared" });
      const info = ok(await authInfo(readerDoors, "grpc", actor.key));
      expect(info.user?.userId).to.equal(userId);
      const listed = ok(await readerDoors.call("grpc", ApiKeyRegistry.method.listApiKeys, { userId, query: "SHAR" }, admin));
      expect(listed.apiKeys.map((key) => key.id)).to.deep.equal([actor.apiKey.id]);
    });

    it("refuses on one process a key disabled on the other", async () => {
      const actor = await fx.actor([Right.USER_INFO]);
      ok(await authInfo(readerDoors, "grpc", actor.key)); // cached on the reader now
      ok(
        await writerDoors.call(
          "connect",
          ApiKeyRegistry.method.updateApiKey,
          { apiKey: { userId: actor.userId, id: actor.apiKey.id, state: ApiKeyState.DISABLED }, updateMask: { paths: ["state"] } },
          admin,
        ),
      );
      await expectRefusedByReader(actor.key, "API_KEY_DISABLED");
    });

    it("refuses on one process a key deleted on the other", async () => {
      const actor = await fx.actor([Right.USER_INFO]);
      ok(await authInfo(readerDoors, "grpc", actor.key));
      ok(await writerDoors.call("grpc", ApiKeyRegistry.method.deleteApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, admin));
      await expectRefusedByReader(actor.key, "API_KEY_INVALID");
    });

    it("refuses on one process the keys of a user suspended on the other", async () => {
      const actor = await fx.actor([Right.USER_INFO]);
      ok(await authInfo(readerDoors, "grpc", actor.key));
      await fx.suspend(actor.userId);
      await expectRefusedByReader(actor.key, "USER_SUSPENDED");
    });

    it("refuses on one process the keys of a user deleted on the other", async () => {
      const userId = uniqueUserId("gone");
      await fx.user({ userId });
      const actor = await fx.key(userId, [Right.USER_INFO]);
      ok(await authInfo(readerDoors, "grpc", actor.key));
      ok(await writerDoors.call("connect", UserRegistry.method.deleteUser, { userId }, admin));
      await expectRefusedByReader(actor.key, "API_KEY_INVALID");
    });
  },
);

describe("e2e: readiness follows the MongoDB stand-in going away and coming back", function () {
  this.timeout(60_000);
  let standIn: RunningJongodb | undefined;
  let server: ServerProcess | undefined;
  let client: grpc.Client | undefined;

  before(async function () {
    if (jongodbBinary() === undefined) {
      console.log("    (skipped: @jongodb/memory-server-bin-linux-x64-gnu is not installed on this platform)");
      this.skip();
    }
    standIn = await startJongodb();
    server = await startServer({ args: ["--store", withDatabase(standIn.url, "keyward_readiness")] });
    client = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
  });

  after(async () => {
    client?.close();
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
    await standIn?.stop();
  });

  const readyz = async () => (await fetch(new URL("/readyz", server!.httpUrl))).status;
  /** Polls until `/readyz` answers `status` and gRPC health agrees, failing after 20 s. */
  async function expectReadiness(status: number, health: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    let seen = "";
    while (Date.now() < deadline) {
      const got = [await readyz(), await healthCheck(client!, "")];
      seen = got.join(" / ");
      if (got[0] === status && got[1] === health) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect.fail(`readiness stayed ${seen}, expected ${status} / ${health}`);
  }

  it("answers 503 and NOT_SERVING while the store is down, and 200 and SERVING once it is back", async () => {
    await expectReadiness(200, HEALTH_SERVING);
    const port = standIn!.port;
    await standIn!.stop();
    await expectReadiness(503, HEALTH_NOT_SERVING);
    expect(await (await fetch(new URL("/readyz", server!.httpUrl))).json()).to.deep.equal({ status: "not ready", reason: "store unavailable" });
    // Liveness is not readiness: the process is fine, only its store is gone.
    expect((await fetch(new URL("/healthz", server!.httpUrl))).status).to.equal(200);
    standIn = await startJongodb({ port });
    await expectReadiness(200, HEALTH_SERVING);
    expect(server!.output()).to.include("store does not answer: not ready").and.include("store answers again: ready");
  });
});
