/**
 * The cost of forward auth at the edge (issue 17): nginx in front of a tiny upstream directly, against
 * the same nginx recipe (deploy/gateways/nginx.conf) with `auth_request` to Keyward, in one run, same
 * upstream, same concurrency (32 connections, autocannon), rounds interleaved, medians reported: the
 * throughput ratio and the p50/p99 latency added. Kong's published key-auth figures lose 24-28 % of
 * throughput and add about 2-2.5 ms at p99; the target is a ratio >= 0.75 and <= 1 ms added at p99.
 *
 * Part of `npm run bench` when nginx is installed; alone: `npm run bench:edge [-- --quick]`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand, startProxy, type Proxy } from "../test/e2e/support/gateways.js";
import { ensureBuiltServer } from "./lib/build.js";
import { runHttpTarget, type HttpRound } from "./lib/http-run.js";
import { ROOT, startKeyward, startNodeProcess, type Announced, type KeywardProcess } from "./lib/processes.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";
import { median } from "./lib/stats.js";

export const EDGE_CONNECTIONS = 32;

/** One side of the comparison, medians over the rounds. */
export interface EdgeSide {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** What the errors were (HTTP status, connection errors, ...), summed over the rounds. */
  readonly errorKinds: Record<string, number>;
}

export interface EdgeResult {
  readonly available: boolean;
  readonly note: string;
  readonly connections: number;
  readonly rounds: number;
  readonly direct?: EdgeSide;
  readonly withAuth?: EdgeSide;
  /** withAuth.rps / direct.rps: the median of the per-round ratios. */
  readonly ratio?: number;
  readonly ratioRounds?: number[];
  readonly addedP50Ms?: number;
  readonly addedP99Ms?: number;
  /** Keyward's CPU (cores) while nginx asked it about every request. */
  readonly keywardCpu?: number;
  readonly pass?: boolean;
}

/** Runs the comparison; `available: false` (with the reason) when nginx is not installed. */
export async function runEdgeBench(settings: {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  progress: (line: string) => void;
  /** Keyward's Node flags; npm start's by default. */
  nodeFlags?: readonly string[];
}): Promise<EdgeResult> {
  const base = { connections: EDGE_CONNECTIONS, rounds: settings.rounds };
  if (!hasCommand("nginx")) return { ...base, available: false, note: "skipped: nginx is not installed (apt-get install nginx)" };
  const build = ensureBuiltServer();
  const work = mkdtempSync(join(tmpdir(), "keyward-edge-"));
  const started: { stop(): Promise<unknown> }[] = [];
  const track = <T extends { stop(): Promise<unknown> }>(value: T): T => (started.push(value), value);
  try {
    const keyward: KeywardProcess = track(await startKeyward(join(work, "data"), { built: build.built, nodeFlags: settings.nodeFlags ?? startScriptNodeFlags(), args: ["--trusted-proxies", "127.0.0.1/32"] }));
    const key = readFileSync(join(work, "data", "admin.key"), "utf8").trim();
    const upstream: Announced<string> = track(
      await startNodeProcess(join(ROOT, "bench/servers/http-json-server.ts"), [Buffer.from('{"userId":"upstream"}').toString("base64")], (line) =>
        typeof line.http === "string" ? line.http : undefined,
      ),
    );
    const keywardPort = Number(new URL(keyward.announcement.http).port);
    const upstreamPort = Number(new URL(upstream.announcement).port);
    const direct: Proxy = track(await startProxy("nginx", keywardPort, upstreamPort, { withoutAuth: true }));
    const withAuth: Proxy = track(await startProxy("nginx", keywardPort, upstreamPort));
    const headers = { authorization: `Bearer ${key}` };
    const probe = await fetch(`${withAuth.url}/orders/42`, { headers });
    if (probe.status !== 200) throw new Error(`nginx with auth_request answered ${probe.status}: ${await probe.text()}`);

    const rounds = { direct: [] as HttpRound[], withAuth: [] as HttpRound[] };
    for (let round = 1; round <= settings.rounds; round++) {
      for (const [id, proxy] of [["direct", direct], ["withAuth", withAuth]] as const) {
        settings.progress(`edge: nginx ${id === "direct" ? "direct" : "with auth_request to Keyward"}, round ${round}/${settings.rounds}...`);
        const target = { id, url: `${proxy.url}/orders/42`, method: "GET" as const, headers, pids: [id === "direct" ? proxy.pid : keyward.pid] };
        rounds[id].push(await runHttpTarget(target, { connections: EDGE_CONNECTIONS, warmupMs: settings.warmupMs, durationMs: settings.durationMs }));
      }
    }
    const side = (list: HttpRound[]): EdgeSide => ({
      rps: median(list.map((r) => r.rps)),
      p50Ms: median(list.map((r) => r.p50Ms)),
      p99Ms: median(list.map((r) => r.p99Ms)),
      errors: list.reduce((n, r) => n + r.errors, 0),
      errorKinds: list.reduce<Record<string, number>>((kinds, r) => {
        for (const [kind, n] of Object.entries(r.errorKinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
        return kinds;
      }, {}),
    });
    const d = side(rounds.direct);
    const a = side(rounds.withAuth);
    // The median of per-round ratios: each round's two runs saw the same machine.
    const ratioRounds = rounds.withAuth.map((r, i) => r.rps / rounds.direct[i]!.rps);
    const ratio = median(ratioRounds);
    const addedP99Ms = a.p99Ms - d.p99Ms;
    return {
      ...base,
      available: true,
      note: `nginx ${nginxVersion()}, one worker each, recipe deploy/gateways/nginx.conf; Keyward from ${build.note}`,
      direct: d,
      withAuth: a,
      ratio,
      ratioRounds,
      addedP50Ms: a.p50Ms - d.p50Ms,
      addedP99Ms,
      keywardCpu: median(rounds.withAuth.map((r) => r.serverCpu)),
      pass: ratio >= 0.75 && addedP99Ms <= 1 && d.errors === 0 && a.errors === 0,
    };
  } finally {
    await Promise.allSettled(started.reverse().map((s) => s.stop()));
    rmSync(work, { recursive: true, force: true });
  }
}

/** The result as a few table lines. */
export function edgeTable(result: EdgeResult): string {
  if (!result.available || !result.direct || !result.withAuth) return `Edge (nginx auth_request): ${result.note}\n`;
  const row = (name: string, s: EdgeSide) =>
    `  ${name.padEnd(34)} ${s.rps.toFixed(0).padStart(8)} req/s   p50 ${s.p50Ms.toFixed(2).padStart(6)} ms   p99 ${s.p99Ms.toFixed(2).padStart(6)} ms   errors ${s.errors}`;
  return [
    `Edge: nginx in front of a tiny upstream, ${result.connections} connections, median of ${result.rounds} interleaved round(s)`,
    `  (${result.note})`,
    row("nginx -> upstream", result.direct),
    row("nginx + auth_request -> Keyward", result.withAuth),
    `  throughput ratio ${result.ratio!.toFixed(2)} (target >= 0.75), added p50 ${result.addedP50Ms!.toFixed(2)} ms, added p99 ${result.addedP99Ms!.toFixed(2)} ms (target <= 1 ms): ${result.pass ? "PASS" : "MISS"}; Keyward CPU ${result.keywardCpu!.toFixed(2)} cores`,
    "",
  ].join("\n");
}

function nginxVersion(): string {
  // nginx -v writes "nginx version: nginx/1.22.1" to stderr.
  return spawnSync("nginx", ["-v"], { encoding: "utf8" }).stderr.trim().split("/")[1] ?? "?";
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes("--quick");
  const result = await runEdgeBench({
    rounds: quick ? 1 : 3,
    warmupMs: quick ? 500 : 1_000,
    durationMs: quick ? 1_500 : 5_000,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(edgeTable(result));
}
