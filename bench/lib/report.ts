/** The bench's results: their shape (bench/results.json), the targets of issue #7, and the table. */
import type { MicroResult } from "../micro/verify-bench.js";

/** One load measurement, aggregated over its rounds (medians; calls and errors summed). */
export interface LoadRow {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorsExact: boolean;
  readonly errorKinds: Record<string, number>;
  /** CPU share of one core, server and load generator, during the measured windows. */
  readonly serverCpu: number;
  readonly generatorCpu: number;
  readonly roundsRps: number[];
}

export interface Target {
  readonly id: string;
  readonly description: string;
  readonly value: number | undefined;
  readonly comparator: ">=" | "<=";
  readonly target: number;
  /** Undefined when it could not be measured (e.g. no REST gateway yet). */
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
    loadAverageBefore: number;
    loadAverageAfter: number;
    server: string;
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
  grpc: { getAuthInfo: LoadRow; health: LoadRow; noop: LoadRow; errorsChecked: string };
  rest: { available: boolean; note: string; rest: LoadRow | undefined; connect: LoadRow; bareHttp: LoadRow };
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
  targets: Target[];
}

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
  const rest = r.rest.rest;
  const loadRows = [r.grpc.getAuthInfo, r.grpc.health, r.grpc.noop, r.rest.connect, r.rest.bareHttp, ...(rest ? [rest] : [])];
  const errors = loadRows.reduce((sum, row) => sum + row.errors, 0) + r.memory.distinctKeyErrors;
  return [
    at("grpc.authOverhead", "gRPC auth overhead: GetAuthInfo / health Check", r.grpc.getAuthInfo.rps / r.grpc.health.rps, ">=", 0.9),
    at("grpc.ceiling", "gRPC: GetAuthInfo / bare grpc-js no-op", r.grpc.getAuthInfo.rps / r.grpc.noop.rps, ">=", 0.8),
    at("rest.ceiling", "REST: auth_info / bare node:http", rest && rest.rps / r.rest.bareHttp.rps, ">=", 0.6, rest ? undefined : r.rest.note),
    at("rest.vsConnect", "REST / Connect, same call", rest && rest.rps / r.rest.connect.rps, ">=", 1, rest ? undefined : r.rest.note),
    at("verify.cached", "cached verify, ops/s on one core", r.verification.cached.opsPerSec, ">=", 300_000),
    at("verify.uncached", "uncached verify (SQLite), ops/s", r.verification.uncachedSmall.opsPerSec, ">=", 30_000),
    at("verify.growth", `uncached growth ${count(r.verification.large)} / ${count(r.verification.small)} keys`, r.verification.growthRatio, "<=", 1.3),
    at("memory.underLoad", "server RSS under load, MB", r.memory.peakUnderLoadMB, "<=", 150),
    at("errors", "error responses during load phases", errors, "<=", 0),
  ];
}

/** The one table: a Markdown table, so it can go into the README as it is. */
export function buildTable(r: Results): string {
  const t = (id: string) => r.targets.find((x) => x.id === id)!;
  const verdict = (target: Target) => (target.pass === undefined ? "n/a" : target.pass ? "pass" : "**FAIL**");
  const goal = (target: Target) => `${target.comparator === ">=" ? "≥" : "≤"} ${target.target < 10 ? target.target.toFixed(2) : count(target.target)}`;
  const rows: string[][] = [];
  const section = (title: string) => rows.push([`**${title}**`, "", "", "", "", "", "", ""]);
  const load = (name: string, row: LoadRow | undefined, missing?: string) =>
    rows.push(
      row
        ? [name, `${count(row.rps)}/s`, ms(row.p50Ms), ms(row.p99Ms), `${pct(row.serverCpu)} / ${pct(row.generatorCpu)}`, errorsText(row), "", ""]
        : [name, missing ?? "not available", "", "", "", "", "", ""],
    );
  const ratio = (name: string, target: Target) =>
    rows.push([name, target.value === undefined ? "n/a" : target.value.toFixed(2), "", "", "", "", goal(target), verdict(target)]);
  const rate = (name: string, value: number, target?: Target) =>
    rows.push([name, `${count(value)} ops/s`, "", "", "", "", target ? goal(target) : "", target ? verdict(target) : ""]);
  const memory = (name: string, value: number, target?: Target) =>
    rows.push([name, `${value.toFixed(1)} MB`, "", "", "", "", target ? goal(target) : "", target ? verdict(target) : ""]);

  const s = r.settings;
  const nodeGenerator = s.grpcGenerator.startsWith("Node")
    ? "; on a small machine it competes with the server for CPU, so the cheapest calls' rates are understated: install h2load"
    : "";
  section(`gRPC: ${s.grpcGenerator}, ${s.grpcConcurrency}, ${s.rounds} x ${s.durationMs / 1000} s (median)${nodeGenerator}`);
  load("GetAuthInfo, authenticated (Keyward)", r.grpc.getAuthInfo);
  load("health Check, no auth (Keyward)", r.grpc.health);
  load("no-op unary (bare @grpc/grpc-js)", r.grpc.noop);
  ratio("auth overhead ratio: GetAuthInfo / health", t("grpc.authOverhead"));
  ratio("ratio to Node gRPC ceiling: GetAuthInfo / no-op", t("grpc.ceiling"));
  section(`REST: ${s.httpGenerator}, HTTP/1.1, ${s.httpConcurrency}, ${s.rounds} x ${s.durationMs / 1000} s (median)`);
  load("GET /api/v1/auth_info (Keyward gateway)", r.rest.rest, r.rest.note);
  load("Connect POST …/GetAuthInfo, JSON (Keyward)", r.rest.connect);
  load("same JSON from bare node:http", r.rest.bareHttp);
  ratio("REST / HTTP/1.1 ceiling", t("rest.ceiling"));
  ratio("REST / Connect, same call", t("rest.vsConnect"));
  const v = r.verification;
  section(`Verification: in-process, one core, ops per CPU-second (median of ${v.cached.rounds.length})`);
  rate("cached verify (parse, SHA-256, state, expiry)", v.cached.opsPerSec, t("verify.cached"));
  rate(`uncached verify, SQLite, ${count(v.small)} keys`, v.uncachedSmall.opsPerSec, t("verify.uncached"));
  rate(`uncached verify, SQLite, ${count(v.large)} keys${r.mode === "quick" ? " (quick: not 1M)" : ""}`, v.uncachedLarge.opsPerSec);
  ratio(`growth ${count(v.large)} / ${count(v.small)} keys (time per verify)`, t("verify.growth"));
  rate("reference: TTN's PBKDF2-SHA256 x1000 per verify", v.pbkdf2.opsPerSec);
  rate("parts of a verify: parseKey", v.parse.opsPerSec);
  rate("parts of a verify: secret check (SHA-256, constant-time compare)", v.secretCheck.opsPerSec);
  const m = r.memory;
  section("Memory: Keyward server RSS (/proc/<pid>/status)");
  memory("idle, empty store", m.idleMB);
  memory(`idle, ${count(r.settings.keys)} keys stored`, m.storedIdleMB);
  memory(`after verifying ${count(m.distinctKeys)} distinct keys (cache holds 10,000)`, m.storedMB);
  memory("peak during the load phases", m.peakUnderLoadMB, t("memory.underLoad"));
  memory(`after the load phases (VmHWM ${m.highWaterMB.toFixed(1)} MB)`, m.afterLoadMB);
  const errors = t("errors");
  rows.push([`**Errors** in all load phases and the distinct-key calls`, String(errors.value), "", "", "", r.grpc.errorsChecked, "0", verdict(errors)]);

  const header = ["measurement", "result", "p50", "p99", "CPU server / load gen", "calls, errors", "target", "verdict"];
  const lines = [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`);
  const e = r.environment;
  const intro =
    `Keyward bench, ${r.mode} mode, ${r.startedAt.slice(0, 16).replace("T", " ")} UTC: ${e.cores} x ${e.cpu}, Node ${e.node}, ` +
    `server from ${e.server}; load average ${e.loadAverageBefore.toFixed(2)} before, ${e.loadAverageAfter.toFixed(2)} after; ${r.seconds.toFixed(0)} s.`;
  return `${intro}\n\n${lines.join("\n")}`;
}

function errorsText(row: LoadRow): string {
  const kinds = Object.entries(row.errorKinds)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${count(n)} ${kind}`);
  const saturated = row.generatorCpu >= GENERATOR_SATURATED ? "; load generator near one full core: the server may be faster" : "";
  return `${count(row.requests)} calls, ${kinds.length === 0 ? "0 errors" : kinds.join(", ")}${saturated}`;
}

/** A load generator using this share of a core or more may be what limits the rate. */
export const GENERATOR_SATURATED = 0.75;

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function ms(value: number): string {
  return Number.isNaN(value) ? "" : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function pct(share: number): string {
  return Number.isNaN(share) ? "?" : `${Math.round(share * 100)}%`;
}
