/**
 * gRPC load at fixed concurrency for a fixed time, from a separate process: h2load when it is installed
 * (Debian `nghttp2-client`), else the Node generator in bench/load/grpc-node-load.ts (one process kept
 * for all runs: bench/lib/load-worker.ts). Either way the
 * result has the same shape, the generator's own CPU use (to show it was not the bottleneck) and the
 * server's CPU use during the measured window.
 *
 * h2load counts any HTTP 200 as success, but a gRPC error is an HTTP 200 with a non-zero `grpc-status`
 * in a trailers-only response, which carries no DATA. So the gRPC errors are checked from the DATA bytes
 * h2load received: every successful call carries exactly one response message, whose size is probed
 * before and after the run, and an error carries none. When the size did not change during the run and
 * DATA = calls x size, there were no errors; otherwise the count reported is an upper bound. (The Node
 * generator reads every call's grpc-status.)
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { GrpcLoadResult, GrpcLoadSpec } from "../load/grpc-node-load.js";
import { LoadWorker } from "./load-worker.js";
import { cpuShareInWindow, ROOT } from "./processes.js";
import { summarizeLatencies } from "./stats.js";

export type GrpcGenerator = "h2load" | "node";

export interface GrpcPhase {
  readonly baseUrl: string;
  readonly path: string;
  /** The framed request body. */
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly streams: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One call outside the load, answering the body size of a successful response (throws otherwise). */
  readonly probeResponseBytes: () => Promise<number>;
  /** The server's processes (a cluster's primary and workers), for their CPU use, summed. */
  readonly serverPids: readonly number[];
}

export interface GrpcPhaseResult {
  readonly generator: GrpcGenerator;
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Calls that did not end with HTTP 200 and grpc-status 0 (with h2load possibly an upper bound). */
  readonly errors: number;
  /** True when `errors` is exact (always with the Node generator; with h2load when the DATA check is). */
  readonly errorsExact: boolean;
  readonly errorKinds: Record<string, number>;
  readonly generatorCpu: number;
  /** Server CPU in cores (all its processes) over the measured window. */
  readonly serverCpu: number;
}

/** The h2load version, or undefined when h2load is not installed. */
export function h2loadVersion(): string | undefined {
  const result = spawnSync("h2load", ["--version"], { encoding: "utf8", timeout: 5_000 });
  if (result.status !== 0) return undefined;
  return /nghttp2\/(\S+)/.exec(result.stdout)?.[1] ?? result.stdout.trim();
}

const nodeGenerator = new LoadWorker<GrpcLoadSpec, GrpcLoadResult>(join(ROOT, "bench/load/grpc-node-load.ts"));

/** Ends the Node gRPC generator's process (it also ends by itself when the bench exits). */
export function stopGrpcGenerator(): Promise<void> {
  return nodeGenerator.stop();
}

export async function runGrpcPhase(generator: GrpcGenerator, phase: GrpcPhase): Promise<GrpcPhaseResult> {
  const sizeBefore = await phase.probeResponseBytes();
  if (generator === "node") {
    const spec: GrpcLoadSpec = {
      baseUrl: phase.baseUrl,
      path: phase.path,
      bodyBase64: phase.body.toString("base64"),
      headers: phase.headers,
      connections: phase.connections,
      streamsPerConnection: phase.streams,
      warmupMs: phase.warmupMs,
      durationMs: phase.durationMs,
      maxRequests: 100_000 * Math.ceil((phase.warmupMs + phase.durationMs) / 1000),
    };
    let serverCpu: Promise<number> | undefined;
    const onMeasuring = () => (serverCpu = cpuShareInWindow(phase.serverPids, 0, phase.durationMs));
    const result = await nodeGenerator.run(spec, onMeasuring, phase.warmupMs + phase.durationMs + 60_000);
    if (serverCpu === undefined) throw new Error("the gRPC load generator never started its measured run");
    await phase.probeResponseBytes();
    const { meanMs: _, ...rest } = result;
    return { generator, ...rest, errorsExact: true, serverCpu: await serverCpu };
  }

  const dir = mkdtempSync(join(tmpdir(), "keyward-h2load-"));
  try {
    const bodyFile = join(dir, "body.bin");
    const logFile = join(dir, "requests.log");
    writeFileSync(bodyFile, phase.body);
    const common = [
      ...["-c", String(phase.connections), "-m", String(phase.streams), "-t", "1", "-d", bodyFile],
      ...["-H", "content-type: application/grpc", "-H", "te: trailers"],
      ...Object.entries(phase.headers).flatMap(([name, value]) => ["-H", `${name}: ${value}`]),
    ];
    const url = `${phase.baseUrl}${phase.path}`;
    // A separate warm-up run: h2load's --warm-up-time resets the request counts but not the byte counts,
    // which the error check below needs to cover exactly the measured calls.
    // (h2load refuses a duration of 0: no warm-up run then.)
    if (phase.warmupMs > 0) await h2load([...common, "-D", `${phase.warmupMs}ms`, url], phase.warmupMs).output;
    const serverCpu = cpuShareInWindow(phase.serverPids, 0, phase.durationMs);
    const measured = h2load([...common, "-D", `${phase.durationMs}ms`, `--log-file=${logFile}`, url], phase.durationMs);
    const stdout = await measured.output;
    const sizeAfter = await phase.probeResponseBytes();
    const parsed = parseH2load(stdout);
    const latencies = readLog(readFileSync(logFile, "utf8"));
    const httpErrors = parsed.failed + parsed.non2xx;
    const answered = parsed.done - httpErrors;
    // Each answered call carried one message of sizeBefore or sizeAfter bytes, or (an error) nothing.
    const largest = Math.max(sizeBefore, sizeAfter);
    const exact = sizeBefore === sizeAfter && parsed.dataBytes === answered * largest;
    const grpcErrors = exact ? 0 : Math.max(0, answered - Math.floor(parsed.dataBytes / largest));
    const errorKinds: Record<string, number> = {};
    if (httpErrors > 0) errorKinds["failed stream or non-2xx"] = httpErrors;
    if (grpcErrors > 0) errorKinds["grpc-status != 0 (at most; from DATA bytes)"] = grpcErrors;
    return {
      generator: "h2load",
      requests: parsed.done,
      rps: parsed.rps,
      p50Ms: latencies.p50,
      p99Ms: latencies.p99,
      errors: httpErrors + grpcErrors,
      errorsExact: exact,
      errorKinds,
      generatorCpu: await measured.cpu,
      serverCpu: await serverCpu,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs h2load (killed 60 s after its duration at the latest): its stdout, and its CPU share while measuring. */
function h2load(args: string[], durationMs: number): { output: Promise<string>; cpu: Promise<number> } {
  const child = spawn("h2load", args, { stdio: ["ignore", "pipe", "pipe"] });
  const cpu = cpuShareInWindow(child.pid!, 0, durationMs);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const output = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), durationMs + 60_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      // The arguments carry the bench's API key: never print it.
      else reject(new Error(`h2load failed (exit ${code}):\n${stderr}${stdout}`.replace(/NNSXS\.[A-Z2-7.]+/g, "NNSXS.<redacted>")));
    });
  });
  return { output, cpu };
}

interface H2loadSummary {
  readonly rps: number;
  readonly done: number;
  readonly failed: number;
  readonly non2xx: number;
  readonly dataBytes: number;
}

function parseH2load(stdout: string): H2loadSummary {
  const need = (pattern: RegExp, what: string): RegExpExecArray => {
    const match = pattern.exec(stdout);
    if (!match) throw new Error(`h2load output has no ${what}:\n${stdout}`);
    return match;
  };
  const finished = need(/finished in [\d.]+m?s, ([\d.]+) req\/s/, "rate");
  const requests = need(/requests: \d+ total, \d+ started, (\d+) done, \d+ succeeded, (\d+) failed/, "request counts");
  const codes = need(/status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/, "status codes");
  const traffic = need(/traffic: .*?, \S+ \((\d+)\) data/, "traffic");
  return {
    rps: Number(finished[1]),
    done: Number(requests[1]),
    failed: Number(requests[2]),
    non2xx: Number(codes[1]) + Number(codes[2]) + Number(codes[3]),
    dataBytes: Number(traffic[1]),
  };
}

/** Latencies (ms) of the calls h2load logged (start µs, HTTP status, duration µs per line). */
function readLog(log: string): { p50: number; p99: number } {
  const durations = log
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => Number(line.split("\t")[2]) / 1000);
  return summarizeLatencies(Float64Array.from(durations));
}
