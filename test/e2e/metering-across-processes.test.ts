// The meter across processes (ARCHITECTURE.md, "Keys"): two real server processes on one SQLite file.
// The calls they grant in one rate-limit window are measured against the limit and the stated bound;
// a key with 3 uses serves exactly 3; a process killed with SIGKILL while it holds a lease loses at most
// its block, while a graceful stop gives unused uses back; a limit changed or removed through one process
// is used by the other once the revocation feed names the key, though both cache keys for ten minutes.
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { creditBlockOf } from "../../src/authn/credit-leases.js";
import { rateBlockOf } from "../../src/authn/rate-windows.js";
import { openDoors, type Doors } from "./support/doors.js";
import { Fixtures, ok, type Actor } from "./support/fixtures.js";
import { meteredKey as meteredKeyOf, type Limits } from "./support/metered-keys.js";
import { startServer, type ServerProcess } from "./support/server-process.js";
import { startTwoServers, stopTwoServers, type TwoServers } from "./support/two-servers.js";

const LONG_CACHE = ["--auth-cache-ttl", "10m", "--revocation-poll-interval", "100ms"];
const HOUR = 3_600_000;

describe("e2e: rate limits and usage credits across two processes on one SQLite file", function () {
  let servers: TwoServers;
  let first: ServerProcess, here: Doors, there: Doors, fx: Fixtures, admin: string;

  before(async () => {
    servers = await startTwoServers(LONG_CACHE);
    ({ first, here, there, fx, admin } = servers);
  });

  after(() => stopTwoServers(servers));

  const meteredKey = (limits: Limits) => meteredKeyOf(here, fx, admin, limits);

  async function outcome(doors: Doors, key: string): Promise<string> {
    const result = await doors.call("grpc", AuthService.method.getAuthInfo, {}, key);
    return result.ok ? "ok" : result.reason;
  }

  async function shownUses(actor: Actor): Promise<number | undefined> {
    return ok(await here.call("connect", ApiKeyRegistry.method.getApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, admin)).apiKey?.remainingUses;
  }

  /** Calls through `doors` until the answer is `wanted`; fails after 3 s (the feed is polled every 100 ms). */
  async function until(doors: Doors, key: string, wanted: string): Promise<void> {
    const started = Date.now();
    let last = "";
    while (Date.now() - started < 3_000) {
      last = await outcome(doors, key);
      if (last === wanted) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect.fail(`still ${last}, not ${wanted}, after 3 s`);
  }

  it("grants at most the limit in a window across both, refusing early by at most one block", async () => {
    const requests = 200;
    const block = rateBlockOf(requests);
    // An hour's window: the whole run falls in one, however slow the machine.
    const actor = await meteredKey({ rateLimit: { requests, periodMs: HOUR } });
    let granted = 0;
    // Alternating: each process holds a block the other cannot use.
    for (let i = 0; i < requests + 50; i++) if ((await outcome(i % 2 === 0 ? here : there, actor.key)) === "ok") granted++;
    console.log(`      calls granted in one window by two processes: ${granted} of a limit of ${requests} (block ${block})`);
    expect(granted).to.be.at.most(requests);
    expect(granted).to.be.at.least(requests - block);
  });

  it("a key with 3 uses serves exactly 3 across both processes", async () => {
    const actor = await meteredKey({ remainingUses: 3 });
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(await outcome(i % 2 === 0 ? here : there, actor.key));
    expect(seen.filter((s) => s === "ok")).to.have.length(3);
    expect(seen.slice(3)).to.deep.equal(["API_KEY_USAGE_EXHAUSTED", "API_KEY_USAGE_EXHAUSTED", "API_KEY_USAGE_EXHAUSTED"]);
    expect(await shownUses(actor)).to.equal(0);
  });

  it("a process killed mid-lease loses at most its block; one stopped gracefully gives its unused uses back", async () => {
    const actor = await meteredKey({ remainingUses: 1_000 });
    const block = creditBlockOf(1_000);
    const doomed = await startServer({ dataDir: first.dataDir, args: LONG_CACHE });
    const doomedDoors = openDoors(doomed.httpUrl, doomed.grpcAddress);
    try {
      expect(await outcome(doomedDoors, actor.key)).to.equal("ok");
    } finally {
      doomedDoors.close();
    }
    expect(await shownUses(actor)).to.equal(1_000 - block);
    expect(await doomed.stop("SIGKILL")).to.equal(null);
    // The killed process's lease is gone with it: one use made, the rest of its block lost, no more.
    expect(await shownUses(actor)).to.equal(1_000 - block);

    const graceful = await startServer({ dataDir: first.dataDir, args: LONG_CACHE });
    const gracefulDoors = openDoors(graceful.httpUrl, graceful.grpcAddress);
    try {
      expect(await outcome(gracefulDoors, actor.key)).to.equal("ok");
    } finally {
      gracefulDoors.close();
    }
    const held = 1_000 - block;
    expect(await shownUses(actor)).to.equal(held - creditBlockOf(held));
    expect(await graceful.stop()).to.equal(0);
    expect(await shownUses(actor)).to.equal(held - 1);
  });

  it("a limit raised and then removed through one process is used by the other once the feed names the key", async () => {
    const actor = await meteredKey({ rateLimit: { requests: 2, periodMs: HOUR } });
    expect([await outcome(there, actor.key), await outcome(there, actor.key), await outcome(there, actor.key)]).to.deep.equal([
      "ok",
      "ok",
      "API_KEY_RATE_LIMITED",
    ]);
    const setLimit = (rateLimit: { requests: number; period: ReturnType<typeof durationFromMs> } | undefined) =>
      here.call(
        "connect",
        ApiKeyRegistry.method.updateApiKey,
        { apiKey: { userId: actor.userId, id: actor.apiKey.id, rateLimit }, updateMask: { paths: ["rate_limit"] } },
        admin,
      );
    ok(await setLimit({ requests: 4, period: durationFromMs(HOUR) }));
    // The window's count (2) carries over into the new limit: two more calls, then refused.
    await until(there, actor.key, "ok");
    expect([await outcome(there, actor.key), await outcome(there, actor.key)]).to.deep.equal(["ok", "API_KEY_RATE_LIMITED"]);
    ok(await setLimit(undefined));
    await until(there, actor.key, "ok");
    const after = await Promise.all(Array.from({ length: 10 }, () => outcome(there, actor.key)));
    expect(after).to.deep.equal(Array(10).fill("ok"));
  });
});
