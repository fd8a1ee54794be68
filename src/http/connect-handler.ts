/**
 * The HTTP port's route for unary Connect (JSON and binary) and gRPC-Web (binary, text and JSON) calls
 * at the RPC paths (`POST /keyward.v1.UserRegistry/GetUser`), through the shared invoker; every other
 * path is another route's in the port's table (server/http-port.ts). gRPC itself is served by grpc-js
 * (ARCHITECTURE.md, "The doors").
 *
 * Why Keyward serves these two protocols itself rather than through connect-node's router: connect-node
 * decodes the request body before any interceptor or hook runs, leniently (unknown JSON fields and enum
 * names dropped, unknown binary fields kept, any enum number and timestamp taken) and without bounds on
 * the work a body causes, so neither strictness nor bounded work could be had on these doors without
 * decoding every body twice. Served here, a call reads its body within the body limit, is decoded by the
 * one strict decoder every door uses (request-decoding.ts), and runs through the invoker: the same
 * interceptor chain and authorization as REST and gRPC, with no per-call machinery of connect-node's in
 * between. Keyward's API is unary only, which is all this serves; the wire formats of errors and trailers
 * come from @connectrpc/connect (unary-http-protocols.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { DescMethodUnary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { toConnectError } from "../errors/error-mapping.js";
import type { Logger } from "../logger.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "../request-limits.js";
import { lingerOnUnreadBody, readBody } from "./http-body.js";
import { CallSignal } from "./http-call-signal.js";
import type { Invoker } from "../transport/invoke.js";
import { httpPeer } from "../net/peers.js";
import { decodeRequest } from "../transport/decoding/request-decoding.js";
import { headersOf } from "./request-headers.js";
import { writeStatusJson, type HttpRoute } from "./http-routes.js";
import { protocolOf, type UnaryHttpProtocol } from "../transport/unary-http-protocols.js";
import { connectStreamFormat, serveConnectStream, streamingUnsupported } from "./connect-stream.js";

/** What the Connect route serves. */
export interface ConnectRouteOptions {
  /** The shared invoker: its methods are the RPC paths this route claims. */
  readonly invoker: Invoker;
  /** Largest request body, in bytes (default {@link DEFAULT_MAX_REQUEST_BYTES}). */
  readonly maxRequestBytes?: number | undefined;
  /** Deadline of Connect and gRPC-Web calls that come without a timeout header; none when undefined. */
  readonly defaultDeadlineMs?: number | undefined;
  readonly logger: Logger;
}

/**
 * The route: it claims the RPC paths (`/keyward.v1.UserRegistry/GetUser`) and nothing else. Nothing a
 * client sends reaches a stack trace: unexpected failures are logged and answered INTERNAL.
 */
export function createConnectRoute(options: ConnectRouteOptions): HttpRoute {
  const { invoker, logger } = options;
  const limit = options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES;
  const asConnectError = (error: unknown) => toConnectError(error, logger);

  async function serve(protocol: UnaryHttpProtocol, method: DescMethodUnary, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const headers = request.headers;
    let call: CallSignal | undefined;
    try {
      call = new CallSignal(response, protocol.timeoutMs(headers) ?? options.defaultDeadlineMs, asConnectError);
      protocol.checkEncoding(headers);
      const bytes = await call.race(protocol.message(await call.race(readBody(request, limit)), headers, limit));
      const message = decodeRequest(method.input, bytes, protocol.format);
      const result = await call.race(
        invoker.invoke(method, message, {
          protocolName: protocol.name,
          header: headersOf(request),
          end: call,
          requestMethod: "POST",
          url: request.url ?? "/",
          peer: httpPeer(request),
        }),
      );
      protocol.writeResult(response, method, result);
    } catch (error) {
      lingerOnUnreadBody(request, response);
      protocol.writeError(response, asConnectError(error));
    } finally {
      call?.dispose();
    }
  }

  return {
    claims: (_request, path) => invoker.methods.has(path) || invoker.streamingMethods.has(path),
    answer(request, response, path) {
      const streaming = invoker.streamingMethods.get(path);
      const method = invoker.methods.get(path) ?? streaming!;
      if (request.headers.host === undefined) {
        // HTTP/1.1 requires Host (Node refuses its absence itself); no Connect or gRPC-Web client sends HTTP/1.0 without it.
        refuse(request, response, 400, new ConnectError("request has no Host header", Code.InvalidArgument));
        return;
      }
      if (request.method !== "POST") {
        const error = new ConnectError(`${request.method} is not allowed on ${method.parent.typeName}/${method.name}; allowed: POST`, Code.Unimplemented);
        refuse(request, response, 405, error, { allow: "POST" });
        return;
      }
      if (streaming !== undefined) {
        const format = connectStreamFormat(request.headers["content-type"]);
        if (format !== undefined) return serveConnectStream({ invoker, maxRequestBytes: limit, asConnectError }, format, streaming, request, response);
      }
      const protocol = protocolOf(request.headers["content-type"]);
      if (protocol !== undefined && streaming !== undefined) {
        // gRPC-Web, or Connect's unary encodings: answered in that protocol's words, saying which stream.
        lingerOnUnreadBody(request, response);
        protocol.writeError(response, asConnectError(streamingUnsupported(streaming)));
        return;
      }
      if (protocol === undefined) {
        const type = String(request.headers["content-type"] ?? "(none)").slice(0, 100);
        const error = new ConnectError(
          `content-type \`${type}\` is not supported: send application/json or application/proto (Connect), or application/grpc-web+proto (gRPC-Web)`,
          Code.InvalidArgument,
        );
        refuse(request, response, 415, error);
        return;
      }
      return serve(protocol, method as DescMethodUnary, request, response);
    },
  };
}

/** Answers a request that is no call of either protocol, letting its body go. */
function refuse(request: IncomingMessage, response: ServerResponse, httpStatus: number, error: ConnectError, extra: Record<string, string> = {}): void {
  lingerOnUnreadBody(request, response);
  writeStatusJson(response, httpStatus, error, extra);
}

