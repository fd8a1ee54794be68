/**
 * The server as an operator runs it: persistence across restarts, graceful SIGTERM, the first-start
 * admin key, `npm start` on the built code, config errors, and `keyward bootstrap`.
 */
import { spawnSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, statSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { openDoors } from "./support/doors.js";
import { Fixtures, ok } from "./support/fixtures.js";
import { allServerOutput, issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = [process.execPath, "--import", "tsx", join(ROOT, "src/cli/main.ts")];

function keyward(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(CLI[0]!, [...CLI.slice(1), ...args], { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8" });
  // stdout is the command's answer (bootstrap prints its key there on purpose); stderr is its log.
  allServerOutput.push(result.stderr);
  return result;
}

describe("e2e: running the server", function () {
  it("writes a 0600 admin key on first start only, and keeps users and keys across a restart", async () => {
    const first = await startServer();
    const adminKey = first.adminKey();
    issuedKeys.add(adminKey);
    expect(statSync(join(first.dataDir, "admin.key")).mode & 0o777).to.equal(0o600);
    expect(first.output()).to.contain(join(first.dataDir, "admin.key")).and.not.contain(adminKey);
    let doors = openDoors(first.httpUrl, first.grpcAddress);
    const actor = await new Fixtures(doors, adminKey).actor([Right.USER_INFO]);
    doors.close();
    expect(await first.stop()).to.equal(0);

    const second = await startServer({ dataDir: first.dataDir });
    try {
      expect(second.adminKey(), "the admin key file is left alone").to.equal(adminKey);
      expect(second.output()).to.not.contain("created user admin");
      doors = openDoors(second.httpUrl, second.grpcAddress);
      const info = ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, actor.key));
      expect(info.user?.userId).to.equal(actor.userId);
      expect(ok(await doors.call("connect", AuthService.method.getAuthInfo, {}, adminKey)).user?.admin).to.equal(true);
      doors.close();
    } finally {
      expect(await second.stop()).to.equal(0);
      removeDataDir(first.dataDir);
    }
  });

  it("exits 0 on SIGTERM after completing the calls in flight", async () => {
    const server = await startServer();
    const doors = openDoors(server.httpUrl, server.grpcAddress);
    const key = server.adminKey();
    try {
      ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, key)); // connection up
      const inFlight = Array.from({ length: 40 }, () => doors.call("grpc", AuthService.method.getAuthInfo, {}, key));
      const first = await Promise.race(inFlight);
      ok(first);
      const exited = server.stop("SIGTERM");
      const outcomes = await Promise.all(inFlight);
      expect(outcomes.filter((o) => !o.ok)).to.deep.equal([]);
      expect(await exited).to.equal(0);
      expect(server.output()).to.contain("shutting down").and.contain('"msg":"stopped"');
    } finally {
      doors.close();
      removeDataDir(server.dataDir);
    }
  });

  it("the tests' stop kills a server that does not exit in time and rejects with its last output", async () => {
    const server = await startServer();
    try {
      server.child.kill("SIGSTOP"); // a server that cannot act on SIGTERM, as one stuck in its shutdown
      const refusal = await server.stop("SIGTERM", 500).then(() => undefined, (error: Error) => error);
      expect(refusal?.message).to.match(/did not exit within 0.5 s of SIGTERM; killed\. Its last output:\n.*keyward listening/s);
      if (server.child.exitCode === null && server.child.signalCode === null) await once(server.child, "exit");
      expect(server.child.signalCode).to.equal("SIGKILL");
    } finally {
      removeDataDir(server.dataDir);
    }
  });

  it("lists every config problem at once and exits 2", () => {
    const result = keyward(["serve", "--http-addr", "nowhere", "--max-api-keys-per-user", "0", "--auth-cache-ttl", "soon", "--auth-cache-size", "0"], { KEYWARD_STORE: "postgres://x" });
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("--http-addr").and.contain("--max-api-keys-per-user").and.contain("--auth-cache-ttl").and.contain("--auth-cache-size").and.contain("KEYWARD_STORE");
  });

  it("names --grpc-addr or --http-addr, the address and another Keyward on EADDRINUSE, and exits 1", async function () {
    this.timeout(60_000); // a server start and two CLI runs through tsx
    const running = await startServer();
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-inuse-"));
    try {
      const grpcTaken = keyward(["serve", "--grpc-addr", running.grpcAddress, "--http-addr", "127.0.0.1:0", "--data-dir", dataDir]);
      const httpAddress = new URL(running.httpUrl).host;
      const httpTaken = keyward(["serve", "--grpc-addr", "127.0.0.1:0", "--http-addr", httpAddress, "--data-dir", dataDir]);
      for (const [run, flag, address] of [
        [grpcTaken, "--grpc-addr", running.grpcAddress],
        [httpTaken, "--http-addr", httpAddress],
      ] as const) {
        const output = run.stdout + run.stderr;
        allServerOutput.push(run.stdout);
        expect(run.status, output).to.equal(1);
        expect(output).to.contain(`${flag} ${address}`).and.contain("already in use").and.contain("another Keyward may be running");
        // Only Keyward's own JSON lines: no bare grpc-js line such as "E No address added out of total 1 resolved".
        expect(output.split("\n").filter((line) => line !== "" && !line.startsWith("{")), output).to.deep.equal([]);
      }
      // The running server is untouched.
      const doors = openDoors(running.httpUrl, running.grpcAddress);
      ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, running.adminKey()));
      doors.close();
    } finally {
      expect(await running.stop()).to.equal(0);
      removeDataDir(running.dataDir);
      removeDataDir(dataDir);
    }
  });

  it("fails at once with exit 1, naming the data directory and the OS error, when it cannot be made", () => {
    // Node's recursive mkdir looped forever on /proc, which refuses new entries with ENOENT.
    const run = spawnSync(CLI[0]!, [...CLI.slice(1), "serve", "--data-dir", "/proc/keyward", "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 15_000,
    });
    const output = run.stdout + run.stderr;
    expect(run.signal, `still running after 15 s: ${output}`).to.equal(null);
    expect(run.status, output).to.equal(1);
    expect(output).to.contain("could not start").and.contain("cannot create the data directory /proc/keyward (--data-dir)").and.contain("ENOENT");
  });

  it("refuses unknown flags with exit 2", () => {
    const result = keyward(["serve", "--no-such-flag"]);
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain("unknown option");
  });

  it("`keyward bootstrap --user-id` creates an admin, promotes an existing one, and prints a working key once", async function () {
    this.timeout(60_000); // three CLI runs through tsx and a server start
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-bootstrap-"));
    try {
      const result = keyward(["bootstrap", "--user-id", "ops", "--data-dir", dataDir]);
      expect(result.status, result.stderr).to.equal(0);
      const key = /NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}/.exec(result.stdout)?.[0];
      expect(key, result.stdout).to.be.a("string");
      issuedKeys.add(key!);
      expect(result.stdout).to.contain("will not be shown again").and.contain("Created admin user ops");
      expect(keyward(["bootstrap", "--user-id", "Not Valid", "--data-dir", dataDir]).status).to.equal(2);
      // Again on the same user: it exists, so it is promoted, and the output says so.
      const again = keyward(["bootstrap", "--user-id", "ops", "--data-dir", dataDir]);
      expect(again.status, again.stderr).to.equal(0);
      expect(again.stdout).to.contain("Promoted existing user ops to an active admin").and.not.contain("Created");
      issuedKeys.add(/NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}/.exec(again.stdout)![0]);
      const server = await startServer({ dataDir });
      try {
        expect(existsSync(join(dataDir, "admin.key")), "an admin exists, so no admin.key").to.equal(false);
        const doors = openDoors(server.httpUrl, server.grpcAddress);
        const info = ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, key));
        expect(info.user).to.include({ userId: "ops", admin: true });
        expect(info.apiKey?.rights).to.deep.equal([Right.ALL]);
        doors.close();
      } finally {
        await server.stop();
      }
    } finally {
      removeDataDir(dataDir);
    }
  });

  it("`npm start` runs the built server with the embedded store under ./data", async function () {
    const cwd = mkdtempSync(join(tmpdir(), "keyward-start-"));
    const child = spawn(process.execPath, [join(ROOT, "dist/src/cli/main.js"), "serve", "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0"], { cwd });
    try {
      let output = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start in 15 s: ${output}`)), 15_000);
        child.stdout.on("data", (chunk: Buffer) => {
          output += chunk.toString();
          if (output.includes("keyward listening")) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
        child.once("exit", (code) => reject(new Error(`exited ${code}: ${output}`)));
      });
      allServerOutput.push(output);
      expect(existsSync(join(cwd, "data", "admin.key"))).to.equal(true);
      expect(existsSync(join(cwd, "data", "keyward.db"))).to.equal(true);
    } finally {
      child.kill("SIGTERM");
      removeDataDir(cwd);
    }
  });
});
