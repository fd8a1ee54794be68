/**
 * Server lifecycle: build, bootstrap the first admin, start both listeners, and shut down gracefully
 * (health NOT_SERVING, stop accepting, drain in-flight calls, flush usage, close the store).
 */
import type { Logger } from "../logger.js";
import { describeStoreLocation } from "../store/open-store.js";
import { startGrpcServer } from "../transport/grpc-server.js";
import { ensureAdmin, warnIfDataDirShared } from "./bootstrap.js";
import { build } from "./build.js";
import { clientConnectionLimitOf, SETTINGS, type Config, type Setting } from "./config.js";
import { keywardHttpPort, startHttpPort } from "./http-port.js";

/** A running Keyward server. */
export interface RunningServer {
  /** Base URL of the HTTP listener (REST, Connect, gRPC-Web). */
  readonly httpUrl: string;
  /** `host:port` of the gRPC listener. */
  readonly grpcAddress: string;
  /** Graceful shutdown; idempotent. */
  shutdown(): Promise<void>;
}

/** How {@link startKeyward} runs: alone (the default), or as one of `--workers` under a primary. */
export interface StartOptions {
  /** Create the first admin if there is none; a cluster's primary does it once instead. */
  readonly bootstrap: boolean;
  /** The startup log line's message; the primary alone says "keyward listening" in a cluster. */
  readonly listeningMessage: string;
}

const STANDALONE: StartOptions = { bootstrap: true, listeningMessage: "keyward listening" };

export async function startKeyward(config: Config, logger: Logger, options: StartOptions = STANDALONE): Promise<RunningServer> {
  const keyward = await build(config, logger);
  const stops: Array<() => Promise<void>> = [];
  try {
    if (options.bootstrap) {
      warnIfDataDirShared(config.dataDir, logger);
      await ensureAdmin(keyward.store, config.dataDir, config.maxKeysPerUser, logger);
    }
    // Built before any listener starts, so a bad google.api.http rule fails startup at once.
    const httpPort = keywardHttpPort(keyward, config, logger);
    // gRPC listens before HTTP, always: under --workers the listen order pairs each worker's sockets
    // with the primary's (see cluster.ts).
    const grpc = await startGrpcServer({
      bindings: keyward.bindings,
      invoker: keyward.invoker,
      address: config.grpcAddr,
      tls: config.tls,
      logger,
      maxRequestBytes: config.bodyLimitBytes,
      drainTimeoutMs: config.shutdownTimeoutMs,
      defaultDeadlineMs: config.limits.defaultDeadlineMs,
      perClient: clientConnectionLimitOf(config),
      maxConcurrentStreams: config.limits.maxConcurrentStreams,
    }).catch((error: unknown) => Promise.reject(listenFailure(error, SETTINGS.grpcAddr, config.grpcAddr)));
    stops.push(() => grpc.shutdown());
    const http = await startHttpPort(httpPort, config).catch((error: unknown) => Promise.reject(listenFailure(error, SETTINGS.httpAddr, config.httpAddr)));
    stops.push(() => http.shutdown());
    // gRPC health follows readiness: NOT_SERVING while the store does not answer or the server drains.
    keyward.readiness.subscribe((ready) => grpc.setServing(ready));
    keyward.readiness.start();
    // Once serving: deliveries, expiry warnings and retention (ARCHITECTURE.md, "Events"); keyward.close()
    // stops them before the store closes.
    keyward.eventWorkers.start();
    logger.info(options.listeningMessage, {
      pid: process.pid,
      http: http.url,
      grpc: grpc.address,
      tls: config.tls !== undefined,
      store: describeStoreLocation({ store: config.store, dataDir: config.dataDir }),
    });
    let stopping: Promise<void> | undefined;
    return {
      httpUrl: http.url,
      grpcAddress: grpc.address,
      shutdown() {
        stopping ??= (async () => {
          // Load balancers see /readyz 503 and gRPC NOT_SERVING before the listeners stop accepting.
          keyward.readiness.drain();
          // Open event streams end cleanly now, so the listeners' drain does not wait for them.
          keyward.eventStreams.close();
          await Promise.all(stops.map((stop) => stop()));
          await keyward.close();
        })();
        return stopping;
      },
    };
  } catch (error) {
    await Promise.allSettled(stops.map((stop) => stop()));
    await keyward.close();
    throw error;
  }
}

/** Why a listener could not bind, in the operator's terms: the flag, the address and the likely cause. */
function listenFailure(error: unknown, setting: Setting, address: string): unknown {
  // grpc-js reports a failed bind only in its message ("… [listen EADDRINUSE: …]"); node:net sets `code`.
  const text = `${(error as NodeJS.ErrnoException).code ?? ""} ${(error as Error).message}`;
  const flag = `--${setting.flag} ${address} (${setting.env})`;
  if (text.includes("EADDRINUSE")) {
    return new Error(`${flag}: the address is already in use; another Keyward may be running there. Stop it, or choose another address with --${setting.flag}`, { cause: error });
  }
  if (text.includes("EACCES")) return new Error(`${flag}: permission denied (ports below 1024 need privileges); choose another port`, { cause: error });
  if (text.includes("EADDRNOTAVAIL")) return new Error(`${flag}: this machine has no such address; listen on one of its own, or 0.0.0.0`, { cause: error });
  return error;
}
