/**
 * HTTP/1.1 load at fixed concurrency for a fixed time: autocannon, in its own process (one warm-up run,
 * then the measured run). Every 2xx body must name a user (`"userId"`), so a 200 that is not an auth info
 * answer counts as a mismatch. Reports its own CPU use, so the bench can show it was not the bottleneck.
 *
 * Usage: node --import tsx bench/load/http-load.ts '<json HttpLoadSpec>'; prints one JSON HttpLoadResult line.
 */
import autocannon from "autocannon";

export interface HttpLoadSpec {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

export interface HttpLoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Non-2xx answers, connection errors, timeouts and 2xx answers that are not auth info. */
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  readonly generatorCpu: number;
}

async function run(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const options = {
    url: spec.url,
    method: spec.method,
    headers: { ...spec.headers },
    ...(spec.body === undefined ? {} : { body: spec.body }),
    connections: spec.connections,
    verifyBody: (body: string) => body.includes('"userId"'),
  };
  await autocannon({ ...options, duration: spec.warmupMs / 1000 });
  const cpuStart = process.cpuUsage();
  const result = await autocannon({ ...options, duration: spec.durationMs / 1000 });
  const cpu = process.cpuUsage(cpuStart);
  const errorKinds: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) {
    if (!code.startsWith("2")) errorKinds[`http ${code}`] = Number(count);
  }
  if (result.errors > 0) errorKinds["connection errors"] = result.errors;
  if (result.mismatches > 0) errorKinds["2xx without auth info"] = result.mismatches;
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    errors: result.non2xx + result.errors + result.mismatches,
    errorKinds,
    generatorCpu: (cpu.user + cpu.system) / 1e6 / result.duration,
  };
}

const spec = JSON.parse(process.argv[2] ?? "{}") as HttpLoadSpec;
process.stdout.write(`${JSON.stringify(await run(spec))}\n`);
