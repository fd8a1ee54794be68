/**
 * `npm run bench` (full) and `npm run bench -- --quick` (under 3 minutes on 2 cores, every verdict).
 *
 * Judges the performance targets (docs/performance.md, "Running the bench") as ratios of server CPU per
 * call against a baseline measured in the same rounds, prints one table (stdout) with progress on
 * stderr, writes bench/results.json and appends a line to bench/history.jsonl. Everything runs on 127.0.0.1, in child processes this script starts and
 * stops:
 *
 * 1. verification micro-benchmarks (information; one process, one core), which also build the SQLite
 *    store the server then runs on (N keys: 1M, or 100k with --quick);
 * 2. server RSS: idle with an empty store, and with N keys stored after verifying many distinct keys;
 * 3. gRPC load (h2load, or the Node generator): authenticated GetAuthInfo and the unauthenticated health
 *    Check on Keyward, a no-op unary on a bare grpc-js server, and GetAuthInfo on a second Keyward with
 *    `--workers 2` on the same store;
 * 4. HTTP/1.1 load (autocannon), each door probed first: REST GET /api/v1/auth_info, Connect JSON and
 *    Connect binary GetAuthInfo, gRPC-Web GetAuthInfo, a forward-auth check (GET /api/v1/auth/check), a
 *    bare node:http server answering REST's JSON, and REST on the `--workers 2` twin;
 * 5. server RSS during and after the load phases;
 * 6. metering (bench/metering.ts): CPU per call with a rate limit, usage credits and both against none,
 *    and per forward-auth check with a rate limit;
 * 7. management at scale (bench/management.ts): list pages on a large store against a small one, key
 *    creation against GetAuthInfo, startup, and peak RSS on the large store;
 * 8. full mode only (information): events (bench/events.ts: an event's CPU on a key update against
 *    GetAuthInfo's, that authenticated calls write no event, the auth.fail rows of a bounded flood), the
 *    bare servers in two node:cluster processes (the machine's own scaling), and, when nginx is
 *    installed, the edge (bench/edge.ts).
 *
 * Fairness: every server (Keyward, its --workers 2 twin, both baselines, the edge's Keyward) runs with the
 * same Node flags, npm start's (plus --server-flags); the bare grpc-js server has channelz off as Keyward's
 * listener does. Each round measures every target of its phase back to back after an uncounted warm-up
 * round, and every ratio is the median of the per-round ratios. The server's CPU time per call is
 * /proc/<pid>/stat utime + stime over the measured window (summed over a cluster's processes) over the
 * calls answered in it. The load generators stay running across runs (bench/lib/load-worker.ts).
 *
 * Options: --quick; --grpc-load auto|h2load|node (default auto: h2load when installed);
 * --profile [dir] (CPU profiles of the server and the micro-benchmarks, summarised after the table);
 * --server-flags "<node flags>" (run the server with Node/V8 flags added after the ones `npm start` uses,
 * e.g. other heap limits, to evaluate deployment settings; shown in the output); --keep (leave the
 * temporary data directory). Exits 1 when a verdict is missed, naming it.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { cpus, loadavg, tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetAuthInfoRequestSchema } from "../gen/keyward/v1/auth_pb.js";
import type { MicroResult, MicroSpec } from "./micro/verify-bench.js";
import { runEdgeBench } from "./edge.js";
import { runEventsBench } from "./events.js";
import { runManagementBench } from "./management.js";
import { METERING_FULL, METERING_QUICK, runMeteringBench, type MeteringSettings } from "./metering.js";
import { ensureBuiltServer } from "./lib/build.js";
import { runHttpTarget, stopHttpGenerator, type HttpTarget } from "./lib/http-run.js";
import { GET_AUTH_INFO, probeDoors, REST_AUTH_INFO } from "./lib/http-doors.js";
import { h2loadVersion, runGrpcPhase, stopGrpcGenerator, type GrpcGenerator } from "./lib/grpc-load.js";
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
import { aggregateRounds, buildTable, evaluateTargets, failedTargets, pairedRatio, type LoadRound, type Results } from "./lib/report.js";
import { summarizeProfile } from "./profile-summary.js";

interface Mode {
  readonly name: "full" | "quick";
  readonly loadRounds: number;
  /** Each target's run in the warm-up round (round 0, not counted). */
  readonly warmupRoundMs: number;
  /** A warm-up run before every measured run (0: none; the warm-up round and the trimmed CPU window suffice). */
  readonly runWarmupMs: number;
  readonly durationMs: number;
  readonly keys: number;
  readonly smallKeys: number;
  readonly microRoundMs: number;
  readonly microRounds: number;
  /** Distinct keys verified through the server before the memory reading (the cache holds 10,000). */
  readonly distinctKeys: number;
  /** Information only: events, the bare servers in two processes (the machine's own scaling), the nginx edge. */
  readonly informationPhases: boolean;
  readonly metering: MeteringSettings;
}

const FULL: Mode = {
  name: "full",
  loadRounds: 3,
  warmupRoundMs: 2_500,
  runWarmupMs: 1_000,
  durationMs: 5_000,
  keys: 1_000_000,
  smallKeys: 1_000,
  microRoundMs: 1_500,
  microRounds: 3,
  distinctKeys: 20_000,
  informationPhases: true,
  metering: METERING_FULL,
};
/** Under 3 minutes on a 2-core machine, management's minute included; every verdict of the full bench. */
const QUICK: Mode = {
  name: "quick",
  loadRounds: 5,
  warmupRoundMs: 500,
  runWarmupMs: 0,
  durationMs: 1_000,
  keys: 100_000,
  smallKeys: 1_000,
  microRoundMs: 200,
  microRounds: 3,
  distinctKeys: 2_000,
  informationPhases: false,
  metering: METERING_QUICK,
};

/** Fixed concurrency: h2load's usual setting for gRPC, and 32 keep-alive connections for HTTP/1.1. */
const GRPC_CONNECTIONS = 8;
const GRPC_STREAMS = 16;
const HTTP_CONNECTIONS = 32;

const HEALTH_CHECK = "/grpc.health.v1.Health/Check";
const NOOP = "/bench.Noop/Call";

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
    // 2. Memory at rest, first of a fresh server on an empty store, read while the micro-benchmarks run
    // (CPU contention does not change a resident set; it saves a server start).
    const idleRssReading = (async () => {
      const idleServer = await track(startKeyward(join(work, "empty"), { built: build.built, nodeFlags: serverFlags }));
      await sleep(1_000);
      const rssMiB = memoryOf(idleServer.pid).rssMiB;
      await stop(idleServer);
      return rssMiB;
    })();
    const micro = await runNodeJson<MicroResult>(join(ROOT, "bench/micro/verify-bench.ts"), [JSON.stringify(microSpec)], {
      nodeArgs: ["--expose-gc", ...(profileDir ? ["--cpu-prof", "--cpu-prof-dir", join(profileDir, "micro")] : [])],
      timeoutMs: 240_000,
    });
    const idleRss = await idleRssReading;

    // Then the server on the N-key store.
    progress("server memory at rest...");

    const server = await track(
      startKeyward(storeDir, { built: build.built, nodeFlags: serverFlags, profileDir: profileDir && join(profileDir, "server") }),
    );
    const grpcUrl = `http://${server.announcement.grpc}`;
    await sleep(1_000);
    const storedIdleRss = memoryOf(server.pid).rssMiB;
    // The scaling twin: the same store, `--workers 2`; CPU is summed over the primary and its workers. It
    // starts while the first server verifies the distinct keys (that phase reads memory, not speed).
    progress("starting a second Keyward with --workers 2 on the same store...");
    const twinStarting = track(startKeyward(storeDir, { built: build.built, nodeFlags: serverFlags, args: ["--workers", "2"] }));
    const sample = readFileSync(microSpec.sampleFile, "utf8").split("\n").filter((line) => line !== "");
    progress(`verifying ${fmtCount(sample.length)} distinct keys through the server...`);
    const emptyRequest = grpcFrame(toBinary(GetAuthInfoRequestSchema, create(GetAuthInfoRequestSchema)));
    const distinct = await callEach(grpcUrl, GET_AUTH_INFO, emptyRequest, sample, 32, 120_000);
    const storedRss = memoryOf(server.pid).rssMiB;
    const workers = await twinStarting;
    const workerPids = [workers.pid, ...childPidsOf(workers.pid)];
    if (workerPids.length !== 3) throw new Error(`--workers 2: expected a primary and 2 workers, found pids ${workerPids.join(", ")}`);
    const workersGrpcUrl = `http://${workers.announcement.grpc}`;

    // 3. gRPC load.
    const startNoop = (args: string[]) =>
      track(startNodeProcess(join(ROOT, "bench/servers/grpc-noop-server.ts"), args, (line) => (typeof line.grpc === "string" ? line.grpc : undefined), baselineArgs));
    const noop = await startNoop([]);
    // The machine's own scaling (information, full mode): the bare server in two node:cluster processes, as --workers 2 runs.
    const noopWorkers = mode.informationPhases ? await startNoop(["--processes", "2"]) : undefined;
    const auth = { authorization: `Bearer ${readFileSync(microSpec.loadKeyFile, "utf8").trim()}` };
    const emptyFrame = grpcFrame(new Uint8Array(0));
    const grpcTargets: GrpcTarget[] = [
      { id: "getAuthInfo", baseUrl: grpcUrl, path: GET_AUTH_INFO, body: emptyRequest, headers: auth, pids: [server.pid] },
      { id: "health", baseUrl: grpcUrl, path: HEALTH_CHECK, body: emptyFrame, headers: {}, pids: [server.pid] },
      { id: "noop", baseUrl: `http://${noop.announcement}`, path: NOOP, body: emptyFrame, headers: {}, pids: [noop.pid] },
      { id: "getAuthInfoWorkers", baseUrl: workersGrpcUrl, path: GET_AUTH_INFO, body: emptyRequest, headers: auth, pids: workerPids },
      ...(noopWorkers
        ? [{ id: "noopWorkers", baseUrl: `http://${noopWorkers.announcement}`, path: NOOP, body: emptyFrame, headers: {}, pids: [noopWorkers.pid, ...childPidsOf(noopWorkers.pid)] }]
        : []),
    ];
    const rss = sampleRss(server.pid);
    const grpcRounds = await alternate("gRPC", grpcTargets, mode, (target, settings) => runGrpcTarget(generator, target, settings));
    await stop(noop);
    if (noopWorkers) await stop(noopWorkers);

    // 4. HTTP/1.1 load: every HTTP door of GetAuthInfo, forward auth, the bare node:http ceiling serving
    // REST's JSON, and REST on the --workers 2 twin. Each door is probed first and stops the bench when it
    // does not answer success.
    const doors = await probeDoors(server.announcement.http, auth, [server.pid]);
    const twin = await probeDoors(workers.announcement.http, auth, workerPids);
    progress(`HTTP doors answer for ${doors.userId}: REST, Connect JSON, Connect binary, gRPC-Web (grpc-status 0), forward auth (200)`);
    const startBareHttp = (args: string[]) =>
      track(
        startNodeProcess(
          join(ROOT, "bench/servers/http-json-server.ts"),
          [Buffer.from(doors.restJson).toString("base64"), ...args],
          (line) => (typeof line.http === "string" ? line.http : undefined),
          baselineArgs,
        ),
      );
    const bareHttp = await startBareHttp([]);
    const bareHttpWorkers = mode.informationPhases ? await startBareHttp(["--processes", "2"]) : undefined;
    const d = doors.targets;
    const httpTargets: HttpTarget[] = [
      d.rest,
      d.connect,
      d.connectBinary,
      d.grpcWeb,
      d.forwardAuth,
      { id: "bareHttp", url: `${bareHttp.announcement}${REST_AUTH_INFO}`, method: "GET", headers: auth, pids: [bareHttp.pid] },
      { ...twin.targets.rest, id: "restWorkers" },
      ...(bareHttpWorkers
        ? [{ id: "bareHttpWorkers", url: `${bareHttpWorkers.announcement}${REST_AUTH_INFO}`, method: "GET" as const, headers: auth, pids: [bareHttpWorkers.pid, ...childPidsOf(bareHttpWorkers.pid)] }]
        : []),
    ];
    const httpRounds = await alternate("HTTP", httpTargets, mode, (target, settings) =>
      runHttpTarget(target, { connections: HTTP_CONNECTIONS, warmupMs: settings.warmupMs, durationMs: settings.durationMs }),
    );
    await stop(bareHttp);
    if (bareHttpWorkers) await stop(bareHttpWorkers);
    await stop(workers);

    // 5. Memory under and after load.
    const peakUnderLoad = rss.stop();
    await sleep(500);
    const after = memoryOf(server.pid);
    await stop(server);

    // 6. Metering: a rate limit's and usage credits' CPU per call, on a fresh server (bench/metering.ts).
    const metering = await runMeteringBench(progress, { settings: mode.metering, nodeFlags: serverFlags });
    // 7. Management at scale: list pages, key creation, startup and RSS on the large store (bench/management.ts).
    progress("management at scale (bench/management.ts)...");
    const management = await runManagementBench({ quick: mode.name === "quick", progress, nodeFlags: serverFlags });
    // 8. Events (information, full mode): an event's cost on a key update, no event on authenticated
    // calls, the auth.fail flood.
    const events = mode.informationPhases ? await runEventsBench(progress) : undefined;
    // 9. The edge (information, full mode; needs nginx): nginx direct against nginx with auth_request to Keyward.
    const edge = mode.informationPhases
      ? await runEdgeBench({ rounds: mode.loadRounds, warmupMs: mode.runWarmupMs, durationMs: mode.durationMs, progress, nodeFlags: serverFlags })
      : undefined;

    const row = (rounds: Map<string, LoadRound[]>, id: string) => aggregateRounds(rounds.get(id)!);
    const optionalRow = (rounds: Map<string, LoadRound[]>, id: string) => (rounds.has(id) ? aggregateRounds(rounds.get(id)!) : undefined);
    const g = (id: string) => grpcRounds.get(id)!;
    const h = (id: string) => httpRounds.get(id)!;
    const results: Results = {
      mode: mode.name,
      startedAt: startedAt.toISOString(),
      seconds: 0,
      commit: gitCommit(),
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
        warmupRoundMs: mode.warmupRoundMs,
        durationMs: mode.durationMs,
        keys: mode.keys,
      },
      grpc: {
        getAuthInfo: row(grpcRounds, "getAuthInfo"),
        health: row(grpcRounds, "health"),
        noop: row(grpcRounds, "noop"),
        getAuthInfoWorkers: row(grpcRounds, "getAuthInfoWorkers"),
        noopWorkers: optionalRow(grpcRounds, "noopWorkers"),
        errorsChecked: generator === "h2load" ? "h2load: HTTP status per call; grpc-status from DATA bytes (see bench/lib/grpc-load.ts)" : "grpc-status of every call",
      },
      http: {
        rest: row(httpRounds, "rest"),
        connect: row(httpRounds, "connect"),
        connectBinary: row(httpRounds, "connectBinary"),
        grpcWeb: row(httpRounds, "grpcWeb"),
        forwardAuth: row(httpRounds, "forwardAuth"),
        bareHttp: row(httpRounds, "bareHttp"),
        restWorkers: row(httpRounds, "restWorkers"),
        bareHttpWorkers: optionalRow(httpRounds, "bareHttpWorkers"),
      },
      ratios: {
        connectJsonVsRest: pairedRatio(h("connect"), h("rest")),
        connectBinaryVsRest: pairedRatio(h("connectBinary"), h("rest")),
        grpcWebVsRest: pairedRatio(h("grpcWeb"), h("rest")),
        grpcVsHealth: pairedRatio(g("getAuthInfo"), g("health")),
        grpcVsNoop: pairedRatio(g("getAuthInfo"), g("noop")),
        healthVsNoop: pairedRatio(g("health"), g("noop")),
        restVsBare: pairedRatio(h("rest"), h("bareHttp")),
        forwardAuthVsBare: pairedRatio(h("forwardAuth"), h("bareHttp")),
        grpcWorkers: pairedRatio(g("getAuthInfoWorkers"), g("getAuthInfo")),
        restWorkers: pairedRatio(h("restWorkers"), h("rest")),
        noopWorkers: grpcRounds.has("noopWorkers") ? pairedRatio(g("noopWorkers"), g("noop")) : undefined,
        bareHttpWorkers: httpRounds.has("bareHttpWorkers") ? pairedRatio(h("bareHttpWorkers"), h("bareHttp")) : undefined,
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
      metering,
      management,
      events,
      edge,
      targets: [],
    };
    results.targets = evaluateTargets(results);
    results.seconds = (performance.now() - started) / 1000;
    const table = buildTable(results);
    process.stdout.write(`${table}\n`);
    writeFileSync(join(ROOT, "bench/results.json"), `${JSON.stringify({ ...results, table }, null, 2)}\n`);
    appendHistory(results);
    progress(`wrote bench/results.json and a line of bench/history.jsonl (${results.seconds.toFixed(0)} s)`);
    if (profileDir) printProfiles(profileDir);
    const failed = failedTargets(results);
    if (failed.length > 0) {
      progress(`${failed.length} verdict(s) missed: ${failed.map((t) => `${t.id} ${t.value === undefined ? "n/a" : t.value.toFixed(2)} (target ${t.comparator} ${t.target})`).join("; ")}`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.allSettled([...children].map((child) => child.stop()));
    await Promise.allSettled([stopHttpGenerator(), stopGrpcGenerator()]);
    if (keep) progress(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Runs every target of a phase in each round, back to back, and returns each target's counted rounds:
 * round 0 (`warmupRoundMs` per target) warms every server and path up and is not counted, since the
 * --workers 2 twin starts with cold JITs and the first target of a phase would otherwise pay for what
 * the others get for free.
 */
async function alternate<T extends { readonly id: string }>(
  phase: string,
  targets: readonly T[],
  mode: Mode,
  run: (target: T, settings: { warmupMs: number; durationMs: number }) => Promise<LoadRound>,
): Promise<Map<string, LoadRound[]>> {
  const rounds = new Map<string, LoadRound[]>(targets.map((t) => [t.id, []]));
  for (let round = 0; round <= mode.loadRounds; round++) {
    progress(`${phase}: ${round === 0 ? "warm-up round" : `round ${round}/${mode.loadRounds}`} (${targets.map((t) => t.id).join(", ")})...`);
    // Every other round in reverse order, so a drift of the machine during a round weighs on a ratio's
    // two sides alike instead of always on the later one.
    for (const target of round % 2 === 0 ? [...targets].reverse() : targets) {
      // A twin's JITs are cold in two processes, each seeing half the calls: it warms up a little over twice as long.
      const warmup = target.id.endsWith("Workers") ? 2 * mode.warmupRoundMs + 1_000 : mode.warmupRoundMs;
      const settings = round === 0 ? { warmupMs: 0, durationMs: warmup } : { warmupMs: mode.runWarmupMs, durationMs: mode.durationMs };
      const result = await run(target, settings);
      if (round > 0) rounds.get(target.id)!.push(result);
    }
  }
  return rounds;
}

/** One line per run in bench/history.jsonl (not committed), so consecutive runs can be shown side by side. */
function appendHistory(r: Results): void {
  const line = {
    date: r.startedAt,
    commit: r.commit,
    mode: r.mode,
    seconds: Math.round(r.seconds),
    loadBefore: r.environment.loadAverageBefore,
    loadAfter: r.environment.loadAverageAfter,
    verdicts: r.targets.filter((t) => t.judged).map((t) => ({ id: t.id, value: t.value === undefined ? null : Number(t.value.toFixed(3)), target: t.target, pass: t.pass === true })),
    pass: failedTargets(r).length === 0,
  };
  appendFileSync(join(ROOT, "bench/history.jsonl"), `${JSON.stringify(line)}\n`);
}

/** The commit the bench ran at, `-dirty` when tracked files differ from it. */
function gitCommit(): string {
  const head = spawnSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: ROOT, encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const dirty = spawnSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: ROOT, encoding: "utf8" }).stdout.trim() !== "";
  return `${head.stdout.trim()}${dirty ? "-dirty" : ""}`;
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
function runGrpcTarget(generator: GrpcGenerator, target: GrpcTarget, mode: { warmupMs: number; durationMs: number }): Promise<LoadRound> {
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
