/**
 * `--insecure-transport` against a real non-loopback client (ARCHITECTURE.md, "The network edge"): a network namespace joined to
 * this one by a veth pair is the project's own test host, so a credential really crosses a (virtual)
 * network in the clear. Needs root and `ip` (iproute2); where a namespace cannot be made, the suite
 * says so and skips (or fails, in CI: test/support/test-packages.ts).
 */
import { spawnSync } from "node:child_process";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { openDoors, type Doors } from "./support/doors.js";
import { Fixtures, ok } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";
import { PACKAGES, requirePackages, skipOrFail } from "../support/test-packages.js";

/** A namespace with one veth end at `client`, the other end at `host` in this namespace. */
interface TestHost {
  readonly name: string;
  readonly host: string;
  readonly client: string;
  remove(): void;
}

function ip(...args: string[]): { ok: boolean; problem: string } {
  const run = spawnSync("ip", args, { encoding: "utf8" });
  return { ok: run.status === 0, problem: run.error?.message ?? run.stderr.trim() };
}

/** Makes the test host, or says why it cannot. */
function makeTestHost(): TestHost | string {
  const id = (process.pid % 200) + 20;
  const name = `kw17-${process.pid}`;
  const [hostSide, clientSide] = [`kwh${process.pid}`.slice(0, 15), `kwc${process.pid}`.slice(0, 15)];
  const host = `10.217.${id}.1`;
  const client = `10.217.${id}.2`;
  const remove = () => {
    ip("netns", "del", name);
    ip("link", "del", hostSide);
  };
  const steps = [
    ["netns", "add", name],
    ["link", "add", hostSide, "type", "veth", "peer", "name", clientSide],
    ["link", "set", clientSide, "netns", name],
    ["addr", "add", `${host}/30`, "dev", hostSide],
    ["link", "set", hostSide, "up"],
    ["-n", name, "addr", "add", `${client}/30`, "dev", clientSide],
    ["-n", name, "link", "set", clientSide, "up"],
    ["-n", name, "link", "set", "lo", "up"],
  ];
  for (const step of steps) {
    const result = ip(...step);
    if (!result.ok) {
      remove();
      return `cannot make a network namespace (ip ${step.join(" ")}: ${result.problem || "failed"})`;
    }
  }
  return { name, host, client, remove };
}

/** One HTTP GET (or, with a body, a JSON POST) from inside the namespace (a Node child there): status and the answer's reason. */
function getFrom(testHost: TestHost, url: string, headers: Record<string, string>, body?: unknown): { status: number; reason: string } {
  const init = body === undefined ? { headers } : { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) };
  const script = `
    const r = await fetch(${JSON.stringify(url)}, ${JSON.stringify(init)});
    const body = await r.text();
    let reason = "";
    try { reason = JSON.parse(body).details?.find((d) => d.reason)?.reason ?? ""; } catch {}
    console.log(JSON.stringify({ status: r.status, reason }));`;
  const run = spawnSync("ip", ["netns", "exec", testHost.name, process.execPath, "--input-type=module", "-e", script], { encoding: "utf8", timeout: 15_000 });
  if (run.status !== 0) throw new Error(`client in ${testHost.name} failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim()) as { status: number; reason: string };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe("e2e: --insecure-transport with a client on another (virtual) machine", function () {
  this.timeout(60_000);
  let testHost: TestHost | undefined;

  before(function () {
    const suite = "test/e2e/insecure-transport.test.ts";
    requirePackages(this, suite, PACKAGES.ip);
    const made = process.getuid?.() === 0 ? makeTestHost() : "not running as root";
    if (typeof made === "string") skipOrFail(this, `${suite}: ${made} — network namespaces need root`);
    testHost = made as TestHost;
  });
  after(() => testHost?.remove());

  /** A server listening on the veth address (HTTP) and on loopback (gRPC), with its admin fixtures. */
  async function serverWith(args: string[]): Promise<{ server: ServerProcess; doors: Doors; fx: Fixtures; url: string }> {
    const server = await startServer({ args: ["--http-addr", `${testHost!.host}:0`, ...args] });
    const doors = openDoors(server.httpUrl, server.grpcAddress);
    const admin = server.adminKey();
    issuedKeys.add(admin);
    return { server, doors, fx: new Fixtures(doors, admin, "grpc"), url: server.httpUrl };
  }

  async function stop(s: { server: ServerProcess; doors: Doors }): Promise<void> {
    s.doors.close();
    expect(await s.server.stop()).to.equal(0);
    removeDataDir(s.server.dataDir);
  }

  it("reject: refuses a key sent in the clear from another machine (INSECURE_TRANSPORT), keeps the key, and accepts it through a trusted TLS proxy", async () => {
    const s = await serverWith(["--insecure-transport", "reject", "--trusted-proxies", `${testHost!.client}/32`]);
    try {
      const actor = await s.fx.actor([Right.USER_INFO]);
      const auth = { authorization: `Bearer ${actor.key}` };
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, auth)).to.deep.equal({ status: 401, reason: "INSECURE_TRANSPORT" });
      expect(getFrom(testHost!, `${s.url}/api/v1/auth/check`, auth)).to.deep.equal({ status: 401, reason: "INSECURE_TRANSPORT" });
      // A password is a credential too: refused before it is checked, so no session token comes back.
      const userId = `pw${process.pid}`;
      ok(await s.doors.call("grpc", UserRegistry.method.createUser, { user: { userId, password: "correct horse battery staple" } }, s.server.adminKey()));
      const signIn = { userId, password: "correct horse battery staple" };
      expect(getFrom(testHost!, `${s.url}/api/v1/sessions`, {}, signIn)).to.deep.equal({ status: 401, reason: "INSECURE_TRANSPORT" });
      // Not revoked: the same key works from this machine (gRPC on loopback) right after.
      ok(await s.doors.call("grpc", AuthService.method.getAuthInfo, {}, actor.key));
      // The namespace as a TLS-terminating proxy that says so: believed, because it is trusted.
      const proxied = { ...auth, "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.20" };
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, proxied).status).to.equal(200);
      expect(getFrom(testHost!, `${s.url}/api/v1/sessions`, { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.20" }, signIn).status).to.equal(200);
      expect(s.server.output()).to.not.contain(actor.key.split(".")[2]);
    } finally {
      await stop(s);
    }
  });

  it("reject: a claim of https from an untrusted peer is ignored", async () => {
    const s = await serverWith(["--insecure-transport", "reject"]);
    try {
      const actor = await s.fx.actor([Right.USER_INFO]);
      const claim = { authorization: `Bearer ${actor.key}`, "x-forwarded-proto": "https" };
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, claim)).to.deep.equal({ status: 401, reason: "INSECURE_TRANSPORT" });
    } finally {
      await stop(s);
    }
  });

  it("warn (the default): lets the call through and logs the key id once per hour, never the key", async () => {
    const s = await serverWith([]);
    try {
      const actor = await s.fx.actor([Right.USER_INFO]);
      const auth = { authorization: `Bearer ${actor.key}` };
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, auth).status).to.equal(200);
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, auth).status).to.equal(200);
      await settle(); // the clients ran synchronously: let the server's log lines arrive
      const warnings = s.server.output().split("\n").filter((line) => line.includes("unencrypted connection"));
      expect(warnings, "one warning for two uses").to.have.length(1);
      expect(warnings[0]).to.contain(actor.apiKey.id).and.contain(testHost!.client);
      expect(s.server.output()).to.not.contain(actor.key.split(".")[2]);
    } finally {
      await stop(s);
    }
  });

  it("allow: says nothing", async () => {
    const s = await serverWith(["--insecure-transport", "allow"]);
    try {
      const actor = await s.fx.actor([Right.USER_INFO]);
      expect(getFrom(testHost!, `${s.url}/api/v1/auth_info`, { authorization: `Bearer ${actor.key}` }).status).to.equal(200);
      await settle();
      expect(s.server.output()).to.not.contain("unencrypted connection");
    } finally {
      await stop(s);
    }
  });
});
