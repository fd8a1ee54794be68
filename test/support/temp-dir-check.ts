/**
 * Every test removes the temporary files it makes. Loaded by mocha before any test file (.mocharc.json
 * `require`): the run gets a temporary directory of its own, set as TMPDIR, which `os.tmpdir()` reads
 * and every child process (servers, the CLI, npm) inherits; so other runs on the same machine do not
 * count, and nothing is missed. When the run ends, a `keyward-*` entry left in it fails the run, named;
 * then the directory goes, whatever it holds.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const runDir = mkdtempSync(join(tmpdir(), "keyward-test-run-"));
process.env["TMPDIR"] = runDir;

/** The `keyward-*` entries in the run's temporary directory. */
export function leftBehind(): string[] {
  return readdirSync(runDir)
    .filter((name) => name.startsWith("keyward-"))
    .sort();
}

export const mochaHooks = {
  afterAll(): void {
    const left = leftBehind();
    rmSync(runDir, { recursive: true, force: true });
    if (left.length > 0) {
      throw new Error(`tests left ${left.join(", ")} in the temporary directory: every test removes what it makes`);
    }
  },
};
