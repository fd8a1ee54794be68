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
 *    Check on Keyward, and a no-op unary on a bare grpc-js server; rounds interleaved, median reported;
 * 4. HTTP/1.1 load (autocannon): GET /api/v1/auth_info (when the REST gateway answers it), the Connect
 *    call of the same RPC, and a bare node:http server answering the same JSON;
 * 5. server RSS during and after the load phases;
 * 6. when nginx is installed, the edge (bench/edge.ts): nginx in front of a tiny upstream directly, against
 *    the nginx recipe with auth_request to Keyward, 32 connections: throughput ratio and added latency.
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
import { edgeTable, runEdgeBench } from "./edge.js";
import { ensureBuiltServer } from "./lib/build.js";
import { runHttpTarget, type HttpRound, type HttpTarget } from "./lib/http-run.js";
import { h2loadVersion, runGrpcPhase, type GrpcGenerator, type GrpcPhaseResult } from "./lib/grpc-load.js";
import { callEach, grpcFrame, probeGrpc } from "./lib/grpc-wire.js";
import {
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
import { buildTable, evaluateTargets, type LoadRow, type Results } from "./lib/report.js";
import { median } from "./lib/stats.js";
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

/** Fixed concurrency: DESIGN §8's h2load setting for gRPC, and 32 keep-alive connections for HTTP/1.1. */
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
  const loadBefore = loadavg()[0]!;

  const h2load = h2loadVersion();
  const generator = chooseGenerator(argv, h2load);
  const generatorName = generator === "h2load" ? `h2load ${h2load}` : "Node generator (node:http2, bench/load/grpc-node-load.ts)";
  progress(`keyward bench, ${mode.name} mode; gRPC load: ${generatorName}${h2load ? "" : " (h2load not installed: apt-get install nghttp2-client)"}`);
  if (loadBefore > 1) progress(`note: the machine is busy (load average ${loadBefore.toFixed(2)}); figures will be low and noisy`);
  const build = ensureBuiltServer();
  const serverNote = `${build.note}; node flags: ${serverFlags.join(" ") || "none"} (npm start's${extraFlags.length > 0 ? ", then --server-flags" : ""})`;
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

    // 3. gRPC load.
    const noop = await track(
      startNodeProcess(join(ROOT, "bench/servers/grpc-noop-server.ts"), [], (line) => (typeof line.grpc === "string" ? line.grpc : undefined)),
    );
    const auth = { authorization: `Bearer ${readFileSync(microSpec.loadKeyFile, "utf8").trim()}` };
    const emptyFrame = grpcFrame(new Uint8Array(0));
    const grpcTargets: GrpcTarget[] = [
      { id: "getAuthInfo", baseUrl: grpcUrl, path: GET_AUTH_INFO, body: emptyRequest, headers: auth, pid: server.pid },
      { id: "health", baseUrl: grpcUrl, path: HEALTH_CHECK, body: emptyFrame, headers: {}, pid: server.pid },
      { id: "noop", baseUrl: `http://${noop.announcement}`, path: NOOP, body: emptyFrame, headers: {}, pid: noop.pid },
    ];
    const rss = sampleRss(server.pid);
    const grpcRounds = new Map<string, GrpcPhaseResult[]>(grpcTargets.map((t) => [t.id, []]));
    for (let round = 1; round <= mode.loadRounds; round++) {
      for (const target of grpcTargets) {
        progress(`gRPC ${target.id}, round ${round}/${mode.loadRounds}...`);
        grpcRounds.get(target.id)!.push(await runGrpcTarget(generator, target, mode));
      }
    }
    await stop(noop);

    // 4. HTTP/1.1 load: REST when the gateway answers, Connect always, and the bare node:http ceiling.
    const restProbe = await fetchProbe(`${server.announcement.http}${REST_AUTH_INFO}`, { method: "GET", headers: auth });
    const connectInit = { method: "POST", headers: { ...auth, "content-type": "application/json", "connect-protocol-version": "1" }, body: "{}" } as const;
    const connectProbe = await fetchProbe(`${server.announcement.http}${GET_AUTH_INFO}`, connectInit);
    if (connectProbe.status !== 200) throw new Error(`the Connect call answered HTTP ${connectProbe.status}: ${connectProbe.body}`);
    const restAvailable = restProbe.status === 200;
    progress(restAvailable ? "REST gateway answers GET /api/v1/auth_info" : `REST not available: GET /api/v1/auth_info answered HTTP ${restProbe.status}`);
    const json = restAvailable ? restProbe.body : connectProbe.body;
    const bareHttp = await track(
      startNodeProcess(join(ROOT, "bench/servers/http-json-server.ts"), [Buffer.from(json).toString("base64")], (line) =>
        typeof line.http === "string" ? line.http : undefined,
      ),
    );
    const httpTargets: HttpTarget[] = [
      ...(restAvailable ? [{ id: "rest", url: `${server.announcement.http}${REST_AUTH_INFO}`, method: "GET" as const, headers: auth, pid: server.pid }] : []),
      { id: "connect", url: `${server.announcement.http}${GET_AUTH_INFO}`, method: "POST", headers: connectInit.headers, body: connectInit.body, pid: server.pid },
      { id: "bareHttp", url: `${bareHttp.announcement}${REST_AUTH_INFO}`, method: "GET", headers: auth, pid: bareHttp.pid },
    ];
    const httpRounds = new Map<string, HttpRound[]>(httpTargets.map((t) => [t.id, []]));
    for (let round = 1; round <= mode.loadRounds; round++) {
      for (const target of httpTargets) {
        progress(`HTTP ${target.id}, round ${round}/${mode.loadRounds}...`);
        httpRounds.get(target.id)!.push(await runHttpTarget(target, { connections: HTTP_CONNECTIONS, warmupMs: mode.warmupMs, durationMs: mode.durationMs }));
      }
    }
    await stop(bareHttp);

    // 5. Memory under and after load.
    const peakUnderLoad = rss.stop();
    await sleep(500);
    const after = memoryOf(server.pid);
    await stop(server);

    const grpcRows = Object.fromEntries([...grpcRounds].map(([id, rounds]) => [id, aggregate(rounds)]));
    const httpRows = Object.fromEntries([...httpRounds].map(([id, rounds]) => [id, aggregate(rounds)]));
    const results: Results = {
      mode: mode.name,
      startedAt: startedAt.toISOString(),
      seconds: 0,
      environment: {
        node: process.version,
        cpu: cpus()[0]?.model ?? "unknown",
        cores: cpus().length,
        loadAverageBefore: loadBefore,
        loadAverageAfter: loadavg()[0]!,
        server: serverNote,
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
        errorsChecked: generator === "h2load" ? "h2load: HTTP status per call; grpc-status from DATA bytes (see bench/lib/grpc-load.ts)" : "grpc-status of every call",
      },
      rest: {
        available: restAvailable,
        note: restAvailable ? "GET /api/v1/auth_info answered 200" : `not available: GET /api/v1/auth_info answered HTTP ${restProbe.status}`,
        rest: httpRows.rest,
        connect: httpRows.connect!,
        bareHttp: httpRows.bareHttp!,
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
      targets: [],
    };
    results.targets = evaluateTargets(results);
    results.seconds = (performance.now() - started) / 1000;
    const table = buildTable(results);
    process.stdout.write(`${table}\n`);
    // 6. The edge (optional: needs nginx): nginx direct against nginx with auth_request to Keyward.
    const edge = await runEdgeBench({ rounds: mode.loadRounds, warmupMs: mode.warmupMs, durationMs: mode.durationMs, progress });
    const edgeText = edgeTable(edge);
    process.stdout.write(`${edgeText}\n`);
    results.seconds = (performance.now() - started) / 1000;
    writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify({ ...results, edge, table: `${table}\n${edgeText}` }, null, 2)}\n`);
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
  readonly pid: number;
}

/** One gRPC round of `target`. */
function runGrpcTarget(generator: GrpcGenerator, target: GrpcTarget, mode: Mode): Promise<GrpcPhaseResult> {
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
    serverPid: target.pid,
  });
}

/** Median throughput and latencies over the rounds; calls and errors summed. */
function aggregate(rounds: ReadonlyArray<GrpcPhaseResult | HttpRound>): LoadRow {
  const errorKinds: Record<string, number> = {};
  for (const round of rounds) for (const [kind, n] of Object.entries(round.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    errorsExact: rounds.every((r) => !("errorsExact" in r) || r.errorsExact),
    errorKinds,
    serverCpu: median(rounds.map((r) => r.serverCpu)),
    generatorCpu: median(rounds.map((r) => r.generatorCpu)),
    roundsRps: rounds.map((r) => Math.round(r.rps)),
  };
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
