/**
 * gRPC on the wire, for load generators that do not speak gRPC themselves (h2load) and for the bench's
 * own calls: a length-prefixed message frame, and unary calls over plain `node:http2` that report the
 * HTTP status, the `grpc-status` (from the trailers or a trailers-only answer) and the body size.
 */
import * as http2 from "node:http2";

/** A gRPC message frame: flag 0 (uncompressed), 4-byte big-endian length, the protobuf bytes. */
export function grpcFrame(message: Uint8Array): Buffer {
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  return frame;
}

/** The headers of a gRPC request of the bench, plus `extra` (e.g. authorization). */
export function grpcRequestHeaders(path: string, extra: Readonly<Record<string, string>> = {}): http2.OutgoingHttpHeaders {
  return { ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...extra };
}

export interface CallResult {
  readonly httpStatus: number;
  /** `grpc-status` as sent; undefined when the server sent none. */
  readonly grpcStatus: string | undefined;
  readonly grpcMessage: string | undefined;
  /** Response body bytes (the framed message): what h2load counts as "data". */
  readonly bodyBytes: number;
}

/** One unary call on its own connection, bounded by `timeoutMs`. */
export async function probeGrpc(
  baseUrl: string,
  path: string,
  body: Buffer,
  extra: Readonly<Record<string, string>> = {},
  timeoutMs = 5_000,
): Promise<CallResult> {
  const session = await connect(baseUrl, timeoutMs);
  try {
    return await unaryCall(session, path, body, extra, timeoutMs);
  } finally {
    session.close();
  }
}

/**
 * One call per key (as `authorization: Bearer <key>`), `concurrency` at a time on one connection,
 * bounded by `timeoutMs` overall; counts the calls that did not end with grpc-status 0.
 */
export async function callEach(
  baseUrl: string,
  path: string,
  body: Buffer,
  keys: readonly string[],
  concurrency: number,
  timeoutMs: number,
): Promise<{ calls: number; errors: number }> {
  const session = await connect(baseUrl, 5_000);
  const deadline = Date.now() + timeoutMs;
  let next = 0;
  let calls = 0;
  let errors = 0;
  const worker = async () => {
    while (next < keys.length && Date.now() < deadline) {
      const key = keys[next++]!;
      const result = await unaryCall(session, path, body, { authorization: `Bearer ${key}` }, 5_000).catch(() => undefined);
      calls++;
      if (result?.grpcStatus !== "0") errors++;
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    session.close();
  }
  return { calls, errors: errors + (keys.length - calls) };
}

function connect(baseUrl: string, timeoutMs: number): Promise<http2.ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(baseUrl);
    const timer = setTimeout(() => {
      session.destroy();
      reject(new Error(`cannot connect to ${baseUrl} in ${timeoutMs} ms`));
    }, timeoutMs);
    session.once("connect", () => {
      clearTimeout(timer);
      resolve(session);
    });
    session.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function unaryCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
  extra: Readonly<Record<string, string>>,
  timeoutMs: number,
): Promise<CallResult> {
  return new Promise((resolve, reject) => {
    const stream = session.request(grpcRequestHeaders(path, extra));
    const timer = setTimeout(() => {
      stream.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`${path}: no answer in ${timeoutMs} ms`));
    }, timeoutMs);
    let httpStatus = 0;
    let grpcStatus: string | undefined;
    let grpcMessage: string | undefined;
    let bodyBytes = 0;
    const readStatus = (headers: http2.IncomingHttpHeaders) => {
      if (headers["grpc-status"] !== undefined) grpcStatus = String(headers["grpc-status"]);
      if (headers["grpc-message"] !== undefined) grpcMessage = decodeURIComponent(String(headers["grpc-message"]));
    };
    stream.on("response", (headers) => {
      httpStatus = Number(headers[":status"]);
      readStatus(headers);
    });
    stream.on("trailers", readStatus);
    stream.on("data", (chunk: Buffer) => (bodyBytes += chunk.length));
    stream.on("error", () => {}); // shows as a missing grpc-status
    stream.on("close", () => {
      clearTimeout(timer);
      resolve({ httpStatus, grpcStatus, grpcMessage, bodyBytes });
    });
    stream.end(body);
  });
}
