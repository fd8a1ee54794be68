/**
 * The senders of the hostile-input suite: every door sent bytes no client library would send, and every
 * answer read back to one shape (HTTP status, gRPC status, `ErrorInfo` reason, size, time) or to how the
 * exchange failed (a reset, no answer in time).
 *
 * - HTTP/1.1 (REST, forward auth, Connect, gRPC-Web) goes over a raw socket, so the request line,
 *   the headers (repeated, a thousand of them, bytes that are not UTF-8) and the body are exactly as given.
 * - gRPC messages and metadata go through grpc-js with identity serializers; gRPC frames themselves
 *   (a length prefix announcing more than follows, a compressed flag, two messages) through node:http2.
 */
import type { DescMethodUnary } from "@bufbuild/protobuf";
import * as http2 from "node:http2";
import * as net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { grpcErrorSize, grpcUnaryBytes, trailerOf } from "./raw-doors.js";
import { reasonOfBody, reasonOfStatus } from "../../support/error-reasons.js";

/** How long any one exchange may take before it counts as unanswered. */
export const ANSWER_TIMEOUT_MS = 10_000;

/** One answer, whatever the door. */
export interface Answer {
  /** HTTP status; 0 for gRPC (grpc-js) and when there was no answer. */
  readonly http: number;
  /** gRPC status, for gRPC and gRPC-Web answers. */
  readonly grpc: number | undefined;
  /** The `google.rpc.ErrorInfo` reason, when the answer carries one. */
  readonly reason: string;
  /** The answer's bytes: body (and, for gRPC, headers and trailers). */
  readonly size: number;
  readonly ms: number;
  /** Why there is no answer: a reset, a timeout. */
  readonly failure: string | undefined;
}

/** A request as bytes on an HTTP/1.1 connection. */
export interface RawHttpRequest {
  readonly method?: string;
  /** The request target (path and query), sent as is: it may hold any bytes. */
  readonly target: string | Buffer;
  /** Header lines in order; `Host`, `Content-Length` and `Connection: close` are added. */
  readonly headers?: ReadonlyArray<readonly [string, string | Buffer]>;
  readonly body?: string | Buffer;
  /** The loopback address to send from (127.0.0.x), so a burst can be several clients. */
  readonly localAddress?: string;
}

interface HttpReply {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Buffer;
  readonly ms: number;
  readonly failure: string | undefined;
}

const CRLF = "\r\n";

/** Sends `request` on a new connection to 127.0.0.1:`port`, reads the answer to the end of the connection. */
export function sendHttp(port: number, request: RawHttpRequest): Promise<HttpReply> {
  const started = Date.now();
  const body = typeof request.body === "string" ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0));
  const lines: Buffer[] = [Buffer.from(`${request.method ?? "POST"} `), Buffer.from(request.target), Buffer.from(` HTTP/1.1${CRLF}Host: 127.0.0.1:${port}${CRLF}`)];
  for (const [name, value] of request.headers ?? []) lines.push(Buffer.from(`${name}: `), Buffer.from(value), Buffer.from(CRLF));
  lines.push(Buffer.from(`Content-Length: ${body.length}${CRLF}Connection: close${CRLF}${CRLF}`), body);
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: "127.0.0.1", ...(request.localAddress ? { localAddress: request.localAddress } : {}) });
    const chunks: Buffer[] = [];
    let error: string | undefined;
    const timer = setTimeout(() => {
      error = `no answer in ${ANSWER_TIMEOUT_MS} ms`;
      socket.destroy();
    }, ANSWER_TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // A refusal may come while the body is still going out; what was read before the error still counts.
    socket.on("error", (e: NodeJS.ErrnoException) => (error ??= `reset: ${e.code ?? e.message}`));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(parseReply(Buffer.concat(chunks), Date.now() - started, error));
    });
    socket.write(Buffer.concat(lines));
  });
}

function parseReply(bytes: Buffer, ms: number, error: string | undefined): HttpReply {
  const end = bytes.indexOf("\r\n\r\n");
  const statusLine = /^HTTP\/1\.[01] (\d{3})/.exec(bytes.subarray(0, Math.max(end, 0)).toString("latin1"));
  if (end === -1 || statusLine === null) return { status: 0, headers: new Map(), body: Buffer.alloc(0), ms, failure: error ?? `no HTTP answer (${bytes.length} bytes)` };
  const headers = new Map<string, string>();
  for (const line of bytes.subarray(0, end).toString("latin1").split(CRLF).slice(1)) {
    const colon = line.indexOf(":");
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let body = bytes.subarray(end + 4);
  if (headers.get("transfer-encoding")?.toLowerCase() === "chunked") body = dechunk(body);
  else if (headers.has("content-length")) body = body.subarray(0, Number(headers.get("content-length")));
  return { status: Number(statusLine[1]), headers, body, ms, failure: undefined };
}

function dechunk(bytes: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const lineEnd = bytes.indexOf(CRLF, at);
    if (lineEnd === -1) break;
    const size = parseInt(bytes.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) break;
    parts.push(bytes.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** An HTTP/1.1 answer as a REST or forward-auth answer. */
export function httpAnswer(reply: HttpReply): Answer {
  return { http: reply.status, grpc: undefined, reason: reasonOfBody(reply.body), size: reply.body.length, ms: reply.ms, failure: reply.failure };
}

/** The gRPC status of each Connect error code. */
const CONNECT_CODES: Readonly<Record<string, number>> = Object.fromEntries(
  Object.entries(grpc.status)
    .filter(([, value]) => typeof value === "number")
    .map(([name, value]) => [name.toLowerCase(), value as number]),
);

/**
 * An HTTP/1.1 answer as a Connect answer: its status is the error JSON's `code` (Connect fixes the HTTP
 * status of each code, UNIMPLEMENTED being 501), or OK; an answer without one was refused before the
 * call began (404, 415, 431) and has only its HTTP status.
 */
export function connectAnswer(reply: HttpReply): Answer {
  const base = httpAnswer(reply);
  if (reply.status === 200) return { ...base, grpc: 0 };
  try {
    const code = (JSON.parse(reply.body.toString("utf8")) as { code?: unknown }).code;
    if (typeof code === "string" && code in CONNECT_CODES) return { ...base, grpc: CONNECT_CODES[code] };
  } catch {
    // no Connect error body
  }
  return base;
}

/** An HTTP/1.1 answer as a gRPC-Web answer: HTTP 200 with a trailer frame, or an HTTP refusal before the call began. */
export function grpcWebAnswer(reply: HttpReply, text: boolean): Answer {
  const base = httpAnswer(reply);
  if (reply.status !== 200) return base;
  const frames = text ? Buffer.from(reply.body.toString("latin1"), "base64") : reply.body;
  const trailer = trailerOf(frames);
  const status = trailer.get("grpc-status") ?? reply.headers.get("grpc-status");
  const details = trailer.get("grpc-status-details-bin");
  return { ...base, grpc: status === undefined ? undefined : Number(status), reason: details ? reasonOfStatus(Buffer.from(details, "base64")) : "" };
}

/** A unary gRPC call with `body` as the message bytes, through grpc-js. */
export async function sendGrpc(address: string, path: string, body: Uint8Array, metadata: grpc.Metadata = new grpc.Metadata()): Promise<Answer> {
  const started = Date.now();
  const { error, reply } = await grpcUnaryBytes(address, path, body, metadata, ANSWER_TIMEOUT_MS);
  const ms = Date.now() - started;
  if (!error) return { http: 0, grpc: 0, reason: "", size: reply?.length ?? 0, ms, failure: undefined };
  const bin = error.metadata?.get("grpc-status-details-bin")[0] as Buffer | undefined;
  // The client's own deadline is no answer from the server.
  const failure = error.code === grpc.status.DEADLINE_EXCEEDED ? `no answer in ${ANSWER_TIMEOUT_MS} ms` : undefined;
  return { http: 0, grpc: error.code, reason: bin ? reasonOfStatus(bin) : "", size: grpcErrorSize(error), ms, failure };
}

/** A gRPC request as HTTP/2 frames: any headers, and a body that need not be one well-formed message. */
export function sendGrpcFrames(address: string, path: string, body: Buffer, headers: http2.OutgoingHttpHeaders = {}): Promise<Answer> {
  const started = Date.now();
  return new Promise((resolve) => {
    const session = http2.connect(`http://${address}`);
    let settled = false;
    const done = (answer: Omit<Answer, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve({ ...answer, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done({ http: 0, grpc: undefined, reason: "", size: 0, failure: `no answer in ${ANSWER_TIMEOUT_MS} ms` }), ANSWER_TIMEOUT_MS);
    session.on("error", (error) => done({ http: 0, grpc: undefined, reason: "", size: 0, failure: `session error: ${error.message}` }));
    const stream = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", ...headers });
    let head: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    let size = 0;
    const measure = (h: http2.IncomingHttpHeaders) => Object.entries(h).reduce((n, [name, value]) => n + name.length + String(value).length, 0);
    stream.on("response", (h) => (head = h));
    stream.on("trailers", (t) => (trailers = t));
    stream.on("data", (chunk: Buffer) => (size += chunk.length));
    stream.on("error", () => {}); // the close below reports it
    stream.on("close", () => {
      const status = trailers["grpc-status"] ?? head["grpc-status"];
      const details = trailers["grpc-status-details-bin"] ?? head["grpc-status-details-bin"];
      const answered = head[":status"] !== undefined;
      done({
        http: Number(head[":status"] ?? 0),
        grpc: status === undefined ? undefined : Number(status),
        reason: typeof details === "string" ? reasonOfStatus(Buffer.from(details, "base64")) : "",
        size: size + measure(head) + measure(trailers),
        failure: answered ? undefined : `RST_STREAM ${stream.rstCode}`,
        // Node's HTTP/2 layer refuses a header block past its limits before any stream exists, with
        // RST_STREAM ENHANCE_YOUR_CALM; gRPC clients read that as RESOURCE_EXHAUSTED, as here.
        ...(!answered && stream.rstCode === http2.constants.NGHTTP2_ENHANCE_YOUR_CALM ? { grpc: grpc.status.RESOURCE_EXHAUSTED, failure: undefined } : {}),
      });
    });
    stream.end(body);
  });
}

/** A gRPC or gRPC-Web message frame: flags, a length (which may lie), the bytes. */
export function grpcFrame(data: Uint8Array, options: { flags?: number; announced?: number } = {}): Buffer {
  const framed = Buffer.alloc(5 + data.length);
  framed[0] = options.flags ?? 0;
  framed.writeUInt32BE(options.announced ?? data.length, 1);
  framed.set(data, 5);
  return framed;
}

/** The path of a unary method. */
export const pathOf = (method: DescMethodUnary) => `/${method.parent.typeName}/${method.name}`;
