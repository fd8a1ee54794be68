/**
 * Server-streaming calls over the Connect protocol on the HTTP port (connectrpc.com/docs/protocol,
 * "Streaming"): the request is one enveloped message (`application/connect+proto` or
 * `application/connect+json`), the answer HTTP 200 with one envelope per message and an end-of-stream
 * envelope carrying the status (an error, if any, as Connect error JSON). The call runs through the
 * invoker's streaming path, so through the same interceptors and authorization as every unary call, and
 * is pumped with back-pressure (transport/stream-pump.ts). Over HTTP/1.1, the HTTP port's protocol.
 *
 * gRPC-Web and Connect's unary encodings do not stream here: such a request is answered
 * `UNIMPLEMENTED` / `STREAMING_UNSUPPORTED`, saying which protocols do.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toBinary, toJson, type DescMethodServerStreaming, type MessageShape } from "@bufbuild/protobuf";
import { ConnectError } from "@connectrpc/connect";
import { endStreamFlag, endStreamToJson, parseTimeout } from "@connectrpc/connect/protocol-connect";
import { MalformedMessage, StreamingUnsupported, validationFailed } from "../errors/errors.js";
import { httpPeer } from "../net/peers.js";
import { DEFAULT_STREAM_STALL_MS } from "../stream-pace.js";
import { checkEncoding, inflate } from "../transport/decoding/request-compression.js";
import { decodeRequest, type BodyFormat } from "../transport/decoding/request-decoding.js";
import type { Invoker } from "../transport/invoke.js";
import { drainedWithin, pumpStream } from "../transport/stream-pump.js";
import { lingerOnUnreadBody, readBody } from "./http-body.js";
import { CallSignal } from "./http-call-signal.js";
import { headersOf } from "./request-headers.js";

const STREAM_CONTENT_TYPE = /^application\/connect\+(proto|json)(?:; ?charset=utf-?8)?$/i;
const COMPRESSED_FLAG = 0b1;

/** The body format of a Connect streaming request with this content type, or undefined when it is none. */
export function connectStreamFormat(contentType: string | undefined): BodyFormat | undefined {
  const match = contentType === undefined ? null : STREAM_CONTENT_TYPE.exec(contentType);
  if (match === null) return undefined;
  return match[1]!.toLowerCase() === "proto" ? "binary" : "json";
}

/** What a streaming call needs from its route. */
export interface ConnectStreamOptions {
  readonly invoker: Invoker;
  readonly maxRequestBytes: number;
  readonly asConnectError: (error: unknown) => ConnectError;
}

/** Serves one Connect server-streaming call. Never throws: every failure ends the stream with its status. */
export async function serveConnectStream(
  options: ConnectStreamOptions,
  format: BodyFormat,
  method: DescMethodServerStreaming,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const contentType = `application/connect+${format === "json" ? "json" : "proto"}`;
  const encode = (message: MessageShape<DescMethodServerStreaming["output"]>): Uint8Array =>
    format === "json" ? Buffer.from(JSON.stringify(toJson(method.output, message))) : toBinary(method.output, message);
  let call: CallSignal | undefined;
  let trailer: Headers | undefined;
  let failure: ConnectError | undefined;
  try {
    const timeout = parseTimeout(headerOf(request, "connect-timeout-ms") ?? null, Number.MAX_SAFE_INTEGER);
    if (timeout.error) throw validationFailed([{ field: "Connect-Timeout-Ms", description: "must be a whole number of milliseconds, at most 10 digits" }]);
    // A stream has no default deadline: a live tail is meant to stay open (the client's own holds).
    call = new CallSignal(response, timeout.timeoutMs, options.asConnectError);
    const encoding = headerOf(request, "connect-content-encoding");
    checkEncoding(encoding);
    const body = await call.race(readBody(request, options.maxRequestBytes));
    const bytes = await call.race(requestMessage(body, encoding, options.maxRequestBytes));
    const message = decodeRequest(method.input, bytes, format);
    const result = await call.race(
      options.invoker.invokeStream(method, message, {
        protocolName: "connect",
        header: headersOf(request),
        end: call,
        requestMethod: "POST",
        url: request.url ?? "/",
        peer: httpPeer(request),
      }),
    );
    open(response, contentType, result.header);
    const sink = {
      write: (out: MessageShape<DescMethodServerStreaming["output"]>) => response.write(envelope(0, encode(out))),
      drained: (ms: number) => drainedWithin(response, ms),
      get gone() {
        return response.destroyed;
      },
    };
    await pumpStream(result.messages, sink, result.pace, DEFAULT_STREAM_STALL_MS);
    trailer = result.trailer;
  } catch (error) {
    lingerOnUnreadBody(request, response);
    failure = options.asConnectError(error);
  } finally {
    call?.dispose();
  }
  if (response.destroyed) return;
  open(response, contentType, undefined);
  const end = endStreamToJson(trailer ?? new Headers(), failure, undefined);
  response.end(envelope(endStreamFlag, Buffer.from(JSON.stringify(end))));
}

/** The refusal of a streaming method asked over gRPC-Web or Connect's unary encodings. */
export function streamingUnsupported(method: DescMethodServerStreaming): Error {
  return StreamingUnsupported.create({ method: `${method.parent.typeName}/${method.name}` });
}

/** The one request message of a streaming call: exactly one envelope, inflated if it says so. */
async function requestMessage(body: Buffer, encoding: string | undefined, limit: number): Promise<Uint8Array> {
  if (body.byteLength < 5) throw MalformedMessage.create({ problem: "a Connect streaming request is one enveloped message (5-byte prefix, then the message)" });
  const flags = body[0]!;
  const length = body.readUInt32BE(1);
  if (length !== body.byteLength - 5 || (flags & ~COMPRESSED_FLAG) !== 0) {
    throw MalformedMessage.create({ problem: "a server-streaming request carries exactly one enveloped message" });
  }
  const data = body.subarray(5);
  return (flags & COMPRESSED_FLAG) !== 0 ? inflate(data, encoding, limit) : data;
}

/** Writes the stream's headers, once. */
function open(response: ServerResponse, contentType: string, header: Headers | undefined): void {
  if (response.headersSent) return;
  response.statusCode = 200;
  response.setHeader("content-type", contentType);
  response.setHeader("cache-control", "no-store");
  response.setHeader("x-content-type-options", "nosniff");
  header?.forEach((value, name) => response.setHeader(name, value));
  response.flushHeaders();
}

function envelope(flags: number, data: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + data.byteLength);
  framed[0] = flags;
  framed.writeUInt32BE(data.byteLength, 1);
  framed.set(data, 5);
  return framed;
}

function headerOf(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
