/**
 * The Node flags `npm start` runs the server with (package.json `scripts.start`: heap limits), so the
 * bench measures the server as users run it rather than with Node's defaults.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./processes.js";

// `exec ` (so signals sent to npm reach node) is the shell's, not the server's.
const START = /^(?:exec )?node((?: --[a-z-]+(?:=\S+)?)*) dist\/src\/cli\/main\.js serve$/;

/** The flags between `node` and the script in `scripts.start`; throws if the script has another shape. */
export function startScriptNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts?: { start?: string } };
  const start = pkg.scripts?.start ?? "";
  const match = START.exec(start);
  if (!match) throw new Error(`package.json scripts.start is not "[exec] node [--flag...] dist/src/cli/main.js serve": ${start}`);
  return match[1]!.split(" ").filter((flag) => flag !== "");
}
