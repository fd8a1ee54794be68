/**
 * Server lifecycle: build, bootstrap the first admin, start both listeners, and shut down gracefully
 * (health NOT_SERVING, stop accepting, drain in-flight calls, flush usage, close the store).
 */
import { createGateway } from "../gateway/gateway.js";
import type { Logger } from "../logger.js";
import { describeStoreLocation } from "../store/open-store.js";
import { startConnectServer } from "../transport/connect-server.js";
import { startGrpcServer } from "../transport/grpc-server.js";
import { createOpsHandler } from "../transport/ops-endpoints.js";
import { ensureAdmin } from "./bootstrap.js";
import { build } from "./build.js";
import type { Config } from "./config.js";

/** A running Keyward server. */
export interface RunningServer {
  /** Base URL of the HTTP listener (REST, Connect, gRPC-Web). */
  readonly httpUrl: string;
  /** `host:port` of the gRPC listener. */
  readonly grpcAddress: string;
  /** Graceful shutdown; idempotent. */
  shutdown(): Promise<void>;
}

export async function startKeyward(config: Config, logger: Logger): Promise<RunningServer> {
  const keyward = await build(config, logger);
  const stops: Array<() => Promise<void>> = [];
  try {
    await ensureAdmin(keyward.store, config.dataDir, config.maxKeysPerUser, logger);
    const common = {
      bindings: keyward.bindings,
      tls: config.tls,
      logger,
      maxRequestBytes: config.bodyLimitBytes,
      drainTimeoutMs: config.shutdownTimeoutMs,
    };
    // REST, /openapi.json and /docs: everything on the HTTP port that is not a Connect or gRPC-Web call.
    // Built before any listener starts, so a bad google.api.http rule fails startup at once.
    const gateway = createGateway({ invoker: keyward.invoker, maxBodyBytes: config.bodyLimitBytes, logger });
    const grpc = await startGrpcServer({ ...common, invoker: keyward.invoker, address: config.grpcAddr });
    stops.push(() => grpc.shutdown());
    // /healthz, /readyz and /metrics first, then REST: none of its routes lives at those paths.
    const ops = createOpsHandler(
      { readiness: () => keyward.readiness.state, metrics: () => keyward.metrics.render() },
      gateway.handler,
    );
    const http = await startConnectServer({
      ...common,
      interceptors: keyward.interceptors,
      address: config.httpAddr,
      fallback: ops,
    });
    stops.push(() => http.shutdown());
    // gRPC health follows readiness: NOT_SERVING while the store does not answer or the server drains.
    keyward.readiness.subscribe((ready) => grpc.setServing(ready));
    keyward.readiness.start();
    logger.info("keyward listening", {
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
