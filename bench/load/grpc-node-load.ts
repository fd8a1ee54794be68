/**
 * The Node gRPC load generator, used when h2load is not installed. It runs in its own process and speaks
 * gRPC over plain `node:http2` (pre-framed request body, as h2load does), which costs far less CPU per
 * call than a grpc-js client, so one process can outrun the servers under test. Every response's
 * `grpc-status` is checked. Fixed concurrency (connections x streams), fixed duration, bounded count.
 *
 * Usage: node --import tsx bench/load/grpc-node-load.ts '<json LoadSpec>'; prints one JSON LoadResult line;
 * with `--serve` it runs one spec per stdin line (bench/lib/load-worker.ts).
 * It reports its own CPU use, so the bench can show it was not the bottleneck.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import { grpcRequestHeaders } from "../lib/grpc-wire.js";
import { serveSpecs } from "../lib/load-worker.js";
import { summarizeLatencies } from "../lib/stats.js";

export interface GrpcLoadSpec {
  /** `http://127.0.0.1:port` */
  readonly baseUrl: string;
  readonly path: string;
  /** The framed request body, base64. */
  readonly bodyBase64: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly connections: number;
  readonly streamsPerConnection: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Hard cap on calls, whatever the duration. */
  readonly maxRequests: number;
}

export interface GrpcLoadResult {
  readonly requests: number;
  readonly errors: number;
  /** Error counts by `http <status> / grpc <status>`. */
  readonly errorKinds: Record<string, number>;
  readonly seconds: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly meanMs: number;
  /** CPU time this generator used during the measured window, as a share of one core (1 = 100%). */
  readonly generatorCpu: number;
}

async function run(spec: GrpcLoadSpec, announce: () => void = () => {}): Promise<GrpcLoadResult> {
  const body = Buffer.from(spec.bodyBase64, "base64");
  const headers = grpcRequestHeaders(spec.path, spec.headers);
  const sessions = await Promise.all(Array.from({ length: spec.connections }, () => connect(spec.baseUrl)));

  const latencies = new Float64Array(Math.min(spec.maxRequests, 2_000_000));
  let measuring = false;
  let stopping = false;
  let issued = 0;
  let requests = 0;
  let errors = 0;
  const errorKinds: Record<string, number> = {};
  let inflight = 0;
  let drained: () => void = () => {};

  const fire = (session: http2.ClientHttp2Session): void => {
    if (stopping || issued >= spec.maxRequests) {
      if (--inflight === 0) drained();
      return;
    }
    issued++;
    const started = performance.now();
    const counted = measuring;
    let httpStatus = 0;
    let grpcStatus: unknown;
    const stream = session.request(headers);
    stream.on("response", (h) => {
      httpStatus = h[":status"] ?? 0;
      if (h["grpc-status"] !== undefined) grpcStatus = h["grpc-status"]; // trailers-only answer
    });
    stream.on("trailers", (t) => {
      grpcStatus = t["grpc-status"];
    });
    stream.resume(); // the body is not needed, only its end
    stream.on("error", () => {}); // counted below: no grpc-status 0
    stream.on("close", () => {
      if (counted && measuring) {
        const ok = httpStatus === 200 && grpcStatus === "0";
        if (!ok) {
          errors++;
          const kind = `http ${httpStatus} / grpc ${String(grpcStatus)}`;
          errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
        }
        if (requests < latencies.length) latencies[requests] = performance.now() - started;
        requests++;
      }
      fire(session);
    });
    stream.end(body);
  };

  for (const session of sessions) {
    for (let i = 0; i < spec.streamsPerConnection; i++) {
      inflight++;
      fire(session);
    }
  }
  await sleep(spec.warmupMs);
  // Only calls started and finished inside the window count.
  measuring = true;
  announce();
  const cpuStart = process.cpuUsage();
  const t0 = performance.now();
  await sleep(spec.durationMs);
  measuring = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  stopping = true;
  await Promise.race([new Promise<void>((resolve) => (drained = resolve)), sleep(5_000)]);
  for (const session of sessions) session.destroy();

  const summary = summarizeLatencies(latencies.subarray(0, Math.min(requests, latencies.length)));
  return {
    requests,
    errors,
    errorKinds,
    seconds,
    rps: requests / seconds,
    p50Ms: summary.p50,
    p99Ms: summary.p99,
    meanMs: summary.mean,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / seconds,
  };
}

function connect(baseUrl: string): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(baseUrl);
    // Like h2load: TCP_NODELAY, so small request frames are not held back by Nagle's algorithm.
    const session = http2.connect(baseUrl, { createConnection: () => net.connect({ host: hostname, port: Number(port), noDelay: true }) });
    session.once("connect", () => resolve(session));
    session.once("error", reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (process.argv[2] === "--serve") await serveSpecs(run);
else process.stdout.write(`${JSON.stringify(await run(JSON.parse(process.argv[2] ?? "{}") as GrpcLoadSpec))}\n`);
