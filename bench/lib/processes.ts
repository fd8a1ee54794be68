/**
 * Child processes of the bench: the real Keyward server (`keyward serve`, built or through tsx), the
 * baseline servers and the load generators, plus what /proc says about them (RSS, CPU time). Every child
 * is started by this process and stopped by its own pid. Children get a stdin pipe that nothing is
 * written to: the baseline servers exit when it closes, so they do not outlive a killed bench.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI_SOURCE = join(ROOT, "src/cli/main.ts");
const CLI_BUILT = join(ROOT, "dist/src/cli/main.js");

/** A child process that announced itself with a JSON line on stdout. */
export interface Announced<T> {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly announcement: T;
  /** stdout and stderr so far (for error reports). */
  output(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Runs `node [nodeArgs] --import tsx <script> [args]` (without tsx for built JavaScript) and waits, at
 * most `timeoutMs`, for the first stdout JSON line that `accept` recognises.
 */
export function startNodeProcess<T>(
  script: string,
  args: readonly string[],
  accept: (line: Record<string, unknown>) => T | undefined,
  options: { nodeArgs?: readonly string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv; tsx?: boolean } = {},
): Promise<Announced<T>> {
  const loader = options.tsx === false ? [] : ["--import", "tsx"];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...loader, script, ...args], {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let output = "";
  let pending = "";
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${script} did not start in ${options.timeoutMs ?? 30_000} ms:\n${output}`));
    }, options.timeoutMs ?? 30_000);
    let done = false;
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stdout!.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      if (done) return;
      pending += text;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.startsWith("{")) continue;
        let parsed: Record<string, unknown>;
        try {
          parsed = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const announcement = accept(parsed);
        if (announcement === undefined) continue;
        done = true;
        clearTimeout(timer);
        resolve({
          child,
          pid: child.pid!,
          announcement,
          output: () => output,
          async stop(graceMs = 15_000) {
            if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
            child.kill("SIGTERM");
            const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
            const code = await exited;
            clearTimeout(killer);
            return code;
          },
        });
        return;
      }
    });
    void exited.then((code) => {
      if (done) return;
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before it was ready:\n${output}`));
    });
  });
}

/** Runs a node script to completion and returns the last JSON line it printed. Bounded by `timeoutMs`. */
export function runNodeJson<T>(script: string, args: readonly string[], options: { nodeArgs?: readonly string[]; timeoutMs: number }): Promise<T> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", script, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").filter((l) => l.startsWith("{")).at(-1);
      if (code !== 0 || last === undefined) {
        reject(new Error(`${script} failed (exit ${code ?? signal}):\n${stderr}${stdout.slice(-2000)}`));
        return;
      }
      resolve(JSON.parse(last) as T);
    });
  });
}

/** A running Keyward server. */
export interface KeywardProcess extends Announced<{ http: string; grpc: string }> {
  readonly dataDir: string;
}

/**
 * Starts `keyward serve` on free loopback ports with the SQLite store in `dataDir`: the built server
 * (`dist/`, what `npm start` runs) when `built`, else the sources through tsx; `args` are more serve flags.
 */
export async function startKeyward(
  dataDir: string,
  options: { built: boolean; profileDir?: string | undefined; nodeFlags?: readonly string[]; args?: readonly string[] },
): Promise<KeywardProcess> {
  const nodeArgs = [...(options.nodeFlags ?? []), ...(options.profileDir ? ["--cpu-prof", "--cpu-prof-dir", options.profileDir] : [])];
  const started = await startNodeProcess(
    options.built ? CLI_BUILT : CLI_SOURCE,
    ["serve", "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data-dir", dataDir, ...(options.args ?? [])],
    (line) =>
      line.msg === "keyward listening" && typeof line.http === "string" && typeof line.grpc === "string"
        ? { http: line.http, grpc: line.grpc }
        : undefined,
    { nodeArgs, timeoutMs: 60_000, tsx: !options.built },
  );
  return { ...started, dataDir };
}

/** Resident memory of a process, from /proc/<pid>/status: now (VmRSS) and peak (VmHWM), in MiB. */
export function memoryOf(pid: number): { rssMiB: number; peakMiB: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssMiB: kib("VmRSS") / 1024, peakMiB: kib("VmHWM") / 1024 };
}

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Linux USER_HZ, 100 on every mainstream architecture. */
const CLOCK_TICKS = 100;

/**
 * The same CPU time as {@link cpuSecondsOf} (every thread's time on a CPU, which the kernel splits into
 * utime and stime), to the nanosecond instead of in 10 ms ticks: the sum of the first field of
 * /proc/<pid>/task/<tid>/schedstat over the process's threads. A 1 s window of a server at half a core
 * holds about 50 ticks, so ticks alone would move a per-call ratio by a few percent; the bench's
 * windows are that short in quick mode. Falls back to ticks where schedstat is missing. (A thread that
 * ends inside a window takes its time with it; a Node server's threads live as long as it does.)
 */
export function preciseCpuSecondsOf(pid: number): number {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return cpuSecondsOf(pid); // throws for a process that is gone, as callers expect
  }
  let nanoseconds = 0;
  for (const tid of tids) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && tid !== String(pid)) continue; // the thread just ended
      return cpuSecondsOf(pid);
    }
  }
  return Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : cpuSecondsOf(pid);
}

/** Samples a process's RSS every `everyMs` until stopped; reports the highest sample. */
export function sampleRss(pid: number, everyMs = 200): { stop(): number } {
  let max = memoryOf(pid).rssMiB;
  const timer = setInterval(() => {
    try {
      max = Math.max(max, memoryOf(pid).rssMiB);
    } catch {
      // the process is gone; keep what we have
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return max;
    },
  };
}

/**
 * The pids of `pid`'s direct children (e.g. a node:cluster primary's workers), from
 * /proc/<pid>/task/<tid>/children; empty if the process is gone.
 */
export function childPidsOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8")
        .split(" ")
        .filter((p) => p !== "")
        .map(Number),
    );
  } catch {
    return [];
  }
}

/**
 * The CPU (in cores: user + system seconds per second) that the processes `pids` use together over a
 * window from `startAfterMs` to `startAfterMs + durationMs` from now (trimmed a little at both ends, to
 * stay inside a load run's measured window): the deltas of their CPU time ({@link preciseCpuSecondsOf}).
 * NaN if a process went away.
 */
export async function cpuShareInWindow(pids: number | readonly number[], startAfterMs: number, durationMs: number): Promise<number> {
  const list = typeof pids === "number" ? [pids] : pids;
  const total = () => list.reduce((sum, pid) => sum + safeCpuSeconds(pid), 0);
  const trimStart = Math.min(500, durationMs / 4);
  const trimEnd = Math.min(200, durationMs / 10);
  await sleep(startAfterMs + trimStart);
  const t0 = performance.now();
  const c0 = total();
  await sleep(durationMs - trimStart - trimEnd);
  const c1 = total();
  return (c1 - c0) / ((performance.now() - t0) / 1000);
}

function safeCpuSeconds(pid: number): number {
  try {
    return preciseCpuSecondsOf(pid);
  } catch {
    return NaN;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
