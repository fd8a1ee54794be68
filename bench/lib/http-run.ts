/**
 * One HTTP/1.1 load run against a server process: autocannon in its own process (bench/load/http-load.ts),
 * and the server's CPU share over the measured window (after the warm-up).
 */
import { join } from "node:path";
import type { HttpLoadResult, HttpLoadSpec } from "../load/http-load.js";
import { cpuShareInWindow, ROOT, runNodeJson } from "./processes.js";

/** What to load: a URL served by the processes `pids` (one, or a cluster's primary and workers). */
export interface HttpTarget {
  readonly id: string;
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  readonly pids: readonly number[];
}

/** How long and how hard. */
export interface HttpRunSettings {
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** The load generator's result, with the server's CPU share (in cores) while it measured. */
export type HttpRound = HttpLoadResult & { serverCpu: number };

/** Loads `target` (a warm-up, then the measured run) and reads the server's CPU during the measured run. */
export async function runHttpTarget(target: HttpTarget, settings: HttpRunSettings): Promise<HttpRound> {
  const spec: HttpLoadSpec = {
    url: target.url,
    method: target.method,
    headers: target.headers,
    body: target.body,
    connections: settings.connections,
    warmupMs: settings.warmupMs,
    durationMs: settings.durationMs,
  };
  // autocannon starts after its child process has loaded (~0.3 s) and its warm-up run.
  const serverCpu = cpuShareInWindow(target.pids, settings.warmupMs + 300, settings.durationMs);
  const result = await runNodeJson<HttpLoadResult>(join(ROOT, "bench/load/http-load.ts"), [JSON.stringify(spec)], {
    timeoutMs: settings.warmupMs + settings.durationMs + 60_000,
  });
  return { ...result, serverCpu: await serverCpu };
}
