/**
 * The resident memory of a process, sampled from `/proc/<pid>/status` (`VmRSS`) on a timer and whenever
 * asked, keeping the peak: what the kernel charges the process, V8's heap and everything outside it
 * (argon2's memory, zlib, socket buffers) together.
 */
import { readFileSync } from "node:fs";

/** The process's resident set in MiB, or undefined when it is gone. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return kib ? Number(kib[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples one process's RSS every `intervalMs` until stopped. */
export class RssSampler {
  #peak = 0;
  #samples = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly pid: number,
    intervalMs = 20,
  ) {
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
    this.sample();
  }

  /** Takes one sample now; returns it. */
  sample(): number | undefined {
    const now = rssMiB(this.pid);
    if (now !== undefined) {
      this.#samples++;
      this.#peak = Math.max(this.#peak, now);
    }
    return now;
  }

  get peakMiB(): number {
    return this.#peak;
  }

  get samples(): number {
    return this.#samples;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
