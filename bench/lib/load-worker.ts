/**
 * A load generator kept running across runs: one child process (`node --import tsx <script> --serve`)
 * that reads one JSON spec a line on stdin and, for each, writes `{"measuring":true}` when its measured
 * run begins and `{"result":...}` (or `{"error":"..."}`) when it ends. Starting a generator costs about a
 * second on a loaded 2-core machine, which a bench of 30 short runs cannot pay each time; and the marker
 * lets the caller read the server's CPU over exactly the measured run.
 *
 * The child is unreferenced while idle, so a script that is done exits without stopping it; the child
 * exits when its stdin closes (see {@link serveSpecs}), so it never outlives the bench.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import type { Socket } from "node:net";
import { ROOT } from "./processes.js";

export class LoadWorker<Spec, Result> {
  private child: ChildProcess | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private onLine: ((line: Record<string, unknown>) => void) | undefined;
  private onExit: ((code: number | null) => void) | undefined;
  private output = "";

  constructor(private readonly script: string) {}

  /**
   * Runs one spec (runs are serialised); `onMeasuring` is called when the measured run starts. Bounded by
   * `timeoutMs`: the child is killed and the run fails after that.
   */
  run(spec: Spec, onMeasuring: () => void, timeoutMs: number): Promise<Result> {
    const next = this.queue.then(() => this.runNow(spec, onMeasuring, timeoutMs));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private runNow(spec: Spec, onMeasuring: () => void, timeoutMs: number): Promise<Result> {
    const child = this.started();
    setReferenced(child, true);
    return new Promise<Result>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.kill();
        reject(new Error(`${this.script} gave no result in ${timeoutMs} ms:\n${this.output.slice(-2000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.onLine = undefined;
        this.onExit = undefined;
        if (this.child) setReferenced(this.child, false);
      };
      this.onLine = (line) => {
        if (line.measuring === true) onMeasuring();
        else if ("result" in line) {
          done();
          resolve(line.result as Result);
        } else if (typeof line.error === "string") {
          done();
          reject(new Error(`${this.script}: ${line.error}`));
        }
      };
      this.onExit = (code) => {
        done();
        reject(new Error(`${this.script} exited with ${code}:\n${this.output.slice(-2000)}`));
      };
      child.stdin!.write(`${JSON.stringify(spec)}\n`);
    });
  }

  private started(): ChildProcess {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return this.child;
    this.output = "";
    const child = spawn(process.execPath, ["--import", "tsx", this.script, "--serve"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    child.stderr!.on("data", (chunk: Buffer) => (this.output += chunk.toString()));
    createInterface({ input: child.stdout! }).on("line", (text) => {
      this.output += `${text}\n`;
      if (!text.startsWith("{")) return;
      try {
        this.onLine?.(JSON.parse(text) as Record<string, unknown>);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
      }
    });
    child.once("exit", (code) => {
      if (this.child === child) this.child = undefined;
      this.onExit?.(code);
    });
    this.child = child;
    return child;
  }

  private kill(): void {
    this.child?.kill("SIGKILL");
    this.child = undefined;
  }

  /** Ends the child (closing its stdin) and waits for it. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.stdin!.end();
    const killer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(killer);
  }
}

/** An idle generator must not keep the bench's event loop alive; a busy one must. */
function setReferenced(child: ChildProcess, referenced: boolean): void {
  for (const stream of [child.stdin, child.stdout, child.stderr] as unknown as (Socket | null)[]) {
    if (referenced) stream?.ref();
    else stream?.unref();
  }
  if (referenced) child.ref();
  else child.unref();
}

/**
 * The child's side: `run` each spec read from stdin, one at a time, announcing the measured run with
 * `measuring()`; exits when stdin closes.
 */
export async function serveSpecs<Spec, Result>(run: (spec: Spec, measuring: () => void) => Promise<Result>): Promise<void> {
  const write = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === "") continue;
    try {
      write({ result: await run(JSON.parse(line) as Spec, () => write({ measuring: true })) });
    } catch (error) {
      write({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    }
  }
}
