/**
 * Latency without queueing: requests over one keep-alive connection, each sent when the previous one is
 * answered, timed with `performance.now()` (autocannon's latencies are whole milliseconds, too coarse for
 * a sub-millisecond difference). The client's own cost is the same for every target it is pointed at.
 */
import { Agent, request } from "node:http";
import { median } from "./stats.js";

export interface SequentialLatency {
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers other than 2xx, and failed requests. */
  readonly errors: number;
}

/** Sends `warmup` uncounted requests, then `requests` counted ones, one at a time, to `url`. */
export async function sequentialLatency(
  url: string,
  headers: Readonly<Record<string, string>>,
  settings: { readonly requests: number; readonly warmup: number },
): Promise<SequentialLatency> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const times: number[] = [];
  let errors = 0;
  try {
    for (let i = 0; i < settings.warmup + settings.requests; i++) {
      const started = performance.now();
      const ok = await get(url, headers, agent);
      if (i < settings.warmup) continue;
      times.push(performance.now() - started);
      if (!ok) errors++;
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  return { requests: times.length, p50Ms: median(times), p99Ms: times[Math.min(times.length - 1, Math.floor(times.length * 0.99))]!, errors };
}

/** One GET; true for a 2xx answer (its body read to the end), false for any other answer or an error. */
function get(url: string, headers: Readonly<Record<string, string>>, agent: Agent): Promise<boolean> {
  return new Promise((resolve) => {
    const outgoing = request(url, { agent, headers, timeout: 10_000 }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode !== undefined && response.statusCode >= 200 && response.statusCode < 300));
      response.once("error", () => resolve(false));
    });
    outgoing.once("timeout", () => outgoing.destroy(new Error("timed out")));
    outgoing.once("error", () => resolve(false));
    outgoing.end();
  });
}
