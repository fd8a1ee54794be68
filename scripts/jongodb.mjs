// The MongoDB stand-in of the test lane: jongodb, a MongoDB-compatible wire-protocol server shipped as a
// native binary inside the optional npm package @jongodb/memory-server-bin-linux-x64-gnu. It is not
// MongoDB (no write conflicts between transactions, no explain, no change streams, no dropDatabase); the
// tests skip exactly those gaps by name. Used by scripts/test.mjs and by tests that stop and restart it.
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const PACKAGE = "@jongodb/memory-server-bin-linux-x64-gnu";

/** How long the stand-in may take to print its URI (it takes about 60 ms here). */
const START_TIMEOUT_MS = 15_000;

/**
 * The stand-in's binary, or undefined when the optional package is not installed (another platform, or
 * `npm install --omit=optional`).
 * @returns {string | undefined}
 */
export function jongodbBinary() {
  try {
    const manifest = createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`);
    const binary = join(dirname(manifest), "bin", "jongodb");
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts the stand-in as a single-node replica set `rs0` on 127.0.0.1 and resolves once it printed its URI.
 * Port 0 lets it pick a free port; pass the port of an earlier run to bring "the same server" back (with
 * no data: it keeps everything in memory). Its output goes to a file, not a pipe, so it can never block
 * on a full pipe while this process waits synchronously (scripts/test.mjs runs mocha with spawnSync).
 * @param {{ port?: number }} [options]
 * @returns {Promise<{ url: string, port: number, logFile: string, stop: () => Promise<void> }>}
 */
export async function startJongodb(options = {}) {
  const binary = jongodbBinary();
  if (binary === undefined) throw new Error(`${PACKAGE} is not installed (it is an optional dependency for linux/x64/glibc)`);
  const dir = mkdtempSync(join(tmpdir(), "keyward-jongodb-"));
  const logFile = join(dir, "jongodb.log");
  const out = openSync(logFile, "w");
  const child = spawn(
    binary,
    ["--host=127.0.0.1", `--port=${options.port ?? 0}`, "--topology-profile=singleNodeReplicaSet", "--replica-set-name=rs0"],
    { stdio: ["ignore", out, out] },
  );
  closeSync(out);
  let exitCode;
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve((exitCode = code ?? signal))));
  // It ignores SIGTERM; SIGKILL loses nothing, since it keeps no data.
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  for (;;) {
    const output = readFileSync(logFile, "utf8");
    const match = /JONGODB_URI=(mongodb:\/\/\S+)/.exec(output);
    if (match) return { url: match[1], port: Number(new URL(match[1]).port), logFile, stop };
    if (exitCode !== undefined || Date.now() - started > START_TIMEOUT_MS) {
      await stop();
      throw new Error(`the MongoDB stand-in ${exitCode !== undefined ? `exited (${exitCode})` : "timed out"} before printing its URI:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * The MongoDB URL of the test lane: MONGODB_URL when set (nothing is started, nothing skipped), else a
 * stand-in started here, else none (with the reason) when the stand-in's package is not installed.
 * @param {NodeJS.ProcessEnv} env
 * @returns {Promise<{ url: string | undefined, description: string, stop: () => Promise<void> }>}
 */
export async function mongoLaneUrl(env) {
  const none = async () => undefined;
  if ((env.MONGODB_URL ?? "") !== "") return { url: env.MONGODB_URL, description: "MONGODB_URL as given", stop: none };
  if (jongodbBinary() === undefined) {
    return { url: undefined, description: `no MONGODB_URL and ${PACKAGE} is not installed: the MongoDB tests are skipped`, stop: none };
  }
  const standIn = await startJongodb();
  return { url: standIn.url, description: `the MongoDB stand-in (jongodb) at ${standIn.url}, started for this run`, stop: standIn.stop };
}
