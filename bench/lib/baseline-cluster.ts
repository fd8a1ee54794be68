/**
 * The bare baselines' `--processes N`: the same node:cluster sharing Keyward's `--workers N` uses (the
 * primary owns the listening socket and hands connections round-robin to N forked processes), so the
 * scaling of the machine itself can be measured beside Keyward's. The primary prints the announcement
 * once every worker listens; workers announce to it over IPC.
 */
import cluster from "node:cluster";

/** How many processes argv asks for (`--processes N`); 1 without the flag. */
export function processesFromArgv(argv: readonly string[]): number {
  const at = argv.indexOf("--processes");
  if (at < 0) return 1;
  const n = Number(argv[at + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--processes must be a positive integer, not ${argv[at + 1]}`);
  return n;
}

/**
 * Runs `serve` in this process (one process), or as the primary forks `processes` workers that each run
 * `serve`. `serve` calls back with its announcement once listening; the primary prints the first one when
 * all workers have. Returns true in the primary of a cluster (which must not serve itself).
 */
export function serveClustered(processes: number, serve: (listening: (announcement: object) => void) => void): boolean {
  const print = (announcement: object) => process.stdout.write(`${JSON.stringify(announcement)}\n`);
  if (processes === 1) {
    serve(print);
    return false;
  }
  if (cluster.isWorker) {
    serve((announcement) => process.send?.(announcement));
    return false;
  }
  let listening = 0;
  cluster.on("message", (_worker, announcement: object) => {
    if (++listening === processes) print(announcement);
  });
  for (let i = 0; i < processes; i++) cluster.fork();
  process.once("SIGTERM", () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.kill("SIGTERM");
    process.exit(0);
  });
  return true;
}
