/**
 * HTTP/1.1 load at fixed concurrency for a fixed time: autocannon, in its own process (a warm-up run when
 * asked, then the measured run). Every 2xx body must contain `expectBody` (`"userId"` unless the spec says
 * otherwise), so a 200 that is not the answer asked for counts as a mismatch. Reports its own CPU use, so
 * the bench can show it was not the bottleneck.
 *
 * Usage: node --import tsx bench/load/http-load.ts '<json HttpLoadSpec>' prints one JSON HttpLoadResult
 * line; with `--serve` it runs one spec per stdin line (bench/lib/load-worker.ts).
 */
import autocannon from "autocannon";
import { serveSpecs } from "../lib/load-worker.js";

export interface HttpLoadSpec {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string | undefined;
  /** A binary body (base64), instead of `body`. */
  readonly bodyBase64?: string | undefined;
  /** What every 2xx body must contain (autocannon hands bodies over as UTF-8 text); `"userId"` by default, "" for no check. */
  readonly expectBody?: string | undefined;
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

async function run(spec: HttpLoadSpec, measuring: () => void = () => {}): Promise<HttpLoadResult> {
  const expected = spec.expectBody ?? '"userId"';
  const body = spec.bodyBase64 !== undefined ? Buffer.from(spec.bodyBase64, "base64") : spec.body;
  const options = {
    url: spec.url,
    method: spec.method,
    headers: { ...spec.headers },
    // autocannon sends a Buffer body as it is (lib/httpRequestBuilder.js); its types say string only.
    ...(body === undefined ? {} : { body: body as string }),
    connections: spec.connections,
    ...(expected === "" ? {} : { verifyBody: (text: string) => text.includes(expected) }),
  };
  if (spec.warmupMs > 0) await autocannon({ ...options, duration: spec.warmupMs / 1000 });
  measuring();
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

if (process.argv[2] === "--serve") await serveSpecs(run);
else process.stdout.write(`${JSON.stringify(await run(JSON.parse(process.argv[2] ?? "{}") as HttpLoadSpec))}\n`);
