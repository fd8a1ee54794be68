/**
 * `npm run bench:metering` (and the metering phase of `npm run bench`): what a key's rate limit and
 * usage credits cost (ARCHITECTURE.md, "Keys"). Printed, never asserted. Everything runs on 127.0.0.1 in a
 * server process started and stopped here; every call count is bounded.
 *
 * 1. In process, one SQLite file: CPU per `ApiKeyVerifier.verify` of a cached key without limits, with a
 *    rate limit, with usage credits, and with both (the meter's own cost, with no HTTP around it).
 * 2. Server: CPU per call (the server's utime + stime over the window) of an authenticated
 *    `GET /api/v1/auth_info` with each of those keys, and of a forward-auth check
 *    (`GET /api/v1/auth/check`) without and with a rate limit, each under load (autocannon, 32
 *    connections, as the main bench's HTTP phase). The targets are measured back to back in each of
 *    several rounds after a warm-up round, and each ratio is the median of the per-round ratios (target:
 *    a metered call at most 10 % above the same call without; `npm run bench` judges it).
 *
 * `npm run bench:metering [-- --quick]` runs it alone; quick is the bench's quick mode (5 rounds of 1 s).
 *
 * The limits are high (1,000,000 calls a day, 1,000,000,000 uses) so no call is refused: what is measured
 * is the meter's work on admitted calls, a store write per leased block of 100.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKeyVerifier } from "../src/authn/verifier.js";
import { KeyMeter } from "../src/authn/key-meter.js";
import { newApiKey } from "../src/services/new-api-key.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import { median } from "./lib/stats.js";
import type { ApiKeyRecord } from "../src/store/store.js";
import { runHttpTarget, stopHttpGenerator, type HttpRound, type HttpTarget } from "./lib/http-run.js";
import { ROOT, startKeyward } from "./lib/processes.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";

/** In-process rounds of the verifier phase. */
const ROUNDS = 5;
const DAY_MS = 86_400_000;

type Kind = "plain" | "rate" | "credits" | "both";
const KINDS: readonly Kind[] = ["plain", "rate", "credits", "both"];

const LIMITS: Record<Kind, Partial<ApiKeyRecord>> = {
  plain: {},
  rate: { rateLimit: { requests: 1_000_000, periodMs: DAY_MS } },
  credits: { remainingUses: 1_000_000_000 },
  both: { rateLimit: { requests: 1_000_000, periodMs: DAY_MS }, remainingUses: 1_000_000_000 },
};

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function verifierPhase(dir: string, calls: number): Promise<Record<Kind, number>> {
  const store = openSqliteStore(join(dir, "micro.db"));
  const verifier = new ApiKeyVerifier(store, { cacheTtlMs: 3_600_000, cacheSize: 100, negativeTtlMs: 1_000, meter: new KeyMeter(store, Date.now) });
  try {
    const now = new Date();
    await store.createUser({ userId: "bench", name: "", email: "", admin: false, state: "active", createdAt: now, updatedAt: now });
    const keys = {} as Record<Kind, string>;
    for (const kind of KINDS) {
      const made = newApiKey({ userId: "bench", name: kind, rights: [1], now });
      const record = { ...made.record, ...LIMITS[kind], ...(LIMITS[kind].remainingUses === undefined ? {} : { refilledAt: now }) };
      await store.createApiKey(record, { maxKeysPerUser: 10 });
      keys[kind] = made.key;
    }
    const perRound: Record<Kind, number[]> = { plain: [], rate: [], credits: [], both: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        for (let i = 0; i < 1_000; i++) await verifier.verify(keys[kind]); // warm-up
        const before = cpuMicros();
        for (let i = 0; i < calls / ROUNDS; i++) await verifier.verify(keys[kind]);
        perRound[kind].push((cpuMicros() - before) / (calls / ROUNDS));
      }
    }
    await verifier.meter.stop();
    return { plain: median(perRound.plain), rate: median(perRound.rate), credits: median(perRound.credits), both: median(perRound.both) };
  } finally {
    await store.close();
  }
}

async function json<T>(url: string, key: string, method = "GET", body?: unknown): Promise<T> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Server CPU per call (µs, medians of rounds) of each target, and each metered one's median per-round ratio to its plain twin. */
export interface MeteringServerFigures {
  readonly rounds: number;
  readonly durationMs: number;
  /** CPU µs per GET /api/v1/auth_info, by key kind. */
  readonly authInfo: Record<Kind, number>;
  readonly ratio: Record<Exclude<Kind, "plain">, number>;
  readonly ratioRounds: Record<Exclude<Kind, "plain">, number[]>;
  /** CPU µs per forward-auth check without and with a rate limit, and their median per-round ratio. */
  readonly forwardAuth: { plain: number; rate: number; ratio: number; ratioRounds: number[] };
  readonly errors: number;
}

export interface MeteringResult {
  readonly verifier: Record<Kind, number>;
  readonly server: MeteringServerFigures;
}

/** How long: `quick` is the bench's quick mode. */
export interface MeteringSettings {
  readonly rounds: number;
  readonly durationMs: number;
  readonly verifyCalls: number;
}
export const METERING_FULL: MeteringSettings = { rounds: 5, durationMs: 3_000, verifyCalls: 200_000 };
export const METERING_QUICK: MeteringSettings = { rounds: 5, durationMs: 1_000, verifyCalls: 40_000 };

const CONNECTIONS = 32;

async function serverPhase(dir: string, settings: MeteringSettings, nodeFlags: readonly string[], progress: (line: string) => void): Promise<MeteringServerFigures> {
  const built = existsSync(join(ROOT, "dist/src/cli/main.js"));
  const dataDir = join(dir, "server");
  const server = await startKeyward(dataDir, { built, nodeFlags });
  try {
    const admin = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    const base = server.announcement.http;
    await json(`${base}/api/v1/users`, admin, "POST", { userId: "bench-metering" });
    const keys = {} as Record<Kind, string>;
    for (const kind of KINDS) {
      const limits = LIMITS[kind];
      const created = await json<{ key: string }>(`${base}/api/v1/users/bench-metering/api-keys`, admin, "POST", {
        name: kind,
        rights: ["RIGHT_USER_INFO"],
        ...(limits.rateLimit ? { rateLimit: { requests: limits.rateLimit.requests, period: `${limits.rateLimit.periodMs / 1000}s` } } : {}),
        ...(limits.remainingUses !== undefined ? { remainingUses: limits.remainingUses } : {}),
      });
      keys[kind] = created.key;
    }
    const auth = (kind: Kind) => ({ authorization: `Bearer ${keys[kind]}` });
    for (const kind of KINDS) {
      const probe = await fetch(`${base}/api/v1/auth/check`, { headers: auth(kind) });
      if (probe.status !== 200) throw new Error(`metering: forward auth with the ${kind} key answered ${probe.status}: ${await probe.text()}`);
      await json(`${base}/api/v1/auth_info`, keys[kind]);
    }
    const targets: HttpTarget[] = [
      ...KINDS.map((kind): HttpTarget => ({ id: `authInfo.${kind}`, url: `${base}/api/v1/auth_info`, method: "GET", headers: auth(kind), pids: [server.pid] })),
      ...(["plain", "rate"] as const).map((kind): HttpTarget => ({ id: `check.${kind}`, url: `${base}/api/v1/auth/check`, method: "GET", headers: auth(kind), expectBody: "", pids: [server.pid] })),
    ];
    const rounds = new Map<string, HttpRound[]>(targets.map((t) => [t.id, []]));
    // Round 0, half as long, warms every path up and is not counted.
    for (let round = 0; round <= settings.rounds; round++) {
      progress(`metering: ${round === 0 ? "warm-up round" : `round ${round}/${settings.rounds}`} (${targets.length} targets, ${CONNECTIONS} connections)...`);
      // Every other round in reverse order, so a drift of the machine during a round weighs on both sides
      // of each ratio alike.
      for (const target of round % 2 === 0 ? [...targets].reverse() : targets) {
        const result = await runHttpTarget(target, { connections: CONNECTIONS, warmupMs: 0, durationMs: round === 0 ? settings.durationMs / 2 : settings.durationMs });
        if (round > 0) rounds.get(target.id)!.push(result);
      }
    }
    const cpu = (id: string) => rounds.get(id)!.map((r) => (r.serverCpu / r.rps) * 1e6);
    const ratioRounds = (id: string, base: string) => cpu(id).map((us, i) => us / cpu(base)[i]!);
    const authInfo = Object.fromEntries(KINDS.map((kind) => [kind, median(cpu(`authInfo.${kind}`))])) as Record<Kind, number>;
    const metered = ["rate", "credits", "both"] as const;
    const rr = Object.fromEntries(metered.map((kind) => [kind, ratioRounds(`authInfo.${kind}`, "authInfo.plain")])) as Record<Exclude<Kind, "plain">, number[]>;
    const checkRounds = ratioRounds("check.rate", "check.plain");
    return {
      rounds: settings.rounds,
      durationMs: settings.durationMs,
      authInfo,
      ratio: { rate: median(rr.rate), credits: median(rr.credits), both: median(rr.both) },
      ratioRounds: rr,
      forwardAuth: { plain: median(cpu("check.plain")), rate: median(cpu("check.rate")), ratio: median(checkRounds), ratioRounds: checkRounds },
      errors: [...rounds.values()].flat().reduce((n, r) => n + r.errors, 0),
    };
  } finally {
    await server.stop();
  }
}

const percent = (ratio: number) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)} %`;

/** Runs the metering bench and prints its figures; returns them for the bench's verdicts and bench/results.json. */
export async function runMeteringBench(
  progress: (line: string) => void = console.log,
  options: { readonly settings?: MeteringSettings; readonly nodeFlags?: readonly string[] } = {},
): Promise<MeteringResult> {
  const settings = options.settings ?? METERING_FULL;
  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-metering-"));
  try {
    progress(`metering: verifier CPU per call (${settings.verifyCalls} per kind, one SQLite file)...`);
    const verifier = await verifierPhase(dir, settings.verifyCalls);
    progress(`metering: server CPU per call (${settings.rounds} rounds of ${settings.durationMs / 1000} s per target, ${CONNECTIONS} connections)...`);
    const server = await serverPhase(dir, settings, options.nodeFlags ?? startScriptNodeFlags(), progress);
    const lines = [
      "metering (ARCHITECTURE.md, \"Keys\"): CPU per call, a metered key against the same call without limits (target: at most +10 %)",
      `  verify, in process, µs:      plain ${verifier.plain.toFixed(2)}   rate limit ${verifier.rate.toFixed(2)}   credits ${verifier.credits.toFixed(2)}   both ${verifier.both.toFixed(2)}`,
      `  GET /api/v1/auth_info, µs:   plain ${server.authInfo.plain.toFixed(0)}   rate limit ${server.authInfo.rate.toFixed(0)} (${percent(server.ratio.rate)})   credits ${server.authInfo.credits.toFixed(0)} (${percent(server.ratio.credits)})   both ${server.authInfo.both.toFixed(0)} (${percent(server.ratio.both)})`,
      `  forward auth check, µs:      plain ${server.forwardAuth.plain.toFixed(0)}   rate limit ${server.forwardAuth.rate.toFixed(0)} (${percent(server.forwardAuth.ratio)})`,
      `  errors: ${server.errors}`,
    ];
    for (const line of lines) progress(line);
    return { verifier, server };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await runMeteringBench(console.log, { settings: process.argv.includes("--quick") ? METERING_QUICK : METERING_FULL });
  await stopHttpGenerator();
  if (result.server.errors > 0) process.exitCode = 1;
}
