/**
 * One bash for one docs page, as a reader has one terminal: the page's blocks run in it in order, so
 * variables, `cd` and background jobs carry from one block to the next. The shell runs with errexit and
 * pipefail, so the first failing command stops it (and the page). Each block's stdout and stderr are kept
 * apart; its stdin is /dev/null (a block that feeds a command pipes into it, as a pasted script would).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** What one block did. */
export interface BlockRun {
  /** 0, or the status the shell stopped with (the first failing command's). */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class PageShell {
  private output = "";
  private exited: number | undefined;
  private blocks = 0;
  /** The shell's working directory after the last block. */
  cwd: string;

  private constructor(
    private readonly child: ChildProcess,
    private readonly controlDir: string,
    cwd: string,
  ) {
    this.cwd = cwd;
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.output += chunk));
    child.once("exit", (code, signal) => (this.exited = code ?? (signal ? 128 : 1)));
  }

  /**
   * Starts bash in `cwd` with exactly `env`, in a process group of its own (so what the page starts in the
   * background can be stopped with it). Block files and their outputs go to `controlDir`, outside `cwd`.
   */
  static start(cwd: string, env: Record<string, string>, controlDir: string): PageShell {
    const child = spawn("bash", ["--noprofile", "--norc", "-e", "-o", "pipefail", "-s"], { cwd, env, detached: true, stdio: ["pipe", "pipe", "pipe"] });
    return new PageShell(child, controlDir, cwd);
  }

  /** Whether the shell is gone (a block failed, or it was closed). */
  get stopped(): boolean {
    return this.exited !== undefined;
  }

  /** Runs `script` as the next block and resolves when it is done, or when it stopped the shell. */
  async run(script: string, timeoutMs: number): Promise<BlockRun> {
    if (this.exited !== undefined) throw new Error(`the page's shell already stopped (status ${this.exited})`);
    const n = ++this.blocks;
    const file = (ext: string) => join(this.controlDir, `${n}.${ext}`);
    writeFileSync(file("sh"), script);
    const done = `@@block ${n} done in `;
    this.child.stdin!.write(`source '${file("sh")}' < /dev/null > '${file("out")}' 2> '${file("err")}'; printf '\\n${done}%s\\n' "$PWD"\n`);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.output.indexOf(done);
      if (at >= 0 && this.output.indexOf("\n", at) > at) {
        this.cwd = this.output.slice(at + done.length, this.output.indexOf("\n", at));
        return { status: 0, stdout: readFileSync(file("out"), "utf8"), stderr: readFileSync(file("err"), "utf8") };
      }
      if (this.exited !== undefined) {
        const shell = this.output.split("\n").filter((line) => line !== "" && !line.startsWith("@@block ")).join("\n");
        return { status: this.exited, stdout: readOr(file("out")), stderr: `${readOr(file("err"))}${shell}` };
      }
      if (Date.now() > deadline) {
        await this.close();
        return { status: 124, stdout: readOr(file("out")), stderr: `${readOr(file("err"))}\n(block still running after ${timeoutMs} ms: stopped)` };
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops the shell and everything it started in the background (its process group), SIGKILL after 5 s. */
  async close(): Promise<void> {
    this.child.stdin!.destroy();
    const group = -this.child.pid!;
    const signal = (name: NodeJS.Signals | 0): boolean => {
      try {
        process.kill(group, name);
        return true;
      } catch {
        return false; // the group is empty
      }
    };
    if (!signal("SIGTERM")) return;
    for (const deadline = Date.now() + 5_000; Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      if (!signal(0)) return;
    }
    signal("SIGKILL");
  }
}

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
