/**
 * `npm run bench:paired -- <checkout A> <checkout B>`: one HTTP call's server CPU in two builds of
 * Keyward, for a change's before and after. Each checkout's `dist/` (built beforehand) serves on free
 * loopback ports with `npm start`'s Node flags; the rounds alternate A and B, and each round gives B/A,
 * so a drift of the machine weighs on both alike. Prints every round and the median of B/A.
 *
 * With `--pin` (needs `taskset`), both servers run on the second processor and the load generator on the
 * first, which takes the scheduler's moves between processors out of the figures. Pinned figures are
 * lower than the bench's; compare them only with each other. The load generator is autocannon, in Node:
 * pinned to one processor it can become the bottleneck, so watch the spread of B/A it prints.
 *
 * Options: --path (GET, with the admin key; default /api/v1/auth/check), --rounds N (10), --seconds S (3),
 * --connections N (32), --pin.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ADMIN_KEY_FILE } from "../src/server/bootstrap.js";
import { runHttpTarget, stopHttpGenerator } from "./lib/http-run.js";
import { startNodeProcess } from "./lib/processes.js";
import { startScriptNodeFlags } from "./lib/start-flags.js";
import { median } from "./lib/stats.js";

const { values: flags, positionals: checkouts } = parseArgs({
  allowPositionals: true,
  options: {
    path: { type: "string", default: "/api/v1/auth/check" },
    rounds: { type: "string", default: "10" },
    seconds: { type: "string", default: "3" },
    connections: { type: "string", default: "32" },
    pin: { type: "boolean", default: false },
  },
});
const USAGE = "usage: npm run bench:paired -- <checkout A> <checkout B> [--path P] [--rounds N] [--seconds S] [--connections N] [--pin]";
function wholeNumber(name: "rounds" | "seconds" | "connections"): number {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} takes a whole number of at least 1\n${USAGE}`);
  return value;
}

if (checkouts.length !== 2) throw new Error(USAGE);
const clis = checkouts.map((dir) => join(resolve(dir), "dist/src/cli/main.js"));
for (const cli of clis) if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build in that checkout first`);
const { path, pin } = flags;
const rounds = wholeNumber("rounds");
const seconds = wholeNumber("seconds");
const connections = wholeNumber("connections");

/** Moves every thread of `pid` to processor `cpu`; threads it starts later inherit it. */
const pinTo = (pid: number, cpu: number) => execFileSync("taskset", ["-a", "-p", "-c", String(cpu), String(pid)], { stdio: "ignore" });

const work = mkdtempSync(join(tmpdir(), "keyward-bench-paired-"));
const servers = [] as Awaited<ReturnType<typeof startServer>>[];
async function startServer(cli: string, name: string) {
  const dataDir = join(work, name);
  const server = await startNodeProcess(
    cli,
    ["serve", "--http-addr", "127.0.0.1:0", "--grpc-addr", "127.0.0.1:0", "--data-dir", dataDir],
    (line) => (line.msg === "keyward listening" && typeof line.http === "string" ? line.http : undefined),
    { nodeArgs: startScriptNodeFlags(), timeoutMs: 60_000, tsx: false },
  );
  if (pin) pinTo(server.pid, 1);
  const key = readFileSync(join(dataDir, ADMIN_KEY_FILE), "utf8").trim();
  const target = { id: name, url: `${server.announcement}${path}`, method: "GET" as const, headers: { authorization: `Bearer ${key}` }, expectBody: "", pids: [server.pid] };
  return { server, target };
}

try {
  // Before the load generator starts, so its process inherits the first processor.
  if (pin) pinTo(process.pid, 0);
  servers.push(await startServer(clis[0]!, "a"), await startServer(clis[1]!, "b"));
  const perCall = async (i: number, ms: number) => {
    const round = await runHttpTarget(servers[i]!.target, { connections, warmupMs: 0, durationMs: ms });
    if (round.errors > 0) throw new Error(`${servers[i]!.target.id}: ${round.errors} errors`);
    return (round.serverCpu / round.rps) * 1e6;
  };
  for (let i = 0; i < 2; i++) await perCall(i, 2_000); // warm-up
  console.log(`GET ${path}, ${connections} connections, ${rounds} rounds of ${seconds} s${pin ? ", pinned" : ""}; server CPU µs per call`);
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0 ? [1, 0] : [0, 1];
    const us = [0, 0];
    for (const i of order) us[i] = await perCall(i, seconds * 1000);
    ratios.push(us[1]! / us[0]!);
    console.log(`  round ${String(round).padStart(2)}: A ${us[0]!.toFixed(1)}  B ${us[1]!.toFixed(1)}  B/A ${ratios.at(-1)!.toFixed(3)}`);
  }
  const sorted = [...ratios].sort((x, y) => x - y);
  console.log(`B/A: median ${median(ratios).toFixed(3)} (min ${sorted[0]!.toFixed(3)}, max ${sorted.at(-1)!.toFixed(3)})`);
} finally {
  await Promise.allSettled(servers.map(({ server }) => server.stop()));
  await stopHttpGenerator();
  rmSync(work, { recursive: true, force: true });
}
