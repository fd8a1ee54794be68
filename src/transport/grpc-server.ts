/**
 * The gRPC listener: a grpc-js server (DESIGN §8: several times the throughput of connect-node's gRPC)
 * serving the bound services through the shared invoker, plus health and reflection, over HTTP/2
 * cleartext or TLS.
 */
import { format } from "node:util";
import { Server, ServerCredentials, setLogger } from "@grpc/grpc-js";
import type { Logger } from "../logger.js";
import { addGrpcHealth } from "./grpc-health.js";
import { addGrpcReflection } from "./grpc-reflection.js";
import { createGrpcService } from "./grpc-service-definition.js";
import type { Invoker, ServiceBinding } from "./invoke.js";
import { formatListenAddress, parseListenAddress } from "./listen-address.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_STREAMS, DEFAULT_MAX_REQUEST_BYTES, type ListenerOptions } from "./listener-defaults.js";
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
  // grpc-js writes its own bare lines to stderr ("E No address added out of total 1 resolved"). A server's
  // errors also reach Keyward (a failed bind rejects below), which reports them in its own words, so
  // grpc-js's lines go to Keyward's log, at debug. (grpc-js has one logger per process.)
  const toDebug = (...args: unknown[]) => logger.debug("grpc-js", { message: format(...args) });
  setLogger({ error: toDebug, info: toDebug, debug: toDebug });
  const { host } = parseListenAddress(options.address);
  const server = new Server({
    "grpc.max_receive_message_length": options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    // Each open stream holds memory until its client ends it (5,000 idle streams held about 28 MB), and
    // node:http2 sets no limit of its own: the cap goes to clients in SETTINGS_MAX_CONCURRENT_STREAMS.
    "grpc.max_concurrent_streams": options.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS,
    // Channelz keeps per-call counters and traces (a few percent of a call in profiles) for a channelz
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

  const port = await bind(server, options.address, credentials(options.tls));
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  let stopped: Promise<void> | undefined;
  return {
    address: formatListenAddress({ host, port }),
    port,
    setServing: health.setServing,
    shutdown() {
      health.setServing(false);
      stopped ??= drain(server, drainTimeoutMs);
      return stopped;
    },
  };
}

function credentials(tls: TlsKeyPair | undefined): ServerCredentials {
  if (tls === undefined) return ServerCredentials.createInsecure();
  return ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }], false);
}

function bind(server: Server, address: string, creds: ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, creds, (error, port) => {
      if (!error) return resolve(port);
      server.forceShutdown(); // nothing is listening; release what the server set up
      reject(error);
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
