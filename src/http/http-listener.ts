/**
 * The HTTP listener: HTTP/1.1 cleartext or TLS (Connect and gRPC-Web both work over HTTP/1.1), serving
 * the handler it is given: Keyward's is the HTTP port's route table (server/http-port.ts).
 */
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { ClientConnectionLimit, type ClientConnectionLimitOptions } from "../net/client-connection-limit.js";
import { trackHttpDrain } from "./http-drain.js";
import type { HttpHandler } from "./http-routes.js";
import { formatListenAddress, parseListenAddress } from "../transport/listen-address.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, type ListenerOptions } from "../transport/listener-defaults.js";

/** What the HTTP listener serves and where. */
export interface HttpListenerOptions extends ListenerOptions {
  /** Answers every request. */
  readonly handler: HttpHandler;
  /** Most open connections (`server.maxConnections`); a connection over it is closed on accept. Default: no limit. */
  readonly maxConnections?: number | undefined;
  /** The cap on one client's open connections (a connection over it is closed on accept); default: none. */
  readonly perClient?: ClientConnectionLimitOptions | undefined;
  /** `server.headersTimeout` (Node's default 60 s): a client slower to send its headers gets 408. */
  readonly headersTimeoutMs?: number | undefined;
  /** `server.requestTimeout` (Node's default 300 s): a client slower to send its whole request gets 408. */
  readonly requestTimeoutMs?: number | undefined;
  /** `server.keepAliveTimeout` (Node's default 5 s): how long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs?: number | undefined;
}

/**
 * Node checks the headers and request timeouts only every `connectionsCheckingInterval` (30 s by
 * default), so a 10 s headers timeout could take 40 s; checking once a second bounds the overshoot.
 */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

/** A running HTTP listener. */
export interface HttpListener {
  /** The bound `host:port`, with the real port when 0 was asked for. */
  readonly address: string;
  readonly port: number;
  /** `http://host:port` or `https://host:port`, what clients use as their base URL. */
  readonly url: string;
  /**
   * Stops accepting connections, lets in-flight requests finish (idle keep-alive connections are closed
   * at once, busy ones once their response is sent), and cuts what is left after the drain timeout.
   * Idempotent.
   */
  shutdown(): Promise<void>;
}

/** Starts the HTTP listener; resolves once it is listening. */
export async function startHttpListener(options: HttpListenerOptions): Promise<HttpListener> {
  const { host, port: requestedPort } = parseListenAddress(options.address);
  const timeouts: http.ServerOptions = {
    ...(options.headersTimeoutMs !== undefined ? { headersTimeout: options.headersTimeoutMs } : {}),
    ...(options.requestTimeoutMs !== undefined ? { requestTimeout: options.requestTimeoutMs } : {}),
    connectionsCheckingInterval: Math.min(TIMEOUT_CHECK_INTERVAL_MS, options.headersTimeoutMs ?? TIMEOUT_CHECK_INTERVAL_MS),
  };
  const server = options.tls === undefined ? http.createServer(timeouts) : https.createServer({ ...timeouts, cert: options.tls.cert, key: options.tls.key });
  if (options.keepAliveTimeoutMs !== undefined) server.keepAliveTimeout = options.keepAliveTimeoutMs;
  if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
  if (options.perClient !== undefined) new ClientConnectionLimit(options.perClient).watch(server);
  // Tracking first, so it sees each request before the handler can answer it.
  const drain = trackHttpDrain(server, options.tls !== undefined);
  server.on("request", options.handler);
  await listen(server, host, requestedPort);
  const port = (server.address() as AddressInfo).port;
  const address = formatListenAddress({ host, port });
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  return {
    address,
    port,
    url: `${options.tls === undefined ? "http" : "https"}://${address}`,
    shutdown: () => drain.drain(drainTimeoutMs),
  };
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
