/**
 * What Keyward's gRPC door costs per call in-process, without grpc-js's transport and node:http2: the
 * handlers grpc-js would call, driven directly with a stand-in for grpc-js's call object, 128 calls in
 * flight at a time (the main bench's 8 connections x 16 streams). Server CPU per call in the main bench
 * is grpc-js + node:http2 + this; the bare no-op's CPU per call is grpc-js + node:http2 alone. So this
 * says how much of the gap to the no-op is Keyward's own code, measured in isolation.
 *
 * Rows: the bare no-op's handler (identity serializers); the health Check as grpc-health-check serves
 * it (protobufjs decode, handler, encode); Keyward's GetAuthInfo handler (decode, metadata to Headers,
 * call signal with the default deadline, the shared invoker with every interceptor and a cached key,
 * encode), and its parts alone. Each: CPU µs per call (process.cpuUsage, so GC threads count) and KB
 * allocated per call (v8.GCProfiler), medians of interleaved rounds.
 *
 * Usage: npm run bench:door [-- --rounds N (5) --ms M (1000) --src --profile <dir>]; --src loads src/
 * through tsx instead of dist/ (rebuilt first when older than the sources); --profile writes a CPU profile.
 */
import { create, toBinary } from "@bufbuild/protobuf";
import { Metadata, type ServerUnaryCall } from "@grpc/grpc-js";
import { service as healthService } from "grpc-health-check";
import { spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { GCProfiler } from "node:v8";
import { ensureBuiltServer } from "../lib/build.js";
import { buildInProcessKeyward } from "../lib/in-process-keyward.js";
import { keywardModule } from "../lib/keyward-module.js";
import { startScriptNodeFlags } from "../lib/start-flags.js";
import { median } from "../lib/stats.js";

const IN_FLIGHT = 128;

/** The part of grpc-js's ServerUnaryCall the handlers use, as grpc-js's own call is: an EventEmitter. */
class StandInCall extends EventEmitter {
  cancelled = false;
  constructor(
    readonly request: unknown,
    readonly metadata: Metadata,
  ) {
    super();
  }
  getPeer(): string {
    return "127.0.0.1:50000";
  }
  getDeadline(): number {
    return Infinity;
  }
  sendMetadata(): void {}
}

type Callback = (error: unknown, value?: unknown) => void;
type UnaryHandler = (call: ServerUnaryCall<unknown, unknown>, callback: Callback) => void;
interface Row {
  readonly name: string;
  /** One call; resolves when it is answered. */
  readonly call: () => Promise<unknown>;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // Run under npm start's heap flags, which set how often the garbage of each call is collected.
  if (process.env.KEYWARD_DOOR_BENCH !== "child") {
    const profile = argv.includes("--profile") ? ["--cpu-prof", "--cpu-prof-dir", argv[argv.indexOf("--profile") + 1] ?? "."] : [];
    const child = spawnSync(process.execPath, [...startScriptNodeFlags(), ...profile, "--import", "tsx", fileURLToPath(import.meta.url), ...argv], {
      stdio: "inherit",
      env: { ...process.env, KEYWARD_DOOR_BENCH: "child" },
    });
    process.exit(child.status ?? 1);
  }
  const rounds = Number(argv[argv.indexOf("--rounds") + 1]) || 5;
  const roundMs = Number(argv[argv.indexOf("--ms") + 1]) || 1_000;
  const built = !argv.includes("--src") && ensureBuiltServer().built;
  const [{ AuthService, GetAuthInfoRequestSchema }, grpcService, grpcMetadata] = await Promise.all([
    keywardModule<typeof import("../../gen/keyward/v1/auth_pb.js")>("gen/keyward/v1/auth_pb", built),
    keywardModule<typeof import("../../src/transport/grpc-service-definition.js")>("src/transport/grpc-service-definition", built),
    keywardModule<typeof import("../../src/transport/grpc-metadata.js")>("src/transport/grpc-metadata", built),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-door-"));
  try {
    const { keyward, config, adminKey: key, logger: silentLogger } = await buildInProcessKeyward(dataDir, built);
    // What h2load sends besides the transport's own headers (grpc-js strips those from the metadata).
    const metadata = new Metadata();
    metadata.set("authorization", `Bearer ${key}`);
    metadata.set("user-agent", "h2load nghttp2/1.52.0");

    const method = AuthService.method.getAuthInfo;
    const door = grpcService.createGrpcService(AuthService, keyward.invoker, silentLogger, false, config.limits.defaultDeadlineMs);
    const definition = door.definition[method.name]!;
    const handler = door.implementation[method.name] as UnaryHandler;
    const noDeadlineHandler = grpcService.createGrpcService(AuthService, keyward.invoker, silentLogger, false).implementation[method.name] as UnaryHandler;
    const requestBytes = Buffer.from(toBinary(GetAuthInfoRequestSchema, create(GetAuthInfoRequestSchema)));
    const health = healthService["Check"]!;
    const healthHandler: UnaryHandler = (call, callback) => callback(null, { status: "SERVING" as const, service: (call.request as { service: string }).service });
    const healthBytes = health.requestSerialize({ service: "" });
    const identity = (bytes: Buffer) => bytes;
    const noopHandler: UnaryHandler = (_call, callback) => callback(null, Buffer.alloc(0));

    /** decode, handle, encode: what grpc-js does around a handler, minus the transport. */
    const through =
      (deserialize: (b: Buffer) => unknown, serialize: (m: never) => Buffer, run: UnaryHandler, bytes: Buffer, md: () => Metadata) =>
      () =>
        new Promise<unknown>((resolve, reject) => {
          const call = new StandInCall(deserialize(bytes), md());
          run(call as unknown as ServerUnaryCall<unknown, unknown>, (error, value) => (error ? reject(error as Error) : resolve(serialize(value as never))));
        });
    const empty = () => new Metadata();
    // grpc-js builds each call's Metadata from the stream's headers: so does the stand-in, for Keyward.
    const incoming = () => metadata.clone();
    const rows: Row[] = [
      { name: "bare no-op handler (identity serializers)", call: through(identity, identity as never, noopHandler, Buffer.alloc(0), empty) },
      { name: "health Check (grpc-health-check: protobufjs decode, handler, encode)", call: through(health.requestDeserialize, health.responseSerialize as never, healthHandler, healthBytes, empty) },
      {
        name: "Keyward GetAuthInfo door (decode, metadata, signal, invoker, encode)",
        call: through(definition.requestDeserialize, definition.responseSerialize as never, handler, requestBytes, incoming),
      },
      {
        name: "  the same door without a default deadline (no timer, no race)",
        call: through(definition.requestDeserialize, definition.responseSerialize as never, noDeadlineHandler, requestBytes, incoming),
      },
      { name: "  part: the call's Metadata (metadata.clone(), as grpc-js makes it)", call: async () => incoming() },
      { name: "  part: metadataToHeaders", call: async () => grpcMetadata.metadataToHeaders(metadata) },
      {
        name: "  part: invoker.invoke (interceptors, cached verify, implementation)",
        call: () =>
          keyward.invoker.invoke(method, create(method.input), {
            protocolName: "grpc",
            header: new Headers({ authorization: `Bearer ${key}` }),
            end: { signal: NEVER },
            requestMethod: "POST",
            url: "/keyward.v1.AuthService/GetAuthInfo",
            peer: { address: "127.0.0.1", secure: false },
          }),
      },
    ];
    for (const row of rows) await row.call(); // a first call caches the key and its answer
    for (const row of rows) await measure(row, 300);
    const results = rows.map(() => [] as Array<{ us: number; kb: number }>);
    for (let r = 0; r < rounds; r++) for (const [i, row] of rows.entries()) results[i]!.push(await measure(row, roundMs));
    process.stdout.write(
      `gRPC door in-process, ${built ? "dist/" : "src/ via tsx"}, ${IN_FLIGHT} in flight, median of ${rounds} x ${roundMs} ms; node ${process.execArgv.filter((a) => a.startsWith("--max")).join(" ") || "(no heap flags)"} (npm start's); /proc/loadavg ${readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n\n`,
    );
    process.stdout.write("| what | CPU µs per call | KB allocated per call |\n| --- | --- | --- |\n");
    for (const [i, row] of rows.entries()) {
      const rs = results[i]!;
      process.stdout.write(`| ${row.name} | ${median(rs.map((x) => x.us)).toFixed(2)} | ${median(rs.map((x) => x.kb)).toFixed(2)} |\n`);
    }
    await keyward.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const NEVER = new AbortController().signal;

/** Runs `row` for `ms` with IN_FLIGHT calls at a time: CPU µs and KB allocated per call. */
async function measure(row: Row, ms: number): Promise<{ us: number; kb: number }> {
  await yieldToLoop();
  const profiler = new GCProfiler();
  profiler.start();
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let calls = 0;
  const batch = new Array<Promise<unknown>>(IN_FLIGHT);
  while (performance.now() - start < ms) {
    for (let k = 0; k < IN_FLIGHT; k++) batch[k] = row.call();
    await Promise.all(batch);
    calls += IN_FLIGHT;
  }
  const cpu = process.cpuUsage(cpu0);
  const gc = profiler.stop();
  return { us: (cpu.user + cpu.system) / calls, kb: allocatedBytes(gc) / calls / 1024 };
}

/**
 * Bytes allocated during a GCProfiler session: heap growth between collections (used before a GC minus
 * used after the previous one), plus the growth after the last.
 */
function allocatedBytes(gc: ReturnType<GCProfiler["stop"]>): number {
  const stats = gc?.statistics ?? [];
  if (stats.length === 0) return NaN;
  let total = 0;
  for (let i = 1; i < stats.length; i++) total += Math.max(0, stats[i]!.beforeGC.heapStatistics.usedHeapSize - stats[i - 1]!.afterGC.heapStatistics.usedHeapSize);
  return total;
}

await main();
