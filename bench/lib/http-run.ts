/**
 * One HTTP/1.1 load run against a server process: autocannon in its own long-lived process
 * (bench/load/http-load.ts through bench/lib/load-worker.ts), and the server's CPU share over the measured
 * run (after the warm-up, if any).
 */
import { join } from "node:path";
import type { HttpLoadResult, HttpLoadSpec } from "../load/http-load.js";
import { LoadWorker } from "./load-worker.js";
import { cpuShareInWindow, ROOT } from "./processes.js";

/** What to load: a URL served by the processes `pids` (one, or a cluster's primary and workers). */
export interface HttpTarget {
  readonly id: string;
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** A binary body, instead of `body`. */
  readonly binaryBody?: Uint8Array;
  /** What every 2xx body must contain (ASCII, found in the body as text); `"userId"` by default, "" for no check. */
  readonly expectBody?: string;
  readonly pids: readonly number[];
}

/** How long and how hard. */
export interface HttpRunSettings {
  readonly connections: number;
  /** A warm-up run before the measured one; 0 for none. */
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** The load generator's result, with the server's CPU share (in cores) while it measured. */
export type HttpRound = HttpLoadResult & { serverCpu: number };

const generator = new LoadWorker<HttpLoadSpec, HttpLoadResult>(join(ROOT, "bench/load/http-load.ts"));

/** Loads `target` (a warm-up, then the measured run) and reads the server's CPU during the measured run. */
export async function runHttpTarget(target: HttpTarget, settings: HttpRunSettings): Promise<HttpRound> {
  const spec: HttpLoadSpec = {
    url: target.url,
    method: target.method,
    headers: target.headers,
    body: target.body,
    bodyBase64: target.binaryBody && Buffer.from(target.binaryBody).toString("base64"),
    expectBody: target.expectBody,
    connections: settings.connections,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
  };
  let serverCpu: Promise<number> | undefined;
  const result = await generator.run(spec, () => (serverCpu = cpuShareInWindow(target.pids, 0, settings.durationMs)), settings.warmupMs + settings.durationMs + 60_000);
  if (serverCpu === undefined) throw new Error("the HTTP load generator never started its measured run");
  return { ...result, serverCpu: await serverCpu };
}

/** Ends the HTTP load generator's process (it also ends by itself when the bench exits). */
export function stopHttpGenerator(): Promise<void> {
  return generator.stop();
}
