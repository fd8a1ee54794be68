/**
 * The gRPC listener: a grpc-js server (ARCHITECTURE.md, "The doors": why grpc-js)
 * serving the bound services through the shared invoker, plus health and reflection, over HTTP/2
 * cleartext or TLS.
 *
 * Keyward owns the listening socket and hands each accepted connection to grpc-js (its connection
 * injector), so it can close a connection over the per-client cap before grpc-js sets up an HTTP/2
 * session for it, as the HTTP listener does.
 */
import { createServer, type Server as NetServer } from "node:net";
import { format } from "node:util";
import { Server, ServerCredentials, setLogger } from "@grpc/grpc-js";
import type { Logger } from "../logger.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "../request-limits.js";
import { addGrpcHealth } from "./grpc-health.js";
import { addGrpcReflection } from "./grpc-reflection.js";
import { createGrpcService } from "./grpc-service-definition.js";
import { ClientConnectionLimit, type ClientConnectionLimitOptions } from "../net/client-connection-limit.js";
import type { Invoker, ServiceBinding } from "./invoke.js";
import { formatListenAddress, parseListenAddress } from "./listen-address.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_STREAMS, type ListenerOptions } from "./listener-defaults.js";
import type { TlsKeyPair } from "./tls-key-pair.js";

/** What the gRPC listener serves and where. */
export interface GrpcServerOptions extends ListenerOptions {
  /** The services to serve; the same list the invoker was built from. */
  readonly bindings: readonly ServiceBinding[];
  readonly invoker: Invoker;
  readonly logger: Logger;
  /** Largest request message, in bytes (default {@link DEFAULT_MAX_REQUEST_BYTES}). */
  readonly maxRequestBytes?: number | undefined;
  /** Most concurrent streams per HTTP/2 connection (default {@link DEFAULT_MAX_CONCURRENT_STREAMS}). */
  readonly maxConcurrentStreams?: number | undefined;
  /** Deadline of calls that come without one; none when undefined. */
  readonly defaultDeadlineMs?: number | undefined;
  /** The cap on one client's open connections (a connection over it is closed on accept); default: none. */
  readonly perClient?: ClientConnectionLimitOptions | undefined;
}

/** A running gRPC listener. */
export interface GrpcListener {
  /** The bound `host:port`, with the real port when 0 was asked for. */
  readonly address: string;
  readonly port: number;
  /** Health status of "" and every service. */
  setServing(serving: boolean): void;
  /**
   * Reports NOT_SERVING, stops accepting calls and waits for in-flight ones; after the drain timeout,
   * cuts what is left (e.g. open health Watch streams). Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Starts the gRPC listener; resolves once it is bound. */
export async function startGrpcServer(options: GrpcServerOptions): Promise<GrpcListener> {
  const { bindings, invoker, logger } = options;
  // grpc-js writes its own bare lines to stderr. A server's errors also reach Keyward (a failed listen
  // rejects below), which reports them in its own words, so grpc-js's lines go to Keyward's log, at
  // debug. (grpc-js has one logger per process.)
  const toDebug = (...args: unknown[]) => logger.debug("grpc-js", { message: format(...args) });
  setLogger({ error: toDebug, info: toDebug, debug: toDebug });
  const { host, port: requestedPort } = parseListenAddress(options.address);
  const server = new Server({
    "grpc.max_receive_message_length": options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    // Each open stream holds memory until its client ends it (docs/performance.md has a count), and
    // node:http2 sets no limit of its own: the cap goes to clients in SETTINGS_MAX_CONCURRENT_STREAMS.
    "grpc.max_concurrent_streams": options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    // Channelz keeps per-call counters and traces (visible in profiles of every call) for a channelz
    // service that Keyward does not serve, so nothing could ever read them.
    "grpc.enable_channelz": 0,
  });
  for (const { service } of bindings) {
    const { definition, implementation } = createGrpcService(service, invoker, logger, options.tls !== undefined, options.defaultDeadlineMs);
    server.addService(definition, implementation);
  }
  const services = bindings.map((binding) => binding.service);
  const health = addGrpcHealth(server, services.map((service) => service.typeName));
  addGrpcReflection(server, services);

  const injector = server.createConnectionInjector(credentials(options.tls));
  const limit =
    options.perClient === undefined ? undefined : new ClientConnectionLimit(options.perClient);
  const listener = createServer((socket) => {
    if (limit?.admit(socket) !== false) injector.injectConnection(socket);
  });
  let port: number;
  try {
    port = await listen(listener, host, requestedPort);
  } catch (error) {
    server.forceShutdown(); // nothing is listening; release what the server set up
    throw error;
  }
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let stopped: Promise<void> | undefined;
  return {
    address: formatListenAddress({ host, port }),
    port,
    setServing: health.setServing,
    shutdown() {
      health.setServing(false);
      // The listener first, so the kernel refuses new connections; its close callback would wait for
      // every connection, which the drain below ends.
      listener.close();
      stopped ??= drain(server, drainTimeoutMs);
      return stopped;
    },
  };
}

function credentials(tls: TlsKeyPair | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false);
}

function listen(listener: NetServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(port, host, () => {
      listener.off("error", reject);
      resolve((listener.address() as { port: number }).port);
    });
  });
}

/** `tryShutdown` finishes in-flight calls; `forceShutdown` bounds how long that may take. */
function drain(server: Server, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, timeoutMs);
    server.tryShutdown(() => {
      clearTimeout(deadline);
      resolve();
    });
  });
}
