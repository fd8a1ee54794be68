/**
 * The Node request handler of the HTTP listener: connect-node serves Connect and gRPC-Web at the RPC
 * paths, running the shared interceptors and implementations; every other request goes to the fallback
 * (the REST gateway, once it exists). gRPC itself is served by grpc-js (DESIGN §8).
 */
import { Code, ConnectError, createContextValues, type Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter, type ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import type { IncomingMessage, ServerResponse } from "node:http";
import { kClientAddress, normalizeAddress } from "../client-address.js";
import type { Logger } from "../logger.js";
import type { ServiceBinding } from "./invoke.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "./listener-defaults.js";
import { connectErrorToStatusJson } from "./status.js";

/** A Node HTTP/1.1 request handler. */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** What the Connect handler serves. */
export interface ConnectHandlerOptions {
  readonly bindings: readonly ServiceBinding[];
  /** The shared interceptor list, outermost first (error mapping first). */
  readonly interceptors: readonly Interceptor[];
  /** Requests that are not RPCs; default {@link notFoundHandler}. */
  readonly fallback?: HttpHandler | undefined;
  /** Largest request body, in bytes (default {@link DEFAULT_MAX_REQUEST_BYTES}). */
  readonly maxRequestBytes?: number | undefined;
  readonly logger: Logger;
}

/**
 * The handler. connect-node only ever `console.error`s transport failures while writing a response (Node
 * errors; never request headers or bodies), and answers handler errors itself from the ConnectError, whose
 * message and details the error mapping keeps safe.
 */
export function createConnectHandler(options: ConnectHandlerOptions): HttpHandler {
  const adapter = connectNodeAdapter({
    routes: (router) => options.bindings.forEach(({ service, impl }) => router.service(service, impl)),
    interceptors: [...options.interceptors],
    // The listener is HTTP/1.1 only, so connect-node hands the fallback node:http objects.
    fallback: (options.fallback ?? notFoundHandler) as ConnectNodeAdapterOptions["fallback"],
    readMaxBytes: options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES,
    connect: true,
    grpcWeb: true,
    grpc: false,
    contextValues: (request) => createContextValues().set(kClientAddress, normalizeAddress(request.socket.remoteAddress)),
  });
  return (request, response) => {
    try {
      adapter(request, response);
    } catch (error) {
      // connect-node throws synchronously when it cannot build the request URL (an HTTP/1.0 request
      // without Host); uncaught, that would crash the process from inside the server's event handler.
      options.logger.warn("unroutable http request", { method: request.method, error });
      writeStatusJson(response, 400, new ConnectError("request has no Host header", Code.InvalidArgument));
    }
  };
}

/** The default fallback: 404 with a `google.rpc.Status` body naming the method and path (query left out). */
export const notFoundHandler: HttpHandler = (request, response) => {
  const path = (request.url ?? "/").split("?", 1)[0];
  writeStatusJson(response, 404, new ConnectError(`no route for ${request.method} ${path}`, Code.NotFound));
};

function writeStatusJson(response: ServerResponse, httpStatus: number, error: ConnectError): void {
  const body = JSON.stringify(connectErrorToStatusJson(error));
  response.writeHead(httpStatus, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}
