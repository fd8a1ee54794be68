/**
 * Verification micro-benchmarks, in one process on one core (run as a child of bench/main.ts, so its heap
 * and JIT state are its own; `--cpu-prof` works on it alone):
 *
 * - cached verify: `ApiKeyVerifier.verify` on keys whose records are cached (a TTL long enough that no
 *   entry expires mid-run), cycling through `small` keys;
 * - uncached verify: the same with the cache off (TTL 0), so every call reads SQLite (key with owner), on
 *   a store of `small` keys and on one of `large` keys, presenting as many keys, spread uniformly over the
 *   whole store (the growth ratio). The two stores are measured in alternating rounds, so drift on the
 *   machine hits both alike;
 * - for reference, TTN's PBKDF2-SHA256 x1000 per verification, and the parts of a verify (parse; the
 *   secret check: SHA-256 and compare).
 *
 * Every verifier has a usage recorder, as in the server. Loops yield to the event loop every few ms, as a
 * server's would, so the recorder's timer runs. Each figure is the median of `rounds` timed rounds, each
 * started after a full garbage collection (run with --expose-gc), so garbage from loading the stores is
 * not charged to what follows.
 *
 * Usage: node --expose-gc --import tsx bench/micro/verify-bench.ts '<json MicroSpec>'; prints one JSON
 * MicroResult line.
 */
import { pbkdf2Sync, randomBytes, timingSafeEqual } from "node:crypto";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { ApiKeyVerifier, DEFAULT_VERIFIER_OPTIONS } from "../../src/authn/verifier.js";
import { UsageRecorder } from "../../src/authn/usage-recorder.js";
import { hashSecret, parseKey, secretChecker } from "../../src/keys/index.js";
import { silentLogger } from "../../src/logger.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { addLoadKey, bulkLoadKeys } from "../lib/bulk-keys.js";
import { median } from "../lib/stats.js";

export interface MicroSpec {
  /** Directory for keyward.db; left behind with `large` keys for the server phases. */
  readonly dataDir: string;
  readonly small: number;
  readonly large: number;
  readonly roundMs: number;
  readonly rounds: number;
  /** Where to write (one per line) `serverSample` keys spread over the large store, for the server phases. */
  readonly sampleFile: string;
  readonly serverSample: number;
  /** Where to write the key the load phases present (see `addLoadKey`). */
  readonly loadKeyFile: string;
}

/**
 * A rate in operations per CPU-second of this process (one thread does the work; GC helper threads are
 * counted too), so that other load on a shared machine does not lower it; and per wall-clock second.
 */
export interface Rate {
  readonly opsPerSec: number;
  readonly wallOpsPerSec: number;
  readonly rounds: number[];
}

export interface MicroResult {
  readonly cached: Rate;
  readonly uncachedSmall: Rate;
  readonly uncachedLarge: Rate;
  /** Time per uncached verify at `large` keys over time per verify at `small` keys. */
  readonly growthRatio: number;
  readonly pbkdf2: Rate;
  readonly parse: Rate;
  /** The per-call secret check of a cached key: SHA-256 of the secret, compared with the stored digest. */
  readonly secretCheck: Rate;
  readonly small: number;
  readonly large: number;
  readonly loadSeconds: number;
  readonly dbMiB: number;
}

async function main(spec: MicroSpec): Promise<MicroResult> {
  // The large store is keyward.db in dataDir, which the server phases then use.
  const started = performance.now();
  const largeStore = openSqliteStore(join(spec.dataDir, "keyward.db"));
  const real = Math.max(spec.serverSample, spec.small);
  const largeKeys = bulkLoadKeys(largeStore, { filler: spec.large - real, real, keysPerUser: 100, batch: "l" });
  const loadSeconds = (performance.now() - started) / 1000;
  // Real key ids are random, so these are spread uniformly over the whole id space (and the b-tree).
  const spread = largeKeys.slice(0, spec.small);
  const smallDir = join(spec.dataDir, "small");
  mkdirSync(smallDir);
  const smallStore = openSqliteStore(join(smallDir, "keyward.db"));
  const smallKeys = bulkLoadKeys(smallStore, { filler: 0, real: spec.small, keysPerUser: 100, batch: "s" });
  const smallUsage = new UsageRecorder(smallStore, silentLogger);
  const largeUsage = new UsageRecorder(largeStore, silentLogger);

  // Cached: a TTL far beyond the run, so every call is a cache hit (parse, SHA-256, states, expiry).
  const cachedVerifier = new ApiKeyVerifier(smallStore, { ...DEFAULT_VERIFIER_OPTIONS, cacheTtlMs: 3_600_000 }, smallUsage);
  for (const key of smallKeys) await cachedVerifier.verify(key);
  const cached = await rate(spec, (i) => cachedVerifier.verify(smallKeys[i % smallKeys.length]!));

  const uncached = { ...DEFAULT_VERIFIER_OPTIONS, cacheTtlMs: 0 };
  const smallVerifier = new ApiKeyVerifier(smallStore, uncached, smallUsage);
  const largeVerifier = new ApiKeyVerifier(largeStore, uncached, largeUsage);
  const [uncachedSmall, uncachedLarge] = (await alternate(spec, [
    (i) => smallVerifier.verify(smallKeys[i % smallKeys.length]!),
    (i) => largeVerifier.verify(spread[i % spread.length]!),
  ])) as [Rate, Rate];

  // Reference: TTN hashes secrets with PBKDF2-SHA256, 1000 iterations, and checks that on every call.
  const secret = smallKeys[0]!.slice(46);
  const salt = randomBytes(16);
  const stored = pbkdf2Sync(secret, salt, 1000, 32, "sha256");
  const pbkdf2 = await rate(spec, () => timingSafeEqual(pbkdf2Sync(secret, salt, 1000, 32, "sha256"), stored));
  const parse = await rate(spec, (i) => parseKey(smallKeys[i % smallKeys.length]!));
  const checkSecret = secretChecker(hashSecret(secret));
  const secretCheck = await rate(spec, () => checkSecret(secret));

  writeFileSync(spec.sampleFile, `${largeKeys.slice(0, spec.serverSample).join("\n")}\n`, { mode: 0o600 });
  writeFileSync(spec.loadKeyFile, `${addLoadKey(largeStore)}\n`, { mode: 0o600 });
  await Promise.all([smallUsage.flush(), largeUsage.flush()]);
  await Promise.all([smallStore.close(), largeStore.close()]);
  return {
    cached,
    uncachedSmall,
    uncachedLarge,
    growthRatio: uncachedSmall.opsPerSec / uncachedLarge.opsPerSec,
    pbkdf2,
    parse,
    secretCheck,
    small: spec.small,
    large: spec.large,
    loadSeconds,
    dbMiB: statSync(join(spec.dataDir, "keyward.db")).size / 2 ** 20,
  };
}

/** Ops per second of `op` (awaited one at a time): a short warm-up, then the median of the rounds. */
async function rate(spec: MicroSpec, op: (i: number) => unknown): Promise<Rate> {
  return (await alternate(spec, [op]))[0]!;
}

/** Like {@link rate} for several ops, whose rounds alternate: a, b, a, b, ... */
async function alternate(spec: MicroSpec, ops: ReadonlyArray<(i: number) => unknown>): Promise<Rate[]> {
  for (const op of ops) await timed(Math.min(300, spec.roundMs), op);
  const rounds = ops.map(() => [] as Array<{ cpu: number; wall: number }>);
  for (let r = 0; r < spec.rounds; r++) {
    for (const [k, op] of ops.entries()) {
      collectGarbage();
      rounds[k]!.push(await timed(spec.roundMs, op));
    }
  }
  return rounds.map((rs) => ({
    opsPerSec: median(rs.map((x) => x.cpu)),
    wallOpsPerSec: median(rs.map((x) => x.wall)),
    rounds: rs.map((x) => x.cpu),
  }));
}

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function timed(durationMs: number, op: (i: number) => unknown): Promise<{ cpu: number; wall: number }> {
  let n = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let now = start;
  let yieldAt = start + 5;
  while (now - start < durationMs) {
    for (let k = 0; k < 32; k++) await op(n++);
    now = performance.now();
    if (now >= yieldAt) {
      await yieldToLoop();
      now = performance.now();
      yieldAt = now + 5;
    }
  }
  const cpu = process.cpuUsage(cpuStart);
  return { cpu: n / ((cpu.user + cpu.system) / 1e6), wall: n / ((now - start) / 1000) };
}

const spec = JSON.parse(process.argv[2] ?? "{}") as MicroSpec;
process.stdout.write(`${JSON.stringify(await main(spec))}\n`);
