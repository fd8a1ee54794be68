import { createLogger } from "../logger.js";
import { loadConfig } from "../server/config.js";
import { announceWorkerListening, isClusterWorker, runPrimary } from "../server/cluster.js";
import { startKeyward } from "../server/serve.js";
import { describeStopCause, launchedByNpm, untilStopRequested } from "../server/stop-request.js";

/**
 * `keyward serve`: every config problem at once and exit 2, else run until SIGTERM/SIGINT (or until npm,
 * which started it, is gone), drain, then exit 0. With `--workers` above 1 this process becomes the
 * cluster's primary, and each worker runs this again: a worker stops on the primary's SIGTERM only, since
 * a terminal's SIGINT reaches the primary too, and the primary decides.
 */
export async function runServe(flags: Record<string, string | undefined>): Promise<void> {
  const loaded = loadConfig(flags, process.env);
  if (!loaded.ok) {
    process.stderr.write(`keyward serve: invalid configuration:\n${loaded.problems.map((p) => `  - ${p}\n`).join("")}`);
    process.exitCode = 2;
    return;
  }
  const logger = createLogger(loaded.config.logLevel);
  const worker = isClusterWorker();
  if (loaded.config.workers > 1 && !worker) {
    let code;
    try {
      code = await runPrimary(loaded.config, logger);
    } catch (error) {
      logger.error("could not start", { error: (error as Error).message });
      code = 1;
    }
    exitNow(code);
    return;
  }
  // Listen for the stop before starting: the startup line can reach a supervisor (or a test) that answers
  // it with SIGTERM before startKeyward has returned, and a signal without a handler kills.
  const stopRequested = untilStopRequested(
    logger,
    worker ? { signals: ["SIGTERM"], watchLauncher: false } : { signals: ["SIGTERM", "SIGINT"], watchLauncher: launchedByNpm() },
  );
  let server;
  try {
    server = await startKeyward(
      loaded.config,
      logger,
      worker ? { bootstrap: false, listeningMessage: "worker listening" } : { bootstrap: true, listeningMessage: "keyward listening" },
    );
  } catch (error) {
    logger.error("could not start", { error: (error as Error).message });
    process.exitCode = 1;
    // A worker: its IPC channel would keep it alive, and node:cluster exits 0 when it is disconnected.
    if (worker) process.exit(1);
    return;
  }
  if (worker) announceWorkerListening(server.httpUrl, server.grpcAddress);
  const cause = await stopRequested;
  logger.info("shutting down: draining in-flight calls", describeStopCause(cause));
  await server.shutdown();
  logger.info("stopped");
  exitNow(0);
}

/**
 * Exits as soon as the log is written. Letting the event loop run dry would also exit, but Node's
 * teardown then closes the signal handlers before the process is gone, and a signal landing in that gap
 * (npm's forwarded copy of a Ctrl-C) would kill the process with the signal's default action instead of
 * exit code 0. Exiting explicitly also frees a worker from its IPC channel to the primary.
 */
function exitNow(code: number): void {
  // Where stdout is asynchronous (pipes on macOS), the callback runs once the last line is out.
  process.stdout.write("", () => process.exit(code));
}
