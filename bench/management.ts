/**
 * `npm run bench:management [-- --quick]` (and the management phase of `npm run bench`): management at
 * scale, judged by server CPU per call as a ratio within one run (ARCHITECTURE.md, "The store").
 *
 * Two SQLite stores: LARGE (1,000,000 users, 1,000,000 keys of which 100,000 belong to one user,
 * 1,000,000 chained events) and SMALL (1,000 of each, the one user holding all 1,000 keys). The large one
 * takes a while to build, so it is cached under `<tmpdir>/keyward-bench-cache/`, keyed by a hash of the
 * migrations and of the generator's sources (a schema change rebuilds it), and copied for each run so
 * every run starts from the same file. Against `keyward serve` on each (the admin load key with a rate
 * limit and usage credits, so the meter runs, for the lists; an unmetered admin key for CreateApiKey and
 * its GetAuthInfo, as a metered key may not create keys; a webhook on `user.` events, so every event is matched
 * against it; events on), from one keep-alive client per server, in alternated rounds:
 *
 * - the first page (default size) of ListApiKeys of the busiest user, of ListUsers and of ListEvents:
 *   CPU per call, large over small;
 * - CreateApiKey for the busiest user (the cap is raised above its 100,000 keys, so the cap is decided
 *   on every create) against an authenticated GetAuthInfo, on the large server; and, printed only, the
 *   same create on the small server (large over small: does a create grow with the store?). The keys a
 *   round creates are deleted after its windows, outside them, so the user's count stays where it was;
 * - startup: the server's CPU (utime + stime) from spawn to its ready line, on a copy of the large store
 *   and on an empty store (migrated once beforehand, so both are starts of an existing store);
 * - peak RSS (VmHWM) of the large store's server after all of the above.
 *
 * Each window runs calls for a fixed wall time and divides the server's CPU over it by the calls made;
 * each ratio is the median of per-round ratios. Everything runs on 127.0.0.1 in processes started and
 * stopped here; every call count is bounded by the windows.
 */
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { Agent, createServer, request, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureBuiltServer } from "./lib/build.js";
import { buildStore, busyUserId, type LoadKeys, type StoreShape } from "./lib/bulk-store.js";
import { memoryOf, preciseCpuSecondsOf, ROOT, startKeyward, type KeywardProcess } from "./lib/processes.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";
import { median } from "./lib/stats.js";

export interface ScaleRatio { readonly smallUs: number; readonly largeUs: number; readonly ratio: number; readonly rounds: number[] }
export interface ManagementResult {
  readonly rows: { readonly users: number; readonly keys: number; readonly keysOfOneUser: number; readonly events: number; readonly small: number };
  readonly build: { readonly seconds: number; readonly reused: boolean };
  /** Server CPU µs per call of the first page, large store over small store (median of per-round ratios). */
  readonly listApiKeys: ScaleRatio;
  readonly listUsers: ScaleRatio;
  readonly listEvents: ScaleRatio;
  /** CreateApiKey's server CPU per call over an authenticated GetAuthInfo's, same server, same client. */
  readonly createKey: { readonly createUs: number; readonly getAuthInfoUs: number; readonly ratio: number; readonly rounds: number[] };
  /** Server CPU (ms) from spawn to ready: large store over empty store. */
  readonly startup: { readonly emptyMs: number; readonly largeMs: number; readonly ratio: number; readonly rounds: number[]; readonly wallEmptyMs: number; readonly wallLargeMs: number };
  /** Peak RSS (MB, 10^6 bytes) of the server on the large store after every call above, features of wave 3 on. */
  readonly peakRssMB: number;
  /**
   * Beyond the agreed interface, printed, not a target: CreateApiKey's server CPU per call for the busiest
   * user, large store over small, which says whether creating a key grows with the store.
   */
  readonly createKeyScale: ScaleRatio;
}

const LARGE: StoreShape = { users: 1_000_000, keys: 1_000_000, keysOfOneUser: 100_000, events: 1_000_000 };
const SMALL: StoreShape = { users: 1_000, keys: 1_000, keysOfOneUser: 1_000, events: 1_000 };

/** Rounds and the wall time of each measured window, by mode. */
const MODES = {
  quick: { rounds: 3, windowMs: 500, startupRounds: 3 },
  full: { rounds: 5, windowMs: 2_000, startupRounds: 5 },
} as const;

/** The generator's sources and the schema: a change to any of them rebuilds the cached store. */
const CACHE_INPUTS = ["src/store/sqlite/migrations.ts", "bench/lib/bulk-store.ts", "bench/lib/bulk-keys.ts"];
const CACHE_ROOT = join(tmpdir(), "keyward-bench-cache");
const CACHE_PREFIX = "management-";
const STALE_CACHE_MS = 86_400_000;

/** The server flags of both stores: the busiest user's cap above its keys, webhooks to this machine. */
const SERVER_ARGS = ["--max-api-keys-per-user", "200000", "--webhook-target-networks", "127.0.0.1/32"];

interface CachedStore {
  readonly file: string;
  readonly keys: LoadKeys;
  readonly seconds: number;
  readonly reused: boolean;
}

/** The cached large store, built first if the cache has none for the current sources. */
async function largeStore(progress: (line: string) => void): Promise<CachedStore> {
  const hash = createHash("sha256");
  for (const input of CACHE_INPUTS) hash.update(readFileSync(join(ROOT, input)));
  hash.update(JSON.stringify(LARGE));
  const dir = join(CACHE_ROOT, CACHE_PREFIX + hash.digest("hex").slice(0, 16));
  const file = join(dir, "keyward.db");
  const keyFile = join(dir, "load.key");
  if (existsSync(keyFile)) {
    // Touched on each use, so the clean-up below spares a store in use.
    utimesSync(dir, new Date(), new Date());
    return { file, keys: JSON.parse(readFileSync(keyFile, "utf8")) as LoadKeys, seconds: 0, reused: true };
  }
  // Stores of older sources untouched for a day are of no more use (another worktree may still use a
  // newer one); a partial build (no load.key) is started over.
  mkdirSync(CACHE_ROOT, { recursive: true });
  for (const stale of readdirSync(CACHE_ROOT)) {
    const path = join(CACHE_ROOT, stale);
    if (stale.startsWith(CACHE_PREFIX) && Date.now() - statSync(path).mtimeMs > STALE_CACHE_MS) rmSync(path, { recursive: true, force: true });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  progress(`management: building the large store (${counts(LARGE)}) into ${dir}; later runs reuse it...`);
  const started = performance.now();
  const keys = await buildStore(file, LARGE);
  // The key file last, written then renamed: its presence says the store is whole.
  writeFileSync(`${keyFile}.tmp`, JSON.stringify(keys), { mode: 0o600 });
  renameSync(`${keyFile}.tmp`, keyFile);
  return { file, keys, seconds: (performance.now() - started) / 1000, reused: false };
}

function counts(shape: StoreShape): string {
  const n = (value: number) => value.toLocaleString("en-US");
  return `${n(shape.users)} users, ${n(shape.keys)} keys (${n(shape.keysOfOneUser)} of one user), ${n(shape.events)} events`;
}

/** One HTTP call on the keep-alive `agent`; resolves with the status (0 on a transport error). */
function call(agent: Agent, url: string, key: string, method = "GET", body?: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { authorization: `Bearer ${key}` };
    if (body !== undefined) headers["content-type"] = "application/json";
    const outgoing = request(url, { agent, method, headers, timeout: 30_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("end", () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.once("error", () => resolve({ status: 0, text: "" }));
    outgoing.end(body);
  });
}

/** A server under test: the process, its base URL, the load keys and one keep-alive connection. */
interface Target {
  readonly server: KeywardProcess;
  readonly base: string;
  readonly keys: LoadKeys;
  readonly agent: Agent;
}

/** Calls `run` for `windowMs` of wall time; the server's CPU µs per call over the window. */
async function window(target: Target, windowMs: number, run: (i: number) => Promise<void>): Promise<number> {
  const before = preciseCpuSecondsOf(target.server.pid);
  const until = performance.now() + windowMs;
  let calls = 0;
  while (performance.now() < until) await run(calls++);
  return ((preciseCpuSecondsOf(target.server.pid) - before) * 1e6) / calls;
}

/** A GET with `key` that must answer 200 (the measured calls are checked, or a failing call would be measured). */
function getter(target: Target, path: string, key = target.keys.metered): () => Promise<void> {
  return async () => {
    const answer = await call(target.agent, target.base + path, key);
    if (answer.status !== 200) throw new Error(`GET ${path}: ${answer.status} ${answer.text.slice(0, 300)}`);
  };
}

const LISTS = {
  listApiKeys: `/api/v1/users/${busyUserId}/api-keys`,
  listUsers: "/api/v1/users",
  listEvents: "/api/v1/events",
} as const;

async function startTarget(dataDir: string, keys: LoadKeys, nodeFlags: readonly string[], built: boolean, hookUrl: string): Promise<Target> {
  const server = await startKeyward(dataDir, { built, nodeFlags, args: SERVER_ARGS });
  const target: Target = { server, base: server.announcement.http, keys, agent: new Agent({ keepAlive: true, maxSockets: 1 }) };
  const hook = await call(target.agent, `${target.base}/api/v1/webhooks`, keys.plain, "POST", JSON.stringify({ url: hookUrl, eventTypes: ["user."] }));
  if (hook.status !== 200) throw new Error(`creating the webhook: ${hook.status} ${hook.text.slice(0, 300)}`);
  return target;
}

/** A webhook receiver on 127.0.0.1 that answers every delivery 204. */
async function startReceiver(): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    req.once("end", () => res.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the webhook receiver has no port");
  return { server, url: `http://127.0.0.1:${address.port}/hook` };
}

/** Server CPU (ms) and wall time (ms) from spawn to the ready line; the server is stopped after. */
async function startupCost(dataDir: string, nodeFlags: readonly string[], built: boolean): Promise<{ cpuMs: number; wallMs: number }> {
  const started = performance.now();
  const server = await startKeyward(dataDir, { built, nodeFlags, args: SERVER_ARGS });
  const cpuMs = preciseCpuSecondsOf(server.pid) * 1000;
  const wallMs = performance.now() - started;
  await server.stop();
  return { cpuMs, wallMs };
}

/** Runs the management bench; prints a table when `progress` is the console. */
export async function runManagementBench(options: { readonly quick: boolean; readonly progress: (line: string) => void; readonly nodeFlags: readonly string[] }): Promise<ManagementResult> {
  const { nodeFlags } = options;
  const began = performance.now();
  const progress = (line: string) => options.progress(`${line} [${((performance.now() - began) / 1000).toFixed(1)} s]`);
  const mode = options.quick ? MODES.quick : MODES.full;
  const build = ensureBuiltServer();
  progress(`management: server from ${build.note}`);
  const cached = await largeStore(progress);
  progress(cached.reused ? `management: large store reused from ${cached.file}` : `management: large store built in ${cached.seconds.toFixed(1)} s`);

  const dir = mkdtempSync(join(tmpdir(), "keyward-bench-management-"));
  const receiver = await startReceiver();
  const targets: Target[] = [];
  try {
    const copyStarted = performance.now();
    const largeDir = join(dir, "large");
    mkdirSync(largeDir, { mode: 0o700 });
    copyFileSync(cached.file, join(largeDir, "keyward.db"));
    const smallDir = join(dir, "small");
    mkdirSync(smallDir, { mode: 0o700 });
    const smallKeys = await buildStore(join(smallDir, "keyward.db"), SMALL);
    progress(`management: large store copied and small store (${counts(SMALL)}) built in ${((performance.now() - copyStarted) / 1000).toFixed(1)} s`);

    // Startup first, on its own (no other server running): large copy against an empty store, alternated.
    const emptyDir = join(dir, "empty");
    await (await startKeyward(emptyDir, { built: build.built, nodeFlags, args: SERVER_ARGS })).stop();
    const startups: { empty: { cpuMs: number; wallMs: number }; large: { cpuMs: number; wallMs: number } }[] = [];
    for (let round = 0; round < mode.startupRounds; round++) {
      startups.push({ empty: await startupCost(emptyDir, nodeFlags, build.built), large: await startupCost(largeDir, nodeFlags, build.built) });
    }
    progress(`management: startup measured (${mode.startupRounds} rounds); now the lists, ${mode.rounds} rounds of ${mode.windowMs} ms windows...`);

    const small = await startTarget(smallDir, smallKeys, nodeFlags, build.built, receiver.url);
    targets.push(small);
    const large = await startTarget(largeDir, cached.keys, nodeFlags, build.built, receiver.url);
    targets.push(large);
    // Warm-up: every path once on each, so first-call compilation is outside the windows.
    for (const target of [small, large]) for (const path of Object.values(LISTS)) for (let i = 0; i < 20; i++) await getter(target, path)();
    progress("management: both servers up and warm");

    const listRounds: Record<keyof typeof LISTS, { small: number; large: number }[]> = { listApiKeys: [], listUsers: [], listEvents: [] };
    const createRounds: { create: number; authInfo: number; smallCreate: number }[] = [];
    // Both with the unmetered key: a metered key may not create keys.
    const authInfo = getter(large, "/api/v1/auth_info", large.keys.plain);
    const created = new Map<Target, string[]>([[small, []], [large, []]]);
    const creator = (target: Target) => async (i: number) => {
      const body = JSON.stringify({ name: `bench created ${i}`, rights: ["RIGHT_USER_INFO"] });
      const answer = await call(target.agent, `${target.base}/api/v1/users/${busyUserId}/api-keys`, target.keys.plain, "POST", body);
      if (answer.status !== 200) throw new Error(`CreateApiKey: ${answer.status} ${answer.text.slice(0, 300)}`);
      created.get(target)!.push((JSON.parse(answer.text) as { apiKey: { id: string } }).apiKey.id);
    };
    // Outside the windows: the busiest user's keys go back to where they were.
    const deleteCreated = async () => {
      for (const [target, ids] of created) {
        for (const id of ids.splice(0)) {
          const answer = await call(target.agent, `${target.base}/api/v1/users/${busyUserId}/api-keys/${id}`, target.keys.plain, "DELETE");
          if (answer.status !== 200) throw new Error(`DeleteApiKey: ${answer.status} ${answer.text.slice(0, 300)}`);
        }
      }
    };
    for (let i = 0; i < 20; i++) await authInfo();
    for (const target of [small, large]) for (let i = 0; i < 20; i++) await creator(target)(i);
    await deleteCreated();
    for (let round = 0; round < mode.rounds; round++) {
      for (const [name, path] of Object.entries(LISTS) as [keyof typeof LISTS, string][]) {
        const smallUs = await window(small, mode.windowMs, getter(small, path));
        const largeUs = await window(large, mode.windowMs, getter(large, path));
        listRounds[name].push({ small: smallUs, large: largeUs });
      }
      const authInfoUs = await window(large, mode.windowMs, authInfo);
      const createUs = await window(large, mode.windowMs, creator(large));
      const smallCreateUs = await window(small, mode.windowMs, creator(small));
      createRounds.push({ create: createUs, authInfo: authInfoUs, smallCreate: smallCreateUs });
      await deleteCreated();
    }
    progress("management: lists and key creation measured");
    const peakRssMB = (memoryOf(large.server.pid).peakMiB * 1024 * 1024) / 1e6;

    const scale = (name: keyof typeof LISTS): ScaleRatio => {
      const rounds = listRounds[name].map((r) => r.large / r.small);
      return { smallUs: median(listRounds[name].map((r) => r.small)), largeUs: median(listRounds[name].map((r) => r.large)), ratio: median(rounds), rounds };
    };
    const createRatios = createRounds.map((r) => r.create / r.authInfo);
    const startupRatios = startups.map((r) => r.large.cpuMs / r.empty.cpuMs);
    const result: ManagementResult = {
      rows: { users: LARGE.users, keys: LARGE.keys, keysOfOneUser: LARGE.keysOfOneUser, events: LARGE.events, small: SMALL.users },
      build: { seconds: cached.seconds, reused: cached.reused },
      listApiKeys: scale("listApiKeys"),
      listUsers: scale("listUsers"),
      listEvents: scale("listEvents"),
      createKey: {
        createUs: median(createRounds.map((r) => r.create)),
        getAuthInfoUs: median(createRounds.map((r) => r.authInfo)),
        ratio: median(createRatios),
        rounds: createRatios,
      },
      createKeyScale: {
        smallUs: median(createRounds.map((r) => r.smallCreate)),
        largeUs: median(createRounds.map((r) => r.create)),
        ratio: median(createRounds.map((r) => r.create / r.smallCreate)),
        rounds: createRounds.map((r) => r.create / r.smallCreate),
      },
      startup: {
        emptyMs: median(startups.map((r) => r.empty.cpuMs)),
        largeMs: median(startups.map((r) => r.large.cpuMs)),
        ratio: median(startupRatios),
        rounds: startupRatios,
        wallEmptyMs: median(startups.map((r) => r.empty.wallMs)),
        wallLargeMs: median(startups.map((r) => r.large.wallMs)),
      },
      peakRssMB,
    };
    return result;
  } finally {
    for (const target of targets) {
      target.agent.destroy();
      await target.server.stop();
    }
    receiver.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The result as a small table: each figure beside its target. */
export function managementTable(result: ManagementResult): string[] {
  const list = (name: string, r: ScaleRatio, target = "≤ 1.3") =>
    `  ${name.padEnd(28)} ${r.smallUs.toFixed(0).padStart(8)} µs ${r.largeUs.toFixed(0).padStart(8)} µs   ${r.ratio.toFixed(2).padStart(6)}  ${target.padEnd(6)} [${r.rounds.map((x) => x.toFixed(2)).join(" ")}]`;
  const { createKey, startup } = result;
  return [
    `management at scale: large store ${counts({ users: result.rows.users, keys: result.rows.keys, keysOfOneUser: result.rows.keysOfOneUser, events: result.rows.events })}, small ${result.rows.small.toLocaleString("en-US")} of each; ${result.build.reused ? "large store reused from the cache" : `large store built in ${result.build.seconds.toFixed(1)} s`}`,
    "  server CPU per call            small      large      ratio  target rounds",
    list("ListApiKeys, first page", result.listApiKeys),
    list("ListUsers, first page", result.listUsers),
    list("ListEvents, first page", result.listEvents),
    `  ${"CreateApiKey / GetAuthInfo".padEnd(28)} ${createKey.getAuthInfoUs.toFixed(0).padStart(8)} µs ${createKey.createUs.toFixed(0).padStart(8)} µs   ${createKey.ratio.toFixed(2).padStart(6)}  ≤ 3     [${createKey.rounds.map((x) => x.toFixed(2)).join(" ")}]`,
    list("CreateApiKey, busiest user", result.createKeyScale, "(info)"),
    `  ${"startup CPU, empty / large".padEnd(28)} ${startup.emptyMs.toFixed(0).padStart(8)} ms ${startup.largeMs.toFixed(0).padStart(8)} ms   ${startup.ratio.toFixed(2).padStart(6)}  ≤ 1.5   [${startup.rounds.map((x) => x.toFixed(2)).join(" ")}] (wall ${startup.wallEmptyMs.toFixed(0)} / ${startup.wallLargeMs.toFixed(0)} ms)`,
    `  ${"peak RSS, large store".padEnd(28)} ${result.peakRssMB.toFixed(0).padStart(20)} MB          ≤ 200 MB`,
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const started = performance.now();
  const result = await runManagementBench({ quick: process.argv.includes("--quick"), progress: console.log, nodeFlags: startScriptNodeFlags() });
  for (const line of managementTable(result)) console.log(line);
  console.log(`management: ${((performance.now() - started) / 1000).toFixed(1)} s in all`);
}
