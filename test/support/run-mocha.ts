/** Runs mocha in a child process on the given files, with the project's hooks but not its spec list. */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));

export interface MochaRun {
  readonly status: number | null;
  readonly output: string;
}

/** `mocha` on `files` (relative to the project root), with tsx and the temporary-directory check. */
export function runMocha(files: readonly string[], env: Record<string, string> = {}): MochaRun {
  const run = spawnSync(
    process.execPath,
    [join(ROOT, "node_modules/mocha/bin/mocha.js"), "--no-config", "--node-option", "import=tsx", "--require", "./test/support/temp-dir-check.ts", "--timeout", "60000", ...files],
    { cwd: ROOT, env: { ...process.env, ...env }, encoding: "utf8", timeout: 170_000 },
  );
  return { status: run.status, output: run.stdout + run.stderr };
}
