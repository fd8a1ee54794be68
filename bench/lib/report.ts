/**
 * The bench's results: their shape (bench/results.json), the targets (docs/performance.md), and the
 * table.
 */
import type { EdgeResult } from "../edge.js";
import type { MicroResult } from "../micro/verify-bench.js";
import { median } from "./stats.js";
import { count, kindsText } from "./counts-text.js";

/** One load round as the generators report it, with the server's CPU (in cores) over its measured window. */
export interface LoadRound {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorsExact?: boolean;
  readonly errorKinds: Record<string, number>;
  readonly serverCpu: number;
  readonly generatorCpu: number;
}

/** One load measurement, aggregated over its rounds (medians; calls and errors summed). */
export interface LoadRow {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorsExact: boolean;
  readonly errorKinds: Record<string, number>;
  /** CPU share of one core, server (all its processes) and load generator, during the measured windows. */
  readonly serverCpu: number;
  readonly generatorCpu: number;
  /** Server CPU time per call in µs: its CPU share over the window divided by the call rate. */
  readonly cpuUsPerCall: number;
  readonly roundsRps: number[];
  readonly roundsCpuUsPerCall: number[];
}

/** Server CPU µs per call of one round. */
export function cpuUsPerCall(round: LoadRound): number {
  return (round.serverCpu / round.rps) * 1e6;
}

/** Median rate and latencies over the rounds; calls and errors summed. */
export function aggregateRounds(rounds: readonly LoadRound[]): LoadRow {
  const errorKinds: Record<string, number> = {};
  for (const round of rounds) for (const [kind, n] of Object.entries(round.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    errorsExact: rounds.every((r) => r.errorsExact !== false),
    errorKinds,
    serverCpu: median(rounds.map((r) => r.serverCpu)),
    generatorCpu: median(rounds.map((r) => r.generatorCpu)),
    cpuUsPerCall: median(rounds.map(cpuUsPerCall)),
    roundsRps: rounds.map((r) => Math.round(r.rps)),
    roundsCpuUsPerCall: rounds.map((r) => Math.round(cpuUsPerCall(r))),
  };
}

/**
 * A ratio of two measurements taken in the same rounds: the median of the per-round ratios (each round
 * measured both back to back, so both saw the same machine), for throughput and for CPU per call. Both
 * read "higher is better": throughput is `a / b`, CPU is b's CPU per call over a's.
 */
export interface RatioRow {
  readonly throughput: number;
  readonly throughputRounds: number[];
  readonly cpu: number;
  readonly cpuRounds: number[];
}

/** The per-round ratios of `a` to `b` (rounds paired by index). */
export function pairedRatio(a: readonly LoadRound[], b: readonly LoadRound[]): RatioRow {
  const n = Math.min(a.length, b.length);
  const throughputRounds: number[] = [];
  const cpuRounds: number[] = [];
  for (let i = 0; i < n; i++) {
    throughputRounds.push(a[i]!.rps / b[i]!.rps);
    cpuRounds.push(cpuUsPerCall(b[i]!) / cpuUsPerCall(a[i]!));
  }
  return { throughput: median(throughputRounds), throughputRounds, cpu: median(cpuRounds), cpuRounds };
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly value: number | undefined;
  readonly comparator: ">=" | "<=";
  readonly target: number;
  /** Undefined when it could not be measured (e.g. no nginx). */
  readonly pass: boolean | undefined;
  readonly note?: string;
}

export interface Results {
  mode: "full" | "quick";
  startedAt: string;
  seconds: number;
  environment: {
    node: string;
    cpu: string;
    cores: number;
    loadAverageBefore: string;
    loadAverageAfter: string;
    server: string;
    /** The Node flags every server of the run (Keyward and the baselines) ran with. */
    nodeFlags: string[];
  };
  settings: {
    grpcGenerator: string;
    grpcConcurrency: string;
    httpGenerator: string;
    httpConcurrency: string;
    rounds: number;
    warmupMs: number;
    durationMs: number;
    keys: number;
  };
  grpc: { getAuthInfo: LoadRow; health: LoadRow; noop: LoadRow; getAuthInfoWorkers: LoadRow; noopWorkers: LoadRow; errorsChecked: string };
  rest: {
    available: boolean;
    note: string;
    rest: LoadRow | undefined;
    restWorkers: LoadRow | undefined;
    connect: LoadRow;
    bareHttp: LoadRow;
    bareHttpWorkers: LoadRow;
  };
  ratios: {
    grpcAuthOverhead: RatioRow;
    grpcCeiling: RatioRow;
    healthCeiling: RatioRow;
    restCeiling: RatioRow | undefined;
    restVsConnect: RatioRow | undefined;
    grpcWorkers: RatioRow;
    restWorkers: RatioRow | undefined;
    /** The machine's own scaling: the bare servers in two node:cluster processes over one. */
    noopWorkers: RatioRow;
    bareHttpWorkers: RatioRow;
  };
  verification: MicroResult;
  memory: {
    idleMB: number;
    storedIdleMB: number;
    storedMB: number;
    distinctKeys: number;
    distinctKeyErrors: number;
    peakUnderLoadMB: number;
    afterLoadMB: number;
    highWaterMB: number;
  };
  edge: EdgeResult;
  targets: Target[];
}

/** The targets (one run, same machine, same flags), as docs/performance.md lists them. */
export function evaluateTargets(r: Results): Target[] {
  const at = (id: string, description: string, value: number | undefined, comparator: ">=" | "<=", target: number, note?: string): Target => ({
    id,
    description,
    value,
    comparator,
    target,
    pass: value === undefined || Number.isNaN(value) ? undefined : comparator === ">=" ? value >= target : value <= target,
    ...(note === undefined ? {} : { note }),
  });
  const q = r.ratios;
  const loadRows = [
    ...[r.grpc.getAuthInfo, r.grpc.health, r.grpc.noop, r.grpc.getAuthInfoWorkers, r.grpc.noopWorkers],
    ...[r.rest.connect, r.rest.bareHttp, r.rest.rest, r.rest.restWorkers, r.rest.bareHttpWorkers],
  ];
  const edgeSides = [r.edge.direct, r.edge.withAuth, r.edge.sequential?.direct, r.edge.sequential?.withAuth];
  const edgeErrors = edgeSides.reduce((sum, side) => sum + (side?.errors ?? 0), 0);
  const errors = loadRows.reduce((sum, row) => sum + (row?.errors ?? 0), 0) + r.memory.distinctKeyErrors + edgeErrors;
  const v = r.verification;
  return [
    at("grpc.authOverhead", "gRPC GetAuthInfo / Keyward health", q.grpcAuthOverhead.throughput, ">=", 0.9),
    at("grpc.ceiling", "gRPC GetAuthInfo / bare grpc-js no-op", q.grpcCeiling.throughput, ">=", 0.75),
    at("grpc.healthCeiling", "Keyward health / bare grpc-js no-op", q.healthCeiling.throughput, ">=", 0.9),
    at("rest.ceiling", "REST auth_info / bare node:http", q.restCeiling?.throughput, ">=", 0.5, q.restCeiling ? undefined : r.rest.note),
    // Connect and REST take the same path (decode, invoker, encode) since Keyward serves Connect itself:
    // neither should cost much more than the other.
    at("rest.vsConnect", "REST / Connect, same call", q.restVsConnect?.throughput, "<=", 1.5, q.restVsConnect ? undefined : r.rest.note),
    at("verify.cached", "cached verify, ops/s on one core", v.cached.opsPerSec, ">=", 1_000_000),
    at("verify.uncached", "uncached verify (SQLite), ops/s", v.uncachedSmall.opsPerSec, ">=", 60_000),
    at("verify.growth", `uncached growth ${count(v.large)} / ${count(v.small)} keys`, v.growthRatio, "<=", 1.2),
    at("workers.grpc", "gRPC --workers 2 / one worker", q.grpcWorkers.throughput, ">=", 1.6),
    at("workers.rest", "REST --workers 2 / one worker", q.restWorkers?.throughput, ">=", 1.6, q.restWorkers ? undefined : r.rest.note),
    at("memory.peak", "server peak RSS during the load phases, MB", r.memory.peakUnderLoadMB, "<=", 200),
    at("edge.ratio", "edge: nginx + auth_request / nginx direct", r.edge.ratio, ">=", 0.75, r.edge.available ? undefined : r.edge.note),
    at("edge.addedP99", "edge: p99 added by auth_request, one connection, ms", r.edge.sequential?.addedP99Ms, "<=", 1, r.edge.available ? undefined : r.edge.note),
    at("errors", "error responses during load phases", errors, "<=", 0),
  ];
}

/** The one table: a Markdown table, so it can go into the README as it is. */
export function buildTable(r: Results): string {
  const t = (id: string) => r.targets.find((x) => x.id === id)!;
  const verdict = (target: Target) => (target.pass === undefined ? "n/a" : target.pass ? "pass" : "**FAIL**");
  const goal = (target: Target) => `${target.comparator === ">=" ? "≥" : "≤"} ${target.target < 10 ? target.target.toFixed(2) : count(target.target)}`;
  const columns = 9;
  const rows: string[][] = [];
  const push = (cells: string[]) => rows.push([...cells, ...Array<string>(columns - cells.length).fill("")]);
  const section = (title: string) => push([`**${title}**`]);
  const load = (name: string, row: LoadRow | undefined, missing?: string) =>
    push(
      row
        ? [name, `${count(row.rps)}/s`, ms(row.p50Ms), ms(row.p99Ms), `${count(row.cpuUsPerCall)} µs`, `${pct(row.serverCpu)} / ${pct(row.generatorCpu)}`, errorsText(row)]
        : [name, missing ?? "not available"],
    );
  const ratio = (name: string, row: RatioRow | undefined, target?: Target) =>
    push(
      row
        ? [
            name,
            row.throughput.toFixed(2),
            "",
            "",
            row.cpu.toFixed(2),
            "",
            `rounds ${row.throughputRounds.map((x) => x.toFixed(2)).join(" / ")}; CPU ${row.cpuRounds.map((x) => x.toFixed(2)).join(" / ")}`,
            target ? goal(target) : "",
            target ? verdict(target) : "",
          ]
        : [name, "n/a", "", "", "", "", target?.note ?? "", target ? goal(target) : "", target ? verdict(target) : ""],
    );
  const rate = (name: string, value: number, target?: Target) =>
    push([name, `${count(value)} ops/s`, "", "", "", "", "", target ? goal(target) : "", target ? verdict(target) : ""]);
  const memory = (name: string, value: number, target?: Target) =>
    push([name, `${value.toFixed(1)} MB`, "", "", "", "", "", target ? goal(target) : "", target ? verdict(target) : ""]);

  const s = r.settings;
  const nodeGenerator = s.grpcGenerator.startsWith("Node")
    ? "; on a small machine it competes with the server for CPU, so the cheapest calls' rates are understated: install h2load"
    : "";
  section(`gRPC: ${s.grpcGenerator}, ${s.grpcConcurrency}, ${s.rounds} x ${s.durationMs / 1000} s (median)${nodeGenerator}`);
  load("GetAuthInfo, authenticated (Keyward)", r.grpc.getAuthInfo);
  load("health Check, no auth (Keyward)", r.grpc.health);
  load("no-op unary (bare @grpc/grpc-js, channelz off)", r.grpc.noop);
  load("GetAuthInfo, Keyward --workers 2 (CPU: primary + workers)", r.grpc.getAuthInfoWorkers);
  ratio("GetAuthInfo / health (auth overhead)", r.ratios.grpcAuthOverhead, t("grpc.authOverhead"));
  ratio("GetAuthInfo / bare no-op", r.ratios.grpcCeiling, t("grpc.ceiling"));
  ratio("health / bare no-op", r.ratios.healthCeiling, t("grpc.healthCeiling"));
  load("no-op unary, bare @grpc/grpc-js in 2 node:cluster processes", r.grpc.noopWorkers);
  ratio("--workers 2 / one worker, GetAuthInfo", r.ratios.grpcWorkers, t("workers.grpc"));
  ratio("the machine's own: bare no-op, 2 processes / 1", r.ratios.noopWorkers);
  section(`REST: ${s.httpGenerator}, HTTP/1.1, ${s.httpConcurrency}, ${s.rounds} x ${s.durationMs / 1000} s (median)`);
  load("GET /api/v1/auth_info (Keyward gateway)", r.rest.rest, r.rest.note);
  load("Connect POST …/GetAuthInfo, JSON (Keyward)", r.rest.connect);
  load("same JSON from bare node:http", r.rest.bareHttp);
  load("GET /api/v1/auth_info, Keyward --workers 2 (CPU: primary + workers)", r.rest.restWorkers, r.rest.note);
  ratio("REST / bare node:http", r.ratios.restCeiling, t("rest.ceiling"));
  ratio("REST / Connect, same call", r.ratios.restVsConnect, t("rest.vsConnect"));
  load("same JSON from bare node:http in 2 node:cluster processes", r.rest.bareHttpWorkers);
  ratio("--workers 2 / one worker, REST", r.ratios.restWorkers, t("workers.rest"));
  ratio("the machine's own: bare node:http, 2 processes / 1", r.ratios.bareHttpWorkers);
  const e = r.edge;
  section(`Edge: nginx auth_request (forward auth), autocannon, ${e.connections} connections, ${e.rounds} x ${s.durationMs / 1000} s (median)`);
  if (e.available && e.direct && e.withAuth) {
    const edgeRow = (name: string, side: NonNullable<EdgeResult["direct"]>) =>
      push([name, `${count(side.rps)}/s`, ms(side.p50Ms), ms(side.p99Ms), "", "", kindsText(side.errors, side.errorKinds)]);
    edgeRow("nginx -> upstream, direct, saturated", e.direct);
    const perCheck = `${(e.keywardCpuUsPerCheck ?? NaN).toFixed(0)} µs per check`;
    edgeRow(`nginx + auth_request to Keyward -> upstream, saturated (Keyward CPU ${pct(e.keywardCpu ?? NaN)}, ${perCheck})`, e.withAuth);
    push(["with auth / direct, saturated", e.ratio!.toFixed(2), "", "", "", "", `rounds ${(e.ratioRounds ?? []).map((x) => x.toFixed(2)).join(" / ")}; p99 added ${ms(e.addedP99Ms!)}`, goal(t("edge.ratio")), verdict(t("edge.ratio"))]);
    if (e.sequential) {
      const oneRow = (name: string, side: NonNullable<EdgeResult["sequential"]>["direct"]) =>
        push([name, "", ms(side.p50Ms), ms(side.p99Ms), "", "", `${count(side.requests)} requests, ${count(side.errors)} errors`]);
      oneRow("nginx -> upstream, direct, one connection, one request at a time", e.sequential.direct);
      oneRow("nginx + auth_request to Keyward -> upstream, the same", e.sequential.withAuth);
      push(["p99 added by auth_request, one connection", ms(e.sequential.addedP99Ms), "", "", "", "", `p50 added ${ms(e.sequential.addedP50Ms)}`, `≤ 1 ms`, verdict(t("edge.addedP99"))]);
    }
  } else {
    push(["nginx auth_request", e.note, "", "", "", "", "", goal(t("edge.ratio")), "n/a"]);
  }
  const v = r.verification;
  section(`Verification: in-process, one core, ops per CPU-second (median of ${v.cached.rounds.length})`);
  rate("cached verify (parse, SHA-256, state, expiry)", v.cached.opsPerSec, t("verify.cached"));
  rate(`uncached verify, SQLite, ${count(v.small)} keys`, v.uncachedSmall.opsPerSec, t("verify.uncached"));
  rate(`uncached verify, SQLite, ${count(v.large)} keys${r.mode === "quick" ? " (quick: not 1M)" : ""}`, v.uncachedLarge.opsPerSec);
  push([`growth ${count(v.large)} / ${count(v.small)} keys (time per verify)`, v.growthRatio.toFixed(2), "", "", "", "", "", goal(t("verify.growth")), verdict(t("verify.growth"))]);
  rate("reference: TTN's PBKDF2-SHA256 x1000 per verify", v.pbkdf2.opsPerSec);
  rate("parts of a verify: parseKey", v.parse.opsPerSec);
  rate("parts of a verify: secret check (SHA-256, constant-time compare)", v.secretCheck.opsPerSec);
  const m = r.memory;
  section("Memory: Keyward server RSS (/proc/<pid>/status), one worker");
  memory("idle, empty store", m.idleMB);
  memory(`idle, ${count(r.settings.keys)} keys stored`, m.storedIdleMB);
  memory(`after verifying ${count(m.distinctKeys)} distinct keys (cache holds 10,000)`, m.storedMB);
  memory("peak during the load phases", m.peakUnderLoadMB, t("memory.peak"));
  memory(`after the load phases (VmHWM ${m.highWaterMB.toFixed(1)} MB)`, m.afterLoadMB);
  const errors = t("errors");
  push([`**Errors** in all load phases and the distinct-key calls`, String(errors.value), "", "", "", "", r.grpc.errorsChecked, "0", verdict(errors)]);

  const header = ["measurement", "result", "p50", "p99", "server CPU per call (ratio: CPU)", "CPU server / load gen", "calls, errors / per-round ratios", "target", "verdict"];
  const lines = [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`);
  const env = r.environment;
  const intro =
    `Keyward bench, ${r.mode} mode, ${r.startedAt.slice(0, 16).replace("T", " ")} UTC: ${env.cores} x ${env.cpu}, Node ${env.node}, ` +
    `server from ${env.server}; every server (Keyward and both baselines) ran with node ${env.nodeFlags.join(" ") || "(no flags)"}; ` +
    `/proc/loadavg ${env.loadAverageBefore} before, ${env.loadAverageAfter} after; ${r.seconds.toFixed(0)} s. ` +
    `Ratios are medians of per-round ratios; "CPU" ratios are the baseline's (denominator's) server CPU per call over the numerator's.`;
  const verdicts = r.targets.map((x) => `- ${x.description}: ${x.value === undefined || Number.isNaN(x.value) ? "n/a" : fmtValue(x.value)} (${goal(x)}) ${verdict(x)}${x.note ? ` (${x.note})` : ""}`);
  return [intro, "", ...lines, "", "Targets:", ...verdicts].join("\n");
}

function fmtValue(value: number): string {
  return Math.abs(value) >= 100 ? count(value) : value.toFixed(2);
}

function errorsText(row: LoadRow): string {
  const saturated = row.generatorCpu >= GENERATOR_SATURATED ? "; load generator near one full core: the server may be faster" : "";
  return `${count(row.requests)} calls, ${kindsText(row.errors, row.errorKinds)}${saturated}`;
}


/** A load generator using this share of a core or more may be what limits the rate. */
export const GENERATOR_SATURATED = 0.75;


function ms(value: number): string {
  return Number.isNaN(value) ? "" : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function pct(share: number): string {
  return Number.isNaN(share) ? "?" : `${Math.round(share * 100)}%`;
}
