/**
 * Starts the real server (`keyward serve`) as a child process on free ports with a temporary data dir,
 * and keeps every line it prints so tests can scan the logs for secrets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { openDoors, type Doors } from "./doors.js";
import { Fixtures } from "./fixtures.js";
import { allServerOutput, issuedKeys } from "./secret-scan.js";

const ROOT = fileURLToPath(new URL("../../..", import.meta.url));
const CLI = join(ROOT, "src/cli/main.ts");

export interface ServerProcess {
  readonly httpUrl: string;
  readonly grpcAddress: string;
  readonly dataDir: string;
  /** The launcher: the server itself, or npm when started through `npm start` or `npx`. */
  readonly child: ChildProcess;
  /** The server's own pid (the cluster's primary with `--workers`), from its "keyward listening" line. */
  readonly serverPid: number;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  /** The admin key written by the first start. */
  adminKey(): string;
  /**
   * Sends SIGTERM (or `signal`) and resolves with the exit code. A server still running `withinMs`
   * ({@link STOP_WITHIN_MS}) later is killed and the promise rejects with its last output, which names the
   * shutdown step it was in (a bare hook timeout would say nothing and leave the process behind).
   */
  stop(signal?: NodeJS.Signals, withinMs?: number): Promise<number | null>;
}


/** The command that runs `keyward serve` with `flags`: by default the TypeScript sources through tsx. */
export type Launch = (flags: readonly string[]) => readonly [command: string, args: readonly string[]];

const fromSources: Launch = (flags) => [process.execPath, ["--import", "tsx", CLI, "serve", ...flags]];

/** `npm start -- <flags>` in the project, as the README runs it (the built code, npm's own process on top). */
export const viaNpmStart: Launch = (flags) => ["npm", ["start", "--", ...flags]];

/**
 * `npx keyward serve <flags>` in the project: npm links the package into its npx cache (slow the first
 * time on a machine), then runs the bin through `sh -c`, so the server is npm's grandchild.
 */
export const viaNpx: Launch = (flags) => ["npx", ["keyward", "serve", ...flags]];

/** `node dist/src/cli/main.js serve <flags>`: the built server with nothing in between. */
export const viaBuiltCli: Launch = (flags) => [process.execPath, [join(ROOT, "dist/src/cli/main.js"), "serve", ...flags]];

export async function startServer(
  options: {
    dataDir?: string;
    args?: string[];
    env?: Record<string, string>;
    launch?: Launch;
    /** Start the launcher in a process group of its own, as a shell starts a job, so the group can be signalled. */
    ownProcessGroup?: boolean;
    /** Where the launcher runs (`npm start` reads package.json there); the project by default. */
    cwd?: string;
  } = {},
): Promise<ServerProcess> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "keyward-e2e-"));
  const [command, args] = (options.launch ?? fromSources)(["--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data-dir", dataDir, ...(options.args ?? [])]);
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: options.ownProcessGroup ?? false,
  });
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
    allServerOutput.push(chunk.toString());
  };
  child.stdout!.on("data", collect);
  child.stderr!.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

  const starting = new Promise<{ http: string; grpc: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 20 s:\n${output}`)), 20_000);
    const check = () => {
      for (const line of output.split("\n")) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { msg?: string; http?: string; grpc?: string; pid?: number };
        if (entry.msg === "keyward listening" && entry.http && entry.grpc && entry.pid) {
          clearTimeout(timer);
          resolve({ http: entry.http, grpc: entry.grpc, pid: entry.pid });
          return;
        }
      }
    };
    child.stdout!.on("data", check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  let ready: { http: string; grpc: string; pid: number };
  try {
    ready = await starting;
  } catch (error) {
    // Nothing else will clean up after a server that never listened: its process and the data dir made here.
    if (child.exitCode === null) child.kill("SIGKILL");
    await exited;
    if (options.dataDir === undefined) removeDataDir(dataDir);
    throw error;
  }

  return {
    httpUrl: ready.http,
    grpcAddress: ready.grpc,
    serverPid: ready.pid,
    dataDir,
    child,
    output: () => output,
    adminKey: () => readFileSync(join(dataDir, "admin.key"), "utf8").trim(),
    async stop(signal = "SIGTERM", withinMs = STOP_WITHIN_MS) {
      if (child.exitCode !== null) return exited;
      child.kill(signal);
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          const tail = output.trimEnd().split("\n").slice(-40).join("\n");
          reject(new Error(`the server did not exit within ${withinMs / 1000} s of ${signal}; killed. Its last output:\n${tail}`));
        }, withinMs);
      });
      try {
        return await Promise.race([exited, hung]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** How long a stopped server may take to exit: its drain (`--shutdown-timeout`, 10 s by default) and the store's close, with room. */
export const STOP_WITHIN_MS = 25_000;

/** Removes a data dir made by {@link startServer}. */
export function removeDataDir(dataDir: string): void {
  rmSync(dataDir, { recursive: true, force: true });
}

/** A server shared by one test file, with its doors, fixtures and admin key. */
export interface ServerUnderTest {
  server: ServerProcess;
  doors: Doors;
  fx: Fixtures;
  admin: string;
}

/**
 * Starts a server before the enclosing suite and stops it after, asserting a clean exit. The returned
 * object is filled in by the `before` hook.
 */
export function useServer(options: { args?: string[] } = {}): ServerUnderTest {
  const context = {} as ServerUnderTest;
  before(async () => {
    context.server = await startServer(options);
    context.doors = openDoors(context.server.httpUrl, context.server.grpcAddress);
    context.admin = context.server.adminKey();
    issuedKeys.add(context.admin);
    context.fx = new Fixtures(context.doors, context.admin);
  });
  after(async () => {
    if (context.server === undefined) return; // the suite skipped (or failed) before the server started
    context.doors.close();
    expect(await context.server.stop()).to.equal(0);
    removeDataDir(context.server.dataDir);
  });
  return context;
}
