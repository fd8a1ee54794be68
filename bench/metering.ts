/**
 * `npm run bench:metering` (and the metering phase of `npm run bench`): what a key's rate limit and
 * usage credits cost (ARCHITECTURE.md, "Keys"). Printed, never asserted. Everything runs on 127.0.0.1 in a
 * server process started and stopped here; every call count is bounded.
 *
 * 1. In process, one SQLite file: CPU per `ApiKeyVerifier.verify` of a cached key without limits, with a
 *    rate limit, with usage credits, and with both (the meter's own cost, with no HTTP around it).
 * 2. Server: CPU per call (the server's utime + stime over the window) of an authenticated
 *    `GET /api/v1/auth_info` with each of those keys, and of a forward-auth check
 *    (`GET /api/v1/auth/check`) without and with a rate limit. The targets are measured back to back in
 *    each of several rounds, and each ratio is the median of the per-round ratios (target: a metered
 *    call at most 10 % above the same call without).
 *
 * The limits are high (1,000,000 calls a day, 1,000,000,000 uses) so no call is refused: what is measured
 * is the meter's work on admitted calls, a store write per leased block of 100.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKeyVerifier } from "../src/authn/verifier.js";
import { KeyMeter } from "../src/authn/key-meter.js";
import { newApiKey } from "../src/services/new-api-key.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { ApiKeyRecord } from "../src/store/store.js";
import { cpuSecondsOf, ROOT, startKeyward } from "./lib/processes.js";

const VERIFY_CALLS = 200_000;
const SERVER_CALLS = 3_000;
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

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function verifierPhase(dir: string): Promise<Record<Kind, number>> {
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
        for (let i = 0; i < VERIFY_CALLS / ROUNDS; i++) await verifier.verify(keys[kind]);
        perRound[kind].push((cpuMicros() - before) / (VERIFY_CALLS / ROUNDS));
      }
    }
    await verifier.meter.stop();
    return { plain: median(perRound.plain), rate: median(perRound.rate), credits: median(perRound.credits), both: median(perRound.both) };
  } finally {
    await store.close();
  }
}

/** One HTTP call; resolves with the status (0 on a transport error). */
function call(agent: Agent, url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = request(url, { agent, headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.once("error", () => resolve(0));
    outgoing.end();
  });
}

async function json<T>(url: string, key: string, method = "GET", body?: unknown): Promise<T> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface ServerFigures {
  /** CPU µs per GET /api/v1/auth_info, by key kind (median of rounds). */
  readonly authInfo: Record<Kind, number>;
  /** Median per-round ratio to the plain key's. */
  readonly ratio: Record<Exclude<Kind, "plain">, number>;
  /** CPU µs per forward-auth check without and with a rate limit, and their median ratio. */
  readonly forwardAuth: { plain: number; rate: number; ratio: number };
}

async function serverPhase(dir: string): Promise<ServerFigures> {
  const built = existsSync(join(ROOT, "dist/src/cli/main.js"));
  const dataDir = join(dir, "server");
  const server = await startKeyward(dataDir, { built });
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
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const windowed = async (url: string, key: string) => {
      const headers = { authorization: `Bearer ${key}` };
      for (let i = 0; i < 200; i++) await call(agent, url, headers);
      const before = cpuSecondsOf(server.pid);
      for (let i = 0; i < SERVER_CALLS; i++) if ((await call(agent, url, headers)) !== 200) throw new Error(`a measured call failed: ${url}`);
      return ((cpuSecondsOf(server.pid) - before) * 1e6) / SERVER_CALLS;
    };
    const rounds: { authInfo: Record<Kind, number>; check: { plain: number; rate: number } }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const authInfo = {} as Record<Kind, number>;
      for (const kind of KINDS) authInfo[kind] = await windowed(`${base}/api/v1/auth_info`, keys[kind]);
      const check = { plain: await windowed(`${base}/api/v1/auth/check`, keys.plain), rate: await windowed(`${base}/api/v1/auth/check`, keys.rate) };
      rounds.push({ authInfo, check });
    }
    agent.destroy();
    const of = (kind: Kind) => median(rounds.map((r) => r.authInfo[kind]));
    const ratioOf = (kind: Kind) => median(rounds.map((r) => r.authInfo[kind] / r.authInfo.plain));
    return {
      authInfo: { plain: of("plain"), rate: of("rate"), credits: of("credits"), both: of("both") },
      ratio: { rate: ratioOf("rate"), credits: ratioOf("credits"), both: ratioOf("both") },
      forwardAuth: {
        plain: median(rounds.map((r) => r.check.plain)),
        rate: median(rounds.map((r) => r.check.rate)),
        ratio: median(rounds.map((r) => r.check.rate / r.check.plain)),
      },
    };
  } finally {
    await server.stop();
  }
}

const percent = (ratio: number) => `${ratio >= 1 ? "+" : ""}${((ratio - 1) * 100).toFixed(1)} %`;

/** Runs the metering bench and prints its figures; returns them for bench/results.json. */
export async function runMeteringBench(progress: (line: string) => void = console.log): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-metering-"));
  try {
    progress(`metering: verifier CPU per call (${VERIFY_CALLS} per kind, one SQLite file)...`);
    const verifier = await verifierPhase(dir);
    progress(`metering: server CPU per call (${ROUNDS} rounds of ${SERVER_CALLS} per target, one connection)...`);
    const server = await serverPhase(dir);
    const lines = [
      "metering (ARCHITECTURE.md, \"Keys\"): CPU per call, a metered key against the same call without limits (target: at most +10 %)",
      `  verify, in process, µs:      plain ${verifier.plain.toFixed(2)}   rate limit ${verifier.rate.toFixed(2)}   credits ${verifier.credits.toFixed(2)}   both ${verifier.both.toFixed(2)}`,
      `  GET /api/v1/auth_info, µs:   plain ${server.authInfo.plain.toFixed(0)}   rate limit ${server.authInfo.rate.toFixed(0)} (${percent(server.ratio.rate)})   credits ${server.authInfo.credits.toFixed(0)} (${percent(server.ratio.credits)})   both ${server.authInfo.both.toFixed(0)} (${percent(server.ratio.both)})`,
      `  forward auth check, µs:      plain ${server.forwardAuth.plain.toFixed(0)}   rate limit ${server.forwardAuth.rate.toFixed(0)} (${percent(server.forwardAuth.ratio)})`,
    ];
    for (const line of lines) console.log(line);
    return { verifier, server };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runMeteringBench();
