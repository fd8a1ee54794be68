/**
 * Where a REST call's cost goes: each layer of `GET /api/v1/auth_info` served on its own (see
 * bench/servers/rest-layer-server.ts), loaded like the main bench's REST phase (autocannon, 32
 * connections), reporting the server's CPU per request and what each layer adds to the one below. The
 * layers are measured in interleaved rounds, each in a fresh server process with `npm start`'s Node flags;
 * figures are medians. Server CPU per request is steadier than throughput on a small machine, where the
 * load generator takes a core of its own.
 *
 * Usage: npm run bench:layers [-- --rounds N (2) --seconds S (5) --only layer,layer...]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_KEY_FILE } from "../src/server/bootstrap.js";
import { ensureBuiltServer } from "./lib/build.js";
import { runHttpTarget, type HttpRound } from "./lib/http-run.js";
import { ROOT, startNodeProcess } from "./lib/processes.js";
import { LAYER_ADDS, LAYERS, type Layer } from "./lib/rest-layer-names.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";
import { median } from "./lib/stats.js";

const CONNECTIONS = 32;
const WARMUP_MS = 1_000;

/** The layers to measure: all, or those `--only` names, in bottom-first order. */
function chosenLayers(): Layer[] {
  const at = process.argv.indexOf("--only");
  if (at === -1) return [...LAYERS];
  const names = (process.argv[at + 1] ?? "").split(",");
  const unknown = names.filter((name) => !LAYERS.includes(name as Layer));
  if (unknown.length > 0) throw new Error(`--only takes layers among ${LAYERS.join(", ")}; unknown: ${unknown.join(", ")}`);
  return LAYERS.filter((layer) => names.includes(layer));
}

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at === -1) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a whole number of at least 1`);
  return value;
}

async function measure(layer: Layer, dataDir: string, built: boolean, seconds: number): Promise<HttpRound> {
  const server = await startNodeProcess(
    join(ROOT, "bench/servers/rest-layer-server.ts"),
    [layer, dataDir, built ? "dist" : "src"],
    (line) => (typeof line.http === "string" ? line.http : undefined),
    { nodeArgs: startScriptNodeFlags(), timeoutMs: 60_000 },
  );
  try {
    const key = readFileSync(join(dataDir, ADMIN_KEY_FILE), "utf8").trim();
    return await runHttpTarget(
      { id: layer, url: `${server.announcement}/api/v1/auth_info`, method: "GET", headers: { authorization: `Bearer ${key}` }, pids: [server.pid] },
      { connections: CONNECTIONS, warmupMs: WARMUP_MS, durationMs: seconds * 1000 },
    );
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const rounds = option("--rounds", 2);
  const seconds = option("--seconds", 5);
  const build = ensureBuiltServer();
  const work = mkdtempSync(join(tmpdir(), "keyward-rest-layers-"));
  const layers = chosenLayers();
  const results = new Map<Layer, HttpRound[]>(layers.map((layer) => [layer, []]));
  try {
    for (let round = 1; round <= rounds; round++) {
      for (const layer of layers) {
        process.stderr.write(`round ${round}/${rounds}: ${layer}...\n`);
        // A data dir per layer, kept across rounds: the first start creates its admin and key.
        results.get(layer)!.push(await measure(layer, join(work, layer), build.built, seconds));
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const lines = [
    `REST layers, ${rounds} round(s) x ${seconds} s, autocannon ${CONNECTIONS} connections; Keyward from ${build.note}; node flags: ${startScriptNodeFlags().join(" ")}`,
    "",
    "| layer | adds | requests/s | server CPU per request | added | errors |",
    "| --- | --- | --- | --- | --- | --- |",
  ];
  let below: number | undefined;
  for (const layer of layers) {
    const measured = results.get(layer)!;
    const cpuPerRequestUs = median(measured.map((r) => (r.serverCpu / r.rps) * 1e6));
    const added = below === undefined ? "" : `${cpuPerRequestUs - below >= 0 ? "+" : ""}${(cpuPerRequestUs - below).toFixed(0)} µs`;
    const errors = measured.reduce((sum, r) => sum + r.errors, 0);
    lines.push(
      `| ${layer} | ${LAYER_ADDS[layer]} | ${Math.round(median(measured.map((r) => r.rps))).toLocaleString("en-US")} | ${cpuPerRequestUs.toFixed(0)} µs | ${added} | ${errors} |`,
    );
    below = cpuPerRequestUs;
  }
  process.stdout.write(`${lines.join("\n")}\n`);
  if ([...results.values()].some((measured) => measured.some((r) => r.errors > 0))) process.exitCode = 1;
}

await main();
