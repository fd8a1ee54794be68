/**
 * `npm run bench:events` (and the events phase of `npm run bench`): what the audit trail costs
 * (ARCHITECTURE.md, "Events"). Printed, never asserted, except the one check that is a fact rather than a
 * speed: authenticated calls write no event. Everything runs on 127.0.0.1 in processes started and
 * stopped here; the flood is bounded in rate and time.
 *
 * 1. Store, in process, on one SQLite file: CPU per operation of `updateApiKey` (a rename: the write and
 *    its event, in one transaction), of `appendEvents` with one event alone, and of `recordApiKeyUse` (a
 *    key write that appends no event), so an event's share of a key update can be read off.
 * 2. Server: CPU per call (the server's utime + stime over the window) of a key update over REST against
 *    an authenticated `GET /api/v1/auth_info` in the same run; and the chain's head before and after the
 *    authenticated calls, which must not move.
 * 3. The flood: 10 s (2 s in quick mode) of bad credentials at 1,000 a second from one loopback address, every one a distinct
 *    well-formed key (the worst case: one triple each), then the server stopped (which writes the last
 *    window): `auth.fail` rows written against requests refused.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateKey } from "../src/keys/index.js";
import { newApiKey } from "../src/services/new-api-key.js";
import { openDatabase } from "../src/store/sqlite/connection.js";
import { openSqliteStore } from "../src/store/sqlite/sqlite-store.js";
import type { NewEvent } from "../src/store/store.js";
import { cpuSecondsOf, ROOT, startKeyward } from "./lib/processes.js";

const STORE_OPS = 2_000;
const SERVER_CALLS = 1_000;
const FLOOD_RATE = 1_000;
const FLOOD_SECONDS = 10;

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

async function storePhase(dir: string): Promise<Record<string, number>> {
  const store = openSqliteStore(join(dir, "micro.db"));
  try {
    const now = new Date();
    await store.createUser({ userId: "bench", name: "", email: "", admin: false, state: "active", createdAt: now, updatedAt: now });
    const made = newApiKey({ userId: "bench", name: "k", rights: [1], now });
    await store.createApiKey(made.record, { maxKeysPerUser: 10 });
    const measure = async (run: (i: number) => Promise<unknown>) => {
      for (let i = 0; i < 200; i++) await run(i); // warm-up
      const before = cpuMicros();
      for (let i = 0; i < STORE_OPS; i++) await run(i);
      return (cpuMicros() - before) / STORE_OPS;
    };
    const event = (): NewEvent => ({ time: new Date(), type: "bench.event", actor: { userId: "bench" }, subject: { userId: "bench" }, client: { address: "127.0.0.1" }, changed: [], count: 1 });
    return {
      updateWithEvent: await measure((i) => store.updateApiKey("bench", made.record.id, (key) => ({ ...key, name: `k${i}`, updatedAt: new Date() }))),
      appendOneEvent: await measure(() => store.appendEvents([event()])),
      writeWithoutEvent: await measure((i) => store.recordApiKeyUse([{ id: made.record.id, at: new Date(Date.now() + i * 61_000), ip: "127.0.0.1", userAgent: "bench" }])),
    };
  } finally {
    await store.close();
  }
}

/** One HTTP call; resolves with the status (0 on a transport error). */
function call(agent: Agent, url: string, method: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve) => {
    const outgoing = request(url, { agent, method, headers: { ...headers, ...(body ? { "content-type": "application/json" } : {}) }, timeout: 10_000 }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.once("error", () => resolve(0));
    outgoing.end(body);
  });
}

async function json<T>(url: string, key: string, method = "GET", body?: unknown): Promise<T> {
  const response = await fetch(url, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) }, body: body ? JSON.stringify(body) : undefined });
  if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** The server phase's figures. */
export interface EventsServerFigures {
  readonly updateCpuUs: number;
  readonly authInfoCpuUs: number;
  readonly headBefore: string;
  readonly headAfter: string;
  readonly flood: Record<string, number>;
}

async function serverPhase(dir: string, floodSeconds: number): Promise<EventsServerFigures> {
  const built = existsSync(join(ROOT, "dist/src/cli/main.js"));
  const dataDir = join(dir, "server");
  const server = await startKeyward(dataDir, { built });
  const admin = readFileSync(join(dataDir, "admin.key"), "utf8").trim();
  const base = server.announcement.http;
  await json(`${base}/api/v1/users`, admin, "POST", { userId: "bench-events" });
  const created = await json<{ key: string; apiKey: { id: string } }>(`${base}/api/v1/users/bench-events/api-keys`, admin, "POST", { name: "k", rights: ["RIGHT_USER_ALL"] });
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const headers = { authorization: `Bearer ${created.key}` };
  const keyUrl = `${base}/api/v1/users/bench-events/api-keys/${created.apiKey.id}`;
  const windowed = async (run: (i: number) => Promise<number>) => {
    for (let i = 0; i < 100; i++) await run(i);
    const before = cpuSecondsOf(server.pid);
    for (let i = 0; i < SERVER_CALLS; i++) if ((await run(i)) !== 200) throw new Error("a measured call failed");
    return ((cpuSecondsOf(server.pid) - before) * 1e6) / SERVER_CALLS;
  };
  const head = async () => (await json<{ events: { id: string }[] }>(`${base}/api/v1/events?pageSize=1`, admin)).events[0]!.id;
  const authInfo = () => call(agent, `${base}/api/v1/auth_info`, "GET", headers);
  // The key's first use is recorded (no event); then the head, then the authenticated calls alone.
  await authInfo();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const headBefore = await head();
  const authInfoCpuUs = await windowed(authInfo);
  const headAfter = await head();
  const updateCpuUs = await windowed((i) => call(agent, keyUrl, "PATCH", headers, JSON.stringify({ name: `renamed ${i}` })));
  agent.destroy();

  // The flood, from 127.0.0.1, bounded: FLOOD_RATE a second for floodSeconds, at most 64 in flight.
  const floodAgent = new Agent({ keepAlive: true, maxSockets: 64 });
  let sent = 0;
  let refused = 0;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let tick = 0; tick < floodSeconds * 10; tick++) {
    for (let i = 0; i < FLOOD_RATE / 10; i++) {
      const bad = generateKey().key;
      const p = call(floodAgent, `${base}/api/v1/auth_info`, "GET", { authorization: `Bearer ${bad}` }).then((status) => {
        if (status === 401) refused++;
        inFlight.delete(p);
      });
      inFlight.add(p);
      sent++;
      if (inFlight.size >= 64) await Promise.race(inFlight);
    }
    const due = started + (tick + 1) * 100;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(inFlight);
  const seconds = (performance.now() - started) / 1000;
  floodAgent.destroy();
  await server.stop(); // writes the last window
  const db = openDatabase(join(dataDir, "keyward.db"));
  const rows = db.prepare("SELECT COUNT(*) AS rows, COALESCE(SUM(count), 0) AS counted FROM events WHERE type = 'auth.fail'").get() as { rows: number; counted: number };
  db.close();
  return {
    updateCpuUs,
    authInfoCpuUs,
    headBefore,
    headAfter,
    flood: { sent, refused, seconds: Math.round(seconds * 10) / 10, rows: rows.rows, counted: rows.counted },
  };
}

/** Runs the events bench and prints its figures; returns them for bench/results.json. `quick` floods for 2 s instead of 10. */
export async function runEventsBench(
  progress: (line: string) => void = console.log,
  options: { readonly quick?: boolean } = {},
): Promise<{ store: Record<string, number>; server: EventsServerFigures }> {
  const floodSeconds = options.quick ? 2 : FLOOD_SECONDS;
  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-events-"));
  try {
    progress(`events: store CPU per operation (${STORE_OPS} each, one SQLite file)...`);
    const store = await storePhase(dir);
    progress(`events: server CPU per call (${SERVER_CALLS} each, one connection), then ${floodSeconds} s of ${FLOOD_RATE} bad credentials a second...`);
    const server = await serverPhase(dir, floodSeconds);
    const lines = [
      "events (ARCHITECTURE.md, \"Events\")",
      `  store, CPU µs per op:  updateApiKey with its event ${store.updateWithEvent!.toFixed(1)}   appendEvents (1 event) ${store.appendOneEvent!.toFixed(1)}   recordApiKeyUse (no event) ${store.writeWithoutEvent!.toFixed(1)}`,
      `  server, CPU µs per call: PATCH key (write + event) ${server.updateCpuUs.toFixed(0)}   GET /api/v1/auth_info ${server.authInfoCpuUs.toFixed(0)}   ratio ${(server.updateCpuUs / server.authInfoCpuUs).toFixed(2)}`,
      `  authenticated calls write no event: chain head ${server.headBefore} before ${SERVER_CALLS} calls, ${server.headAfter} after: ${server.headBefore === server.headAfter ? "unchanged (ok)" : "MOVED (a defect)"}`,
      `  flood: ${server.flood.sent} distinct bad keys in ${server.flood.seconds} s (${server.flood.refused} answered 401) -> ${server.flood.rows} auth.fail rows counting ${server.flood.counted}`,
    ];
    for (const line of lines) progress(line);
    if (server.headBefore !== server.headAfter) process.exitCode = 1;
    return { store, server };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runEventsBench(console.log, { quick: process.argv.includes("--quick") });
