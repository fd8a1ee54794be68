/**
 * `--workers N` (ARCHITECTURE.md, "Caches and the revocation feed"): a node:cluster primary that bootstraps once, forks N workers serving both
 * listeners, replaces a worker that dies, and on SIGTERM or SIGINT (see stop-request.ts) drains them all
 * and exits 0.
 *
 * Both listeners are shared the node:cluster way: a worker's listen() asks the primary, which owns the
 * listening socket and hands accepted connections to the workers in turn (round-robin, Node's default
 * outside Windows). That covers the gRPC listener too: Keyward listens with a `net.Server` and hands its
 * connections to grpc-js, so it needs nothing special. Port 0 works: the primary picks the free port on the first listen and every
 * worker, including a replacement, gets the same one (each worker starts the gRPC listener first, then
 * HTTP, so the order of their listen() calls matches). A connection stays with the worker that accepted
 * it: an HTTP/2 client with one connection talks to one worker.
 */
import cluster, { type Worker } from "node:cluster";
import type { Logger } from "../logger.js";
import { openStore } from "../store/open-store.js";
import { ensureAdmin, warnIfDataDirShared } from "./bootstrap.js";
import type { Config } from "./config.js";
import { describeStopCause, launchedByNpm, untilStopRequested } from "./stop-request.js";

/** The message a worker sends the primary once both its listeners are up. */
export interface WorkerListening {
  readonly type: "keyward:listening";
  readonly http: string;
  readonly grpc: string;
}

/** Whether this process is a worker forked by {@link runPrimary}. */
export function isClusterWorker(): boolean {
  return cluster.isWorker;
}

/** Tells the primary that this worker is serving. */
export function announceWorkerListening(http: string, grpc: string): void {
  const message: WorkerListening = { type: "keyward:listening", http, grpc };
  process.send?.(message);
}

/** A worker that dies sooner than this after its start is replaced after {@link RESTART_BACKOFF_MS}. */
const MIN_HEALTHY_LIFETIME_MS = 5_000;
const RESTART_BACKOFF_MS = 1_000;
/** How long after the drain timeout the primary waits before killing a worker that will not exit. */
const EXIT_GRACE_MS = 5_000;

/**
 * Runs the primary until SIGTERM or SIGINT (or npm, which started it, is gone) and resolves with the exit code: 0 when every worker drained
 * and exited 0; 1 when the first workers could not start or a worker had to be killed.
 */
export async function runPrimary(config: Config, logger: Logger): Promise<number> {
  // Bootstrap once, here, so N workers do not race to create the first admin.
  const store = await openStore({ store: config.store, dataDir: config.dataDir }, logger);
  try {
    warnIfDataDirShared(config.dataDir, logger);
    await ensureAdmin(store, config.dataDir, config.maxKeysPerUser, logger);
  } finally {
    await store.close();
  }

  const started = new Map<Worker, number>();
  let stopping = false;
  let address: WorkerListening | undefined;

  const fork = (): Worker => {
    const worker = cluster.fork();
    started.set(worker, Date.now());
    return worker;
  };

  // The first N workers must all come up, or the primary gives up (a port in use, a store down).
  const firstListening = new Promise<void>((resolve, reject) => {
    let listening = 0;
    const onMessage = (worker: Worker, message: unknown) => {
      if (!isListening(message)) return;
      address ??= message;
      if (address.http !== message.http || address.grpc !== message.grpc) {
        logger.warn("worker listening on other addresses than the first", { pid: worker.process.pid, http: message.http, grpc: message.grpc });
      }
      if (++listening === config.workers) {
        cluster.off("message", onMessage);
        cluster.off("exit", onEarlyExit);
        resolve();
      }
    };
    const onEarlyExit = (worker: Worker, code: number | null, signal: string | null) => {
      cluster.off("message", onMessage);
      cluster.off("exit", onEarlyExit);
      reject(new Error(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before listening`));
    };
    cluster.on("message", onMessage);
    cluster.on("exit", onEarlyExit);
  });
  for (let i = 0; i < config.workers; i++) fork();
  try {
    await firstListening;
  } catch (error) {
    logger.error("could not start", { error: (error as Error).message, pids: [...started.keys()].map((worker) => worker.process.pid) });
    await stopAll(logger, config.shutdownTimeoutMs + EXIT_GRACE_MS);
    return 1;
  }

  logger.info("keyward listening", {
    pid: process.pid,
    http: address!.http,
    grpc: address!.grpc,
    workers: config.workers,
    pids: [...started.keys()].map((worker) => worker.process.pid),
    tls: config.tls !== undefined,
  });

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker) ?? 0);
    started.delete(worker);
    if (stopping) return;
    // Exit code 0: the worker drained on a SIGTERM. A SIGTERM sent to the whole process group (a service
    // manager's stop) reaches the workers as it reaches this process, and a worker may finish its drain
    // before this process has handled its own copy; the wait lets `stopping` be set before a replacement.
    const delay = lived < MIN_HEALTHY_LIFETIME_MS || code === 0 ? RESTART_BACKOFF_MS : 0;
    logger.warn("worker died; starting a replacement", { pid: worker.process.pid, code, signal, delayMs: delay });
    setTimeout(() => {
      if (stopping) return;
      const replacement = fork();
      replacement.once("message", (message: unknown) => {
        if (isListening(message)) logger.info("replacement worker listening", { pid: replacement.process.pid, replaced: worker.process.pid });
      });
    }, delay);
  });

  const cause = await untilStopRequested(logger, { signals: ["SIGTERM", "SIGINT"], watchLauncher: launchedByNpm() });
  stopping = true;
  logger.info("shutting down: draining every worker", { ...describeStopCause(cause), workers: started.size });
  const clean = await stopAll(logger, config.shutdownTimeoutMs + EXIT_GRACE_MS);
  logger.info("stopped");
  return clean ? 0 : 1;
}

/**
 * Sends SIGTERM to every worker (each drains like a single process does) and waits for them to exit,
 * killing any still running after `timeoutMs`. True when all exited 0 by themselves.
 */
async function stopAll(logger: Logger, timeoutMs: number): Promise<boolean> {
  const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
  const exits = workers.map(
    (worker) =>
      new Promise<boolean>((resolve) => {
        if (worker.isDead()) return resolve(worker.process.exitCode === 0);
        worker.process.once("exit", (code) => resolve(code === 0));
        worker.process.kill("SIGTERM");
      }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      for (const worker of workers) {
        if (!worker.isDead()) {
          logger.error("worker did not exit after draining; killing it", { pid: worker.process.pid });
          worker.process.kill("SIGKILL");
        }
      }
      resolve(false);
    }, timeoutMs);
  });
  const clean = await Promise.race([Promise.all(exits).then((codes) => codes.every(Boolean)), timedOut]);
  clearTimeout(timer);
  return clean;
}

function isListening(message: unknown): message is WorkerListening {
  return typeof message === "object" && message !== null && (message as { type?: unknown }).type === "keyward:listening";
}
