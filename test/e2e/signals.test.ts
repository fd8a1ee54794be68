/**
 * Stopping the server with SIGINT or SIGTERM, once or twice, under load, however it was launched and
 * wherever the signal goes: to the server's own pid, to the launcher's (`npm start`, `npx keyward serve`),
 * or to the launcher's whole process group, as a terminal's Ctrl-C and service managers do. Every time the
 * calls in flight are answered, the server logs "stopped" and exits 0, and nothing is left running.
 *
 * Why each launcher is its own case (see src/server/stop-request.ts): `npm start` runs `exec node …`, so
 * the server is npm's child and npm forwards SIGINT and SIGTERM to it; a Ctrl-C therefore reaches the
 * server twice (from the terminal and from npm). `npx` runs the bin through `sh -c`, and forwards signals
 * only to that shell, which dies on SIGTERM without passing it on: the server must notice its launcher
 * is gone. What npx cannot do at all: a SIGINT sent to npx's pid alone stops at its shell (dash holds it
 * until its child exits), so that case is not here; docs/operations.md says so.
 */
import { spawnSync } from "node:child_process";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { openDoors, type Doors, type Outcome } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { HEALTH_NOT_SERVING, HEALTH_SERVING, healthWatch } from "../transport/support/grpc-health-client.js";
import { removeDataDir, startServer, viaBuiltCli, viaNpmStart, viaNpx, type Launch, type ServerProcess } from "./support/server-process.js";

type Target = "server" | "launcher" | "process group";
type LauncherName = "node" | "npm start" | "npx";

interface Case {
  readonly launcher: LauncherName;
  readonly target: Target;
  readonly signal: "SIGINT" | "SIGTERM";
  readonly times: 1 | 2;
  readonly workers: 1 | 2;
}

const LAUNCH: Record<LauncherName, Launch> = { node: viaBuiltCli, "npm start": viaNpmStart, npx: viaNpx };

/** Calls sent together after the connection is up; the signal goes out once the first is answered. */
const IN_FLIGHT = 40;
/** Background load: this many callers, each making calls one after another, at most this many each. */
const CALLERS = 4;
const MAX_CALLS_PER_CALLER = 400;

function cases(): Case[] {
  const all: Case[] = [];
  const each = (
    launcher: LauncherName,
    target: Target,
    workers: 1 | 2,
    signals: readonly Case["signal"][] = ["SIGINT", "SIGTERM"],
    counts: readonly Case["times"][] = [1, 2],
  ) => {
    for (const signal of signals) for (const times of counts) all.push({ launcher, target, signal, times, workers });
  };
  // One process: every signal, once and twice, at every target each launcher has.
  each("node", "server", 1);
  each("node", "process group", 1, ["SIGINT"], [2]);
  each("npm start", "launcher", 1);
  each("npm start", "process group", 1);
  each("npm start", "server", 1, ["SIGINT", "SIGTERM"], [2]);
  each("npx", "launcher", 1, ["SIGTERM"]);
  each("npx", "process group", 1);
  each("npx", "server", 1, ["SIGINT", "SIGTERM"], [1]);
  // --workers 2: the workers are in the launcher's process group too, so a group signal reaches them.
  each("node", "server", 2, ["SIGINT", "SIGTERM"], [2]);
  each("node", "process group", 2, ["SIGINT", "SIGTERM"], [2]);
  each("npm start", "process group", 2, ["SIGINT", "SIGTERM"], [1]);
  each("npm start", "launcher", 2, ["SIGINT", "SIGTERM"], [2]);
  each("npx", "process group", 2, ["SIGINT"], [2]);
  each("npx", "launcher", 2, ["SIGTERM"], [1]);
  return all;
}

/** Whether any process of the group `pgid` is still running. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitUntil(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const started = Date.now();
  while (!done()) {
    if (Date.now() - started > timeoutMs) expect.fail(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `promise`, or a failure naming `what` after `timeoutMs`, so a stuck case still reaches its cleanup. */
async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting until ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What npm reports when the server was stopped through it: npm start exits with the server's code;
 * npx exits by the signal that killed its shell (npm re-raises it on itself), or 0 when its shell exited 0.
 */
function expectedLauncherExit(c: Case): { code: number | null; signal: NodeJS.Signals | null } {
  if (c.launcher === "npx" && c.target !== "server") return { code: null, signal: c.signal };
  return { code: 0, signal: null };
}

/** Calls made one after another until one fails (the listener closed) or the cap is reached. */
async function caller(doors: Doors, key: string): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (let i = 0; i < MAX_CALLS_PER_CALLER; i++) {
    const outcome = await doors.call("grpc", AuthService.method.getAuthInfo, {}, key);
    outcomes.push(outcome);
    if (!outcome.ok) break;
  }
  return outcomes;
}

describe("e2e: SIGINT and SIGTERM under load, to the server, npm start, npx or the process group", function () {
  this.timeout(90_000);

  before(function () {
    // npx links the package into npm's npx cache on its first use on a machine, which can take half a minute.
    this.timeout(180_000);
    const warm = spawnSync("npx", ["keyward", "--version"], { cwd: process.cwd(), encoding: "utf8", timeout: 170_000 });
    expect(warm.status, `npx keyward --version: ${warm.stderr}`).to.equal(0);
  });

  for (const c of cases()) {
    const title = `${c.signal}${c.times === 2 ? " twice" : ""} to the ${c.target} of ${c.launcher === "node" ? "`keyward serve`" : `\`${c.launcher}\``}${c.workers === 2 ? " --workers 2" : ""}`;
    it(title, async () => {
      let server: ServerProcess | undefined;
      let doors: Doors | undefined;
      let watcher: grpc.Client | undefined;
      try {
        server = await startServer({ launch: LAUNCH[c.launcher], ownProcessGroup: true, args: c.workers === 2 ? ["--workers", "2"] : [] });
        const { child, serverPid } = server;
        const launcherExit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
          child.once("exit", (code, signal) => resolve({ code, signal })),
        );
        // Closed once every process holding the launcher's stdout (npm, its shell, the server, workers) is gone.
        const outputClosed = new Promise<void>((resolve) => child.stdout!.once("close", () => resolve()));
        doors = openDoors(server.httpUrl, server.grpcAddress);
        const key = server.adminKey();
        issuedKeys.add(key);
        ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, key)); // the connection is up
        // A health watcher keeps a stream open: the drain cannot end before it is cancelled, so the
        // second signal lands mid-drain for certain. Its NOT_SERVING shows the drain has begun.
        watcher = new grpc.Client(server.grpcAddress, grpc.credentials.createInsecure());
        const watch = healthWatch(watcher, "");
        await within(watch.until(HEALTH_SERVING), 20_000, "the health watch reports SERVING");

        const background = Array.from({ length: CALLERS }, () => caller(doors!, key));
        const inFlight = Array.from({ length: IN_FLIGHT }, () => doors!.call("grpc", AuthService.method.getAuthInfo, {}, key));
        ok(await Promise.race(inFlight));
        const to = c.target === "server" ? serverPid : c.target === "launcher" ? child.pid! : -child.pid!;
        process.kill(to, c.signal);
        await within(watch.until(HEALTH_NOT_SERVING), 20_000, "the health watch reports NOT_SERVING");
        // npx's launcher is gone after the first SIGTERM (its shell died, npm followed): nothing to send to.
        const secondReachesServer = !(c.launcher === "npx" && c.target === "launcher");
        if (c.times === 2 && secondReachesServer) {
          process.kill(to, c.signal);
          await waitUntil("the second signal is logged", () => server!.output().includes("already shutting down; ignoring the signal"), 10_000);
        }
        const answered = await within(Promise.all(inFlight), 20_000, "the calls in flight are answered");
        expect(answered.filter((o) => !o.ok), "calls in flight when the signal was sent").to.deep.equal([]);
        expect(() => process.kill(serverPid, 0), "the server drains, still running, while a stream is open").to.not.throw();
        watch.cancel();

        const exit = await within(launcherExit, 20_000, "the launcher exits");
        await within(outputClosed, 20_000, "every process holding the launcher's output has exited");
        await waitUntil("no process of the launcher's group is left", () => !groupAlive(child.pid!), 15_000);
        expect(() => process.kill(serverPid, 0), "the server's pid is gone").to.throw();
        const output = server.output();
        expect(exit, output).to.deep.equal(expectedLauncherExit(c));
        const lines = output
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as { msg?: string; level?: string; signal?: string; launcherExited?: number });
        // With --workers 2 each worker logs "stopped" as well as the primary.
        expect(lines.filter((line) => line.msg === "stopped").length, output).to.equal(c.workers === 2 ? 3 : 1);
        expect(lines.filter((line) => line.level === "error"), output).to.deep.equal([]);
        const began = lines.find((line) => line.msg === (c.workers === 2 ? "shutting down: draining every worker" : "shutting down: draining in-flight calls"));
        if (c.target === "process group" && c.launcher !== "node") {
          // The whole group gets the signal at once: the server may see its own signal first, or see
          // its launcher, killed by the same signal, exit first. Either way the drain began at once.
          expect(began?.signal === c.signal || typeof began?.launcherExited === "number", output).to.equal(true);
        } else if (secondReachesServer) expect(began?.signal, output).to.equal(c.signal);
        else expect(began?.launcherExited, output).to.be.a("number");

        // The background load: every call was answered, or never ran because the listener had closed
        // (grpc-js then reports UNAVAILABLE without a connection) or because the stream raced the
        // server's GOAWAY and was refused (REFUSED_STREAM: HTTP/2 guarantees it was not processed);
        // none was cut or reset mid-call.
        const load = (await Promise.all(background)).flat();
        expect(load.filter((o) => o.ok).length, "calls answered before the drain").to.be.above(0);
        for (const failure of load.filter((o): o is Extract<Outcome, { ok: false }> => !o.ok)) {
          expect(failure.codeName, failure.message).to.equal("Unavailable");
          expect(failure.message).to.match(/No connection established|ECONNREFUSED|Stream refused by server/);
        }
      } finally {
        doors?.close();
        watcher?.close();
        if (server) {
          if (groupAlive(server.child.pid!)) process.kill(-server.child.pid!, "SIGKILL");
          removeDataDir(server.dataDir);
        }
      }
    });
  }
});
