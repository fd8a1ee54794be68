import { createLogger } from "../logger.js";
import { loadConfig } from "../server/config.js";
import { announceWorkerListening, isClusterWorker, runPrimary } from "../server/cluster.js";
import { startKeyward } from "../server/serve.js";

/**
 * `keyward serve`: every config problem at once and exit 2, else run until SIGTERM/SIGINT, then exit 0.
 * With `--workers` above 1 this process becomes the cluster's primary, and each worker runs this again.
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
    try {
      process.exitCode = await runPrimary(loaded.config, logger);
    } catch (error) {
      logger.error("could not start", { error: (error as Error).message });
      process.exitCode = 1;
    }
    return;
  }
  // Listen for the signals before starting: the startup line can reach a supervisor (or a test) that
  // answers it with SIGTERM before startKeyward has returned, and a signal without a handler kills.
  let requested: NodeJS.Signals | undefined;
  let stop = (signal: NodeJS.Signals) => void (requested ??= signal);
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
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
  const running = server;
  await new Promise<void>((resolve) => {
    stop = (signal: NodeJS.Signals) => {
      logger.info("shutting down: draining in-flight calls", { signal });
      void running.shutdown().then(() => {
        logger.info("stopped");
        // A worker's IPC channel to the primary would keep it alive.
        process.disconnect?.();
        resolve();
      });
    };
    if (requested !== undefined) stop(requested);
  });
}
