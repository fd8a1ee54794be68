/**
 * `npm run bench` (full) and `npm run bench -- --quick` (under 45 s, for smoke checks).
 *
 * Measures Keyward against the ceilings of this machine in one run and prints one table (stdout) plus
 * bench/results.json. Everything runs on 127.0.0.1, in child processes this script starts and stops:
 *
 * 1. verification micro-benchmarks (one process, one core), which also build the SQLite store the server
 *    then runs on (N keys: 1M, or 100k with --quick);
 * 2. server RSS: idle with an empty store, and with N keys stored after verifying many distinct keys;
 * 3. gRPC load (h2load, or the Node generator): authenticated GetAuthInfo and the unauthenticated health
 *    Check on Keyward, a no-op unary on a bare grpc-js server, and GetAuthInfo on a second Keyward with
 *    `--workers 2` on the same store;
 * 4. HTTP/1.1 load (autocannon): GET /api/v1/auth_info (when the REST gateway answers it), the Connect
 *    call of the same RPC, a bare node:http server answering the same JSON, and the REST call on the
 *    `--workers 2` server;
 * 5. server RSS during and after the load phases;
 * 6. when nginx is installed, the edge (bench/edge.ts): nginx in front of a tiny upstream directly, against
 *    the nginx recipe with auth_request to Keyward, 32 connections: throughput ratio and added latency;
 * 7. events (bench/events.ts, alone: `npm run bench:events`): an event's CPU on a key update against
 *    GetAuthInfo's, that authenticated calls write no event, and the auth.fail rows of a bounded flood.
 * 8. metering (bench/metering.ts, alone: `npm run bench:metering`): CPU per authenticated call with a rate
 *    limit, with usage credits and with both against the same call without, and per forward-auth check
 *    with a rate limit.
 *
 * Fairness: every server (Keyward, its --workers 2 twin, both baselines, the edge's Keyward) runs with the
 * same Node flags, npm start's (plus --server-flags); the bare grpc-js server has channelz off as Keyward's
 * listener does. Each round measures every target of its phase back to back, and every ratio is the median
 * of the per-round ratios. Beside each rate: the server's CPU time per call (µs; /proc/<pid>/stat utime +
 * stime over the measured window, summed over a cluster's processes), and beside each ratio the same ratio
 * of CPU per call, which is steadier than throughput on a shared machine.
 *
 * Options: --quick; --grpc-load auto|h2load|node (default auto: h2load when installed);
 * --profile [dir] (CPU profiles of the server and the micro-benchmarks, summarised after the table);
 * --server-flags "<node flags>" (run the server with Node/V8 flags added after the ones `npm start` uses,
 * e.g. other heap limits, to evaluate deployment settings; shown in the output); --keep (leave the
 * temporary data directory).
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { cpus, loadavg, tmpdir } from "node:os";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetAuthInfoRequestSchema } from "../gen/keyward/v1/auth_pb.js";
import type { MicroResult, MicroSpec } from "./micro/verify-bench.js";
import { runEdgeBench } from "./edge.js";
import { runEventsBench } from "./events.js";
import { runMeteringBench } from "./metering.js";
import { ensureBuiltServer } from "./lib/build.js";
import { runHttpTarget, type HttpTarget } from "./lib/http-run.js";
import { h2loadVersion, runGrpcPhase, type GrpcGenerator } from "./lib/grpc-load.js";
import { callEach, grpcFrame, probeGrpc } from "./lib/grpc-wire.js";
import {
  childPidsOf,
  memoryOf,
  ROOT,
  runNodeJson,
  sampleRss,
  startKeyward,
  startNodeProcess,
  type Announced,
  type KeywardProcess,
} from "./lib/processes.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";
import { aggregateRounds, buildTable, evaluateTargets, pairedRatio, type LoadRound, type Results } from "./lib/report.js";
import { summarizeProfile } from "./profile-summary.js";

interface Mode {
  readonly name: "full" | "quick";
  readonly loadRounds: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly keys: number;
  readonly smallKeys: number;
  readonly microRoundMs: number;
  readonly microRounds: number;
  /** Distinct keys verified through the server before the memory reading (the cache holds 10,000). */
  readonly distinctKeys: number;
}

const FULL: Mode = {
  name: "full",
  loadRounds: 3,
  warmupMs: 1_000,
  durationMs: 5_000,
  keys: 1_000_000,
  smallKeys: 1_000,
  microRoundMs: 1_500,
  microRounds: 3,
  distinctKeys: 20_000,
};
const QUICK: Mode = {
  name: "quick",
  loadRounds: 1,
  warmupMs: 500,
  durationMs: 1_500,
  keys: 100_000,
  smallKeys: 1_000,
  microRoundMs: 250,
  microRounds: 3,
  distinctKeys: 5_000,
};

/** Fixed concurrency: h2load's usual setting for gRPC, and 32 keep-alive connections for HTTP/1.1. */
const GRPC_CONNECTIONS = 8;
const GRPC_STREAMS = 16;
const HTTP_CONNECTIONS = 32;

const GET_AUTH_INFO = "/keyward.v1.AuthService/GetAuthInfo";
const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
const NOOP = "/bench.Noop/Call";
const REST_AUTH_INFO = "/api/v1/auth_info";

const children = new Set<{ stop(): Promise<unknown> }>();

async function main(argv: string[]): Promise<void> {
  const mode = argv.includes("--quick") ? QUICK : FULL;
  const profileDir = argv.includes("--profile") ? profileDirectory(argv) : undefined;
  const keep = argv.includes("--keep");
  const extraFlags = argv.includes("--server-flags") ? (argv[argv.indexOf("--server-flags") + 1] ?? "").split(" ").filter((f) => f !== "") : [];
  // npm start's flags first: V8 takes the last value of a flag given twice, so --server-flags overrides.
  const serverFlags = [...startScriptNodeFlags(), ...extraFlags];
  const started = performance.now();
  const startedAt = new Date();
  const loadBefore = procLoadavg();

  const h2load = h2loadVersion();
  const generator = chooseGenerator(argv, h2load);
  const generatorName = generator === "h2load" ? `h2load ${h2load}` : "Node generator (node:http2, bench/load/grpc-node-load.ts)";
  progress(`keyward bench, ${mode.name} mode; gRPC load: ${generatorName}${h2load ? "" : " (h2load not installed: apt-get install nghttp2-client)"}`);
  if (loadavg()[0]! > 1) progress(`note: the machine is busy (/proc/loadavg ${loadBefore}); figures will be low and noisy`);
  const build = ensureBuiltServer();
  const serverNote = `${build.note}; node flags: ${serverFlags.join(" ") || "none"} (npm start's${extraFlags.length > 0 ? ", then --server-flags" : ""})`;
  // Baselines get the same flags as Keyward: heap limits change a server's rate by up to a third here.
  const baselineArgs = { nodeArgs: serverFlags };
  const warmUp: Mode = { ...mode, durationMs: mode.durationMs / 2 };
  progress(`server: ${serverNote}`);

  const work = mkdtempSync(join(tmpdir(), "keyward-bench-"));
  try {
    // 1. Micro-benchmarks; they leave a store with mode.keys keys in work/store for the server.
    const storeDir = join(work, "store");
    mkdirSync(storeDir);
    progress(`verification micro-benchmarks (${fmtCount(mode.keys)} keys)...`);
    const microSpec: MicroSpec = {
      dataDir: storeDir,
      small: mode.smallKeys,
      large: mode.keys,
      roundMs: mode.microRoundMs,
      rounds: mode.microRounds,
      sampleFile: join(work, "sample-keys.txt"),
      serverSample: mode.distinctKeys,
      loadKeyFile: join(work, "load-key.txt"),
    };
    const micro = await runNodeJson<MicroResult>(join(ROOT, "bench/micro/verify-bench.ts"), [JSON.stringify(microSpec)], {
      nodeArgs: ["--expose-gc", ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", join(profileDir, "micro")] : [])],
      timeoutMs: 240_000,
    });

    // 2. Memory at rest: a fresh server on an empty store, then the server on the N-key store.
    progress("server memory at rest...");
    const idleServer = await track(startKeyward(join(work, "empty"), { built: build.built, nodeFlags: serverFlags }));
    await sleep(1_000);
    const idleRss = memoryOf(idleServer.pid).rssMiB;
    await stop(idleServer);

    const server = await track(
      startKeyward(storeDir, { built: build.built, nodeFlags: serverFlags, profileDir: profileDir && join(profileDir, "server") }),
    );
    const grpcUrl = `http://${server.announcement.grpc}`;
    await sleep(1_000);
    const storedIdleRss = memoryOf(server.pid).rssMiB;
    const sample = readFileSync(microSpec.sampleFile, "utf8").split("\n").filter((line) => line !== "");
    progress(`verifying ${fmtCount(sample.length)} distinct keys through the server...`);
    const emptyRequest = grpcFrame(toBinary(GetAuthInfoRequestSchema, create(GetAuthInfoRequestSchema)));
    const distinct = await callEach(grpcUrl, GET_AUTH_INFO, emptyRequest, sample, 32, 120_000);
    const storedRss = memoryOf(server.pid).rssMiB;

    // The scaling twin: the same store, `--workers 2`; CPU is summed over the primary and its workers.
    progress("starting a second Keyward with --workers 2 on the same store...");
    const workers = await track(startKeyward(storeDir, { built: build.built, nodeFlags: serverFlags, args: ["--workers", "2"] }));
    const workerPids = [workers.pid, ...childPidsOf(workers.pid)];
    if (workerPids.length !== 3) throw new Error(`--workers 2: expected a primary and 2 workers, found pids ${workerPids.join(", ")}`);
    const workersGrpcUrl = `http://${workers.announcement.grpc}`;

    // 3. gRPC load.
    const startNoop = (args: string[]) =>
      track(startNodeProcess(join(ROOT, "bench/servers/grpc-noop-server.ts"), args, (line) => (typeof line.grpc === "string" ? line.grpc : undefined), baselineArgs));
    const noop = await startNoop([]);
    // The machine's own scaling: the bare server in two node:cluster processes, as --workers 2 runs.
    const noopWorkers = await startNoop(["--processes", "2"]);
    const auth = { authorization: `Bearer ${readFileSync(microSpec.loadKeyFile, "utf8").trim()}` };
    const emptyFrame = grpcFrame(new Uint8Array(0));
    const grpcTargets: GrpcTarget[] = [
      { id: "getAuthInfo", baseUrl: grpcUrl, path: GET_AUTH_INFO, body: emptyRequest, headers: auth, pids: [server.pid] },
      { id: "health", baseUrl: grpcUrl, path: HEALTH_CHECK, body: emptyFrame, headers: {}, pids: [server.pid] },
      { id: "noop", baseUrl: `http://${noop.announcement}`, path: NOOP, body: emptyFrame, headers: {}, pids: [noop.pid] },
      { id: "getAuthInfoWorkers", baseUrl: workersGrpcUrl, path: GET_AUTH_INFO, body: emptyRequest, headers: auth, pids: workerPids },
      { id: "noopWorkers", baseUrl: `http://${noopWorkers.announcement}`, path: NOOP, body: emptyFrame, headers: {}, pids: [noopWorkers.pid, ...childPidsOf(noopWorkers.pid)] },
    ];
    const rss = sampleRss(server.pid);
    const grpcRounds = new Map<string, LoadRound[]>(grpcTargets.map((t) => [t.id, []]));
    // Round 0 (half as long) warms every target up and is not counted: the --workers 2 twin starts with cold JITs, and
    // the first target of a phase would otherwise pay for what the others get for free.
    for (let round = 0; round <= mode.loadRounds; round++) {
      for (const target of grpcTargets) {
        progress(`gRPC ${target.id}, ${round === 0 ? "warm-up round" : `round ${round}/${mode.loadRounds}`}...`);
        const result = await runGrpcTarget(generator, target, round === 0 ? warmUp : mode);
        if (round > 0) grpcRounds.get(target.id)!.push(result);
      }
    }
    await stop(noop);
    await stop(noopWorkers);

    // 4. HTTP/1.1 load: REST when the gateway answers, Connect always, and the bare node:http ceiling.
    const restProbe = await fetchProbe(`${server.announcement.http}${REST_AUTH_INFO}`, { method: "GET", headers: auth });
    const connectInit = { method: "POST", headers: { ...auth, "content-type": "application/json", "connect-protocol-version": "1" }, body: "{}" } as const;
    const connectProbe = await fetchProbe(`${server.announcement.http}${GET_AUTH_INFO}`, connectInit);
    if (connectProbe.status !== 200) throw new Error(`the Connect call answered HTTP ${connectProbe.status}: ${connectProbe.body}`);
    const restAvailable = restProbe.status === 200;
    progress(restAvailable ? "REST gateway answers GET /api/v1/auth_info" : `REST not available: GET /api/v1/auth_info answered HTTP ${restProbe.status}`);
    const json = restAvailable ? restProbe.body : connectProbe.body;
    const startBareHttp = (args: string[]) =>
      track(
        startNodeProcess(
          join(ROOT, "bench/servers/http-json-server.ts"),
          [Buffer.from(json).toString("base64"), ...args],
          (line) => (typeof line.http === "string" ? line.http : undefined),
          baselineArgs,
        ),
      );
    const bareHttp = await startBareHttp([]);
    const bareHttpWorkers = await startBareHttp(["--processes", "2"]);
    const httpTargets: HttpTarget[] = [
      ...(restAvailable ? [{ id: "rest", url: `${server.announcement.http}${REST_AUTH_INFO}`, method: "GET" as const, headers: auth, pids: [server.pid] }] : []),
      { id: "connect", url: `${server.announcement.http}${GET_AUTH_INFO}`, method: "POST", headers: connectInit.headers, body: connectInit.body, pids: [server.pid] },
      { id: "bareHttp", url: `${bareHttp.announcement}${REST_AUTH_INFO}`, method: "GET", headers: auth, pids: [bareHttp.pid] },
      ...(restAvailable ? [{ id: "restWorkers", url: `${workers.announcement.http}${REST_AUTH_INFO}`, method: "GET" as const, headers: auth, pids: workerPids }] : []),
      { id: "bareHttpWorkers", url: `${bareHttpWorkers.announcement}${REST_AUTH_INFO}`, method: "GET", headers: auth, pids: [bareHttpWorkers.pid, ...childPidsOf(bareHttpWorkers.pid)] },
    ];
    const httpRounds = new Map<string, LoadRound[]>(httpTargets.map((t) => [t.id, []]));
    for (let round = 0; round <= mode.loadRounds; round++) {
      for (const target of httpTargets) {
        progress(`HTTP ${target.id}, ${round === 0 ? "warm-up round" : `round ${round}/${mode.loadRounds}`}...`);
        const settings = round === 0 ? warmUp : mode;
        const result = await runHttpTarget(target, { connections: HTTP_CONNECTIONS, warmupMs: settings.warmupMs, durationMs: settings.durationMs });
        if (round > 0) httpRounds.get(target.id)!.push(result);
      }
    }
    await stop(bareHttp);
    await stop(bareHttpWorkers);
    await stop(workers);

    // 5. Memory under and after load.
    const peakUnderLoad = rss.stop();
    await sleep(500);
    const after = memoryOf(server.pid);
    await stop(server);

    // 6. The edge (optional: needs nginx): nginx direct against nginx with auth_request to Keyward.
    const edge = await runEdgeBench({ rounds: mode.loadRounds, warmupMs: mode.warmupMs, durationMs: mode.durationMs, progress, nodeFlags: serverFlags });

    const grpcRows = Object.fromEntries([...grpcRounds].map(([id, rounds]) => [id, aggregateRounds(rounds)]));
    const httpRows = Object.fromEntries([...httpRounds].map(([id, rounds]) => [id, aggregateRounds(rounds)]));
    const g = (id: string) => grpcRounds.get(id)!;
    const h = (id: string) => httpRounds.get(id);
    const paired = (a: LoadRound[] | undefined, b: LoadRound[] | undefined) => (a && b ? pairedRatio(a, b) : undefined);
    // 7. Events: an event's cost on a key update, no event on authenticated calls, the auth.fail flood.
    const events = await runEventsBench(progress);
    // 8. Metering: a rate limit's and usage credits' CPU per call.
    const metering = await runMeteringBench(progress);
    const results: Results = {
      mode: mode.name,
      startedAt: startedAt.toISOString(),
      seconds: 0,
      environment: {
        node: process.version,
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        loadAverageBefore: loadBefore,
        loadAverageAfter: procLoadavg(),
        server: serverNote,
        nodeFlags: serverFlags,
      },
      settings: {
        grpcGenerator: generatorName,
        grpcConcurrency: `${GRPC_CONNECTIONS} connections x ${GRPC_STREAMS} streams`,
        httpGenerator: `autocannon ${autocannonVersion()}`,
        httpConcurrency: `${HTTP_CONNECTIONS} connections`,
        rounds: mode.loadRounds,
        warmupMs: mode.warmupMs,
        durationMs: mode.durationMs,
        keys: mode.keys,
      },
      grpc: {
        getAuthInfo: grpcRows.getAuthInfo!,
        health: grpcRows.health!,
        noop: grpcRows.noop!,
        getAuthInfoWorkers: grpcRows.getAuthInfoWorkers!,
        noopWorkers: grpcRows.noopWorkers!,
        errorsChecked: generator === "h2load" ? "h2load: HTTP status per call; grpc-status from DATA bytes (see bench/lib/grpc-load.ts)" : "grpc-status of every call",
      },
      rest: {
        available: restAvailable,
        note: restAvailable ? "GET /api/v1/auth_info answered 200" : `not available: GET /api/v1/auth_info answered HTTP ${restProbe.status}`,
        rest: httpRows.rest,
        restWorkers: httpRows.restWorkers,
        bareHttpWorkers: httpRows.bareHttpWorkers!,
        connect: httpRows.connect!,
        bareHttp: httpRows.bareHttp!,
      },
      ratios: {
        grpcAuthOverhead: pairedRatio(g("getAuthInfo"), g("health")),
        grpcCeiling: pairedRatio(g("getAuthInfo"), g("noop")),
        healthCeiling: pairedRatio(g("health"), g("noop")),
        restCeiling: paired(h("rest"), h("bareHttp")),
        restVsConnect: paired(h("rest"), h("connect")),
        grpcWorkers: pairedRatio(g("getAuthInfoWorkers"), g("getAuthInfo")),
        restWorkers: paired(h("restWorkers"), h("rest")),
        noopWorkers: pairedRatio(g("noopWorkers"), g("noop")),
        bareHttpWorkers: pairedRatio(h("bareHttpWorkers")!, h("bareHttp")!),
      },
      verification: micro,
      memory: {
        idleMB: mb(idleRss),
        storedIdleMB: mb(storedIdleRss),
        storedMB: mb(storedRss),
        distinctKeys: sample.length,
        distinctKeyErrors: distinct.errors,
        peakUnderLoadMB: mb(peakUnderLoad),
        afterLoadMB: mb(after.rssMiB),
        highWaterMB: mb(after.peakMiB),
      },
      edge,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    results.seconds = (performance.now() - started) / 1000;
    const table = buildTable(results);
    process.stdout.write(`${table}\n`);
    writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify({ ...results, events, metering, table }, null, 2)}\n`);
    progress(`wrote bench/results.json (${results.seconds.toFixed(0)} s)`);
    if (profileDir) printProfiles(profileDir);
    if (results.targets.some((t) => t.pass === false)) process.exitCode = 1;
  } finally {
    await Promise.allSettled([...children].map((child) => child.stop()));
    if (keep) progress(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

interface GrpcTarget {
  readonly id: string;
  readonly baseUrl: string;
  readonly path: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly pids: readonly number[];
}

/** One gRPC round of `target`. */
function runGrpcTarget(generator: GrpcGenerator, target: GrpcTarget, mode: Mode): Promise<LoadRound> {
  return runGrpcPhase(generator, {
    baseUrl: target.baseUrl,
    path: target.path,
    body: target.body,
    headers: target.headers,
    connections: GRPC_CONNECTIONS,
    streams: GRPC_STREAMS,
    warmupMs: mode.warmupMs,
    durationMs: mode.durationMs,
    probeResponseBytes: async () => {
      const probe = await probeGrpc(target.baseUrl, target.path, target.body, target.headers);
      if (probe.grpcStatus !== "0") throw new Error(`${target.path} answered grpc-status ${probe.grpcStatus}: ${probe.grpcMessage}`);
      return probe.bodyBytes;
    },
    serverPids: target.pids,
  });
}

async function fetchProbe(url: string, init: RequestInit): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, body: await response.text() };
}

function chooseGenerator(argv: string[], h2load: string | undefined): GrpcGenerator {
  const asked = argv.includes("--grpc-load") ? argv[argv.indexOf("--grpc-load") + 1] : "auto";
  if (asked === "node") return "node";
  if (asked === "h2load") {
    if (!h2load) throw new Error("--grpc-load h2load: h2load is not installed (Debian: apt-get install nghttp2-client)");
    return "h2load";
  }
  if (asked !== "auto") throw new Error(`--grpc-load must be auto, h2load or node, not ${asked}`);
  return h2load ? "h2load" : "node";
}

function profileDirectory(argv: string[]): string {
  const next = argv[argv.indexOf("--profile") + 1];
  const dir = next !== undefined && !next.startsWith("--") ? next : mkdtempSync(join(tmpdir(), "keyward-profiles-"));
  mkdirSync(dir, { recursive: true });
  return dir;
}

function printProfiles(dir: string): void {
  for (const part of ["server", "micro"]) {
    let files: string[];
    try {
      files = readdirSync(join(dir, part)).filter((f) => f.endsWith(".cpuprofile"));
    } catch {
      continue;
    }
    for (const file of files) {
      const path = join(dir, part, file);
      const costs = summarizeProfile(JSON.parse(readFileSync(path, "utf8")));
      const idle = costs.find((c) => c.name === "(idle)")?.selfShare ?? 0;
      if (idle > 0.9) continue; // a loader thread
      // The server idles between phases: shares are of the busy samples only.
      process.stdout.write(`\nCPU profile ${path}: top self time, % of busy samples (${(100 * idle).toFixed(0)}% idle)\n`);
      for (const c of costs.filter((x) => x.name !== "(idle)").slice(0, 25)) {
        process.stdout.write(`${((100 * c.selfShare) / (1 - idle)).toFixed(1).padStart(6)}%  ${c.name}\n`);
      }
    }
  }
}

function autocannonVersion(): string {
  return (JSON.parse(readFileSync(join(ROOT, "node_modules/autocannon/package.json"), "utf8")) as { version: string }).version;
}

async function track<T extends { stop(): Promise<unknown> }>(starting: Promise<T>): Promise<T> {
  const child = await starting;
  children.add(child);
  return child;
}

async function stop(child: Announced<unknown> | KeywardProcess): Promise<void> {
  children.delete(child);
  const code = await child.stop();
  if (code !== 0) progress(`warning: a child process exited with ${code}:\n${child.output().slice(-2000)}`);
}

/** The first three fields of /proc/loadavg (1, 5 and 15 minutes), as the kernel prints them. */
function procLoadavg(): string {
  return readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

function mb(mib: number): number {
  return (mib * 2 ** 20) / 1e6;
}

function fmtCount(n: number): string {
  return n.toLocaleString("en-US");
}

const benchStart = performance.now();

/** Progress on stderr (stdout has only the table), with the seconds since the start. */
function progress(line: string): void {
  process.stderr.write(`[${((performance.now() - benchStart) / 1000).toFixed(1).padStart(5)} s] ${line}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

process.once("SIGINT", () => {
  void Promise.allSettled([...children].map((child) => child.stop())).then(() => process.exit(130));
});

await main(process.argv.slice(2));
