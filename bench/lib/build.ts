/**
 * The bench measures the server users run (`npm start` runs `dist/`, built by tsc), not the sources
 * through tsx, whose transform adds work to every closure created per call. `dist/` is rebuilt when any
 * source is newer than it; if that build fails (e.g. work in progress elsewhere in the tree), the bench
 * runs the sources through tsx and says so.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.js";

export interface ServerBuild {
  readonly built: boolean;
  readonly note: string;
}

export function ensureBuiltServer(): ServerBuild {
  const entry = join(ROOT, "dist/src/cli/main.js");
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  const newest = Math.max(newestMtime(join(ROOT, "src")), newestMtime(join(ROOT, "gen")));
  if (builtAt >= newest) return { built: true, note: "dist/ (up to date)" };
  const result = spawnSync(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 180_000,
  });
  if (result.status === 0) return { built: true, note: "dist/ (rebuilt with tsc -p tsconfig.build.json)" };
  const firstError = (result.stdout + result.stderr).split("\n").find((line) => line.includes("error")) ?? "";
  return { built: false, note: `sources via tsx (the build failed: ${firstError.trim()})` };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}
