/**
 * `npm run bench:passwords`: what password sign-in costs, printed, never
 * asserted. Everything on 127.0.0.1, in a server this script starts and stops.
 *
 * 1. argon2id in this process (the parameters the server uses): one hash and one verify, sequentially
 *    (median of 15), then verifies with 8 in flight for 3 s, as many at once as the server allows.
 * 2. The built server: API-key calls alone (`GET /api/v1/auth_info`, 16 in flight), then the same calls
 *    while 8 clients sign in (`POST /api/v1/sessions`) as fast as they can. Sign-ins per second and per
 *    server CPU-second, and whether the key calls' throughput and latency hold: hashing runs on the
 *    thread pool, so the event loop keeps serving keys.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { PasswordHasher } from "../src/passwords/password-hasher.js";
import { ensureBuiltServer } from "./lib/build.js";
import { cpuSecondsOf, startKeyward } from "./lib/processes.js";
import { median, percentile } from "./lib/stats.js";

const PASSWORD = "bench password, long enough";
const PHASE_MS = 5_000;

interface LoopResult {
  readonly calls: number;
  readonly errors: number;
  readonly latenciesMs: number[];
}

/** `inFlight` loops calling `call` until `durationMs` has passed. */
async function loop(inFlight: number, durationMs: number, call: () => Promise<boolean>): Promise<LoopResult> {
  const end = performance.now() + durationMs;
  const latenciesMs: number[] = [];
  let errors = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        const started = performance.now();
        const ok = await call().catch(() => false);
        latenciesMs.push(performance.now() - started);
        if (!ok) errors++;
      }
    }),
  );
  return { calls: latenciesMs.length, errors, latenciesMs };
}

function describeLoop(label: string, result: LoopResult, durationMs: number): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return `${label.padEnd(34)} ${(result.calls / (durationMs / 1000)).toFixed(0).padStart(7)}/s  p50 ${percentile(sorted, 0.5).toFixed(1).padStart(6)} ms  p99 ${percentile(sorted, 0.99).toFixed(1).padStart(6)} ms  errors ${result.errors}`;
}

async function hashing(): Promise<void> {
  const hasher = new PasswordHasher();
  const stored = await hasher.hash(PASSWORD);
  const time = async (work: () => Promise<unknown>) => {
    const samples: number[] = [];
    for (let i = 0; i < 15; i++) {
      const started = performance.now();
      await work();
      samples.push(performance.now() - started);
    }
    return median(samples);
  };
  const hashMs = await time(() => hasher.hash(PASSWORD));
  const verifyMs = await time(() => hasher.verify(PASSWORD, stored));
  const parallel = await loop(8, 3_000, () => hasher.verify(PASSWORD, stored));
  console.log("argon2id (m=19 MiB, t=2, p=1), in this process:");
  console.log(`  one hash ${hashMs.toFixed(1)} ms, one verify ${verifyMs.toFixed(1)} ms (median of 15, sequential)`);
  console.log(
    `  8 verifies in flight, ${Math.max(1, availableParallelism() - 1)} at a time (one per core but one, as the server): ${(parallel.calls / 3).toFixed(1)}/s`,
  );
}

async function main(): Promise<void> {
  console.log(`machine: ${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)}\n`);
  await hashing();
  ensureBuiltServer();
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-bench-passwords-"));
  const server = await startKeyward(dataDir, { built: true });
  try {
    const url = server.announcement.http;
    const admin = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
    const created = await fetch(`${url}/api/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: "bench-person", password: PASSWORD }),
    });
    if (!created.ok) throw new Error(`creating the user: ${created.status} ${await created.text()}`);
    const keyCall = async () => (await fetch(`${url}/api/v1/auth_info`, { headers: { authorization: `Bearer ${admin}` } }).then(async (r) => (await r.arrayBuffer(), r.ok)));
    const signIn = async () =>
      fetch(`${url}/api/v1/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId: "bench-person", password: PASSWORD }),
      }).then(async (r) => (await r.arrayBuffer(), r.ok));

    await loop(16, 1_000, keyCall); // warm-up
    const alone = await loop(16, PHASE_MS, keyCall);
    const cpuBefore = cpuSecondsOf(server.pid);
    const [during, logins] = await Promise.all([loop(16, PHASE_MS, keyCall), loop(8, PHASE_MS, signIn)]);
    const cpu = cpuSecondsOf(server.pid) - cpuBefore;
    console.log(`\nserver (built, npm start's flags), ${PHASE_MS / 1000} s per phase:`);
    console.log(`  ${describeLoop("API-key calls alone (16 in flight)", alone, PHASE_MS)}`);
    console.log(`  ${describeLoop("API-key calls during sign-ins", during, PHASE_MS)}`);
    console.log(`  ${describeLoop("sign-ins (8 in flight)", logins, PHASE_MS)}`);
    console.log(`  server CPU during the burst: ${(cpu / (PHASE_MS / 1000)).toFixed(2)} cores; ${(logins.calls / PHASE_MS * 1000 / Math.max(cpu / (PHASE_MS / 1000), 0.01)).toFixed(1)} sign-ins/s per busy core (key calls included)`);
    console.log(`  key-call throughput during the burst: ${((during.calls / alone.calls) * 100).toFixed(0)}% of alone`);
  } finally {
    server.child.kill("SIGTERM");
    await new Promise((resolve) => server.child.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
