/**
 * The unary Connect and gRPC-Web protocols over HTTP/1.1, as far as Keyward's unary API needs them: how
 * each carries the request message, the deadline and the compression, and how each writes a result or
 * an error. The wire encodings of errors and trailers come from @connectrpc/connect's protocol modules,
 * so Connect and gRPC-Web clients read exactly what connect-node would have sent them.
 *
 * - Connect (connectrpc.com/docs/protocol): `application/json` or `application/proto`, the message as
 *   the whole body, `Content-Encoding`, `Connect-Timeout-Ms`; errors as Connect error JSON with their
 *   HTTP status, response trailers as `trailer-` headers.
 * - gRPC-Web: `application/grpc-web` (`+proto`, `+json`, and `-text` for base64 bodies), one enveloped
 *   message, `grpc-encoding`, `grpc-timeout`; the answer is HTTP 200 with the message and a trailer
 *   frame holding `grpc-status`, `grpc-message` and `grpc-status-details-bin`.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import { toBinary, toJson, type DescMessage, type DescMethodUnary, type MessageShape } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import {
  codeToHttpStatus,
  errorToJsonBytes,
  parseTimeout as parseConnectTimeout,
} from "@connectrpc/connect/protocol-connect";
import { parseTimeout as parseGrpcTimeout, setTrailerStatus, trailerFlag, trailerSerialize } from "@connectrpc/connect/protocol-grpc-web";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { BodyTooLarge, MalformedMessage, UnsupportedEncoding, validationFailed } from "../errors/errors.js";
import { memoizeEncoding } from "./reusable-response.js";
import type { CallResult } from "./invoke.js";
import { ACCEPTED_ENCODINGS, checkEncoding, inflate } from "./decoding/request-compression.js";
import type { BodyFormat } from "./decoding/request-decoding.js";

type Message = MessageShape<DescMessage>;
type Header = string | string[] | undefined;

/** One protocol and encoding a request came in, told by its content type. */
export interface UnaryHttpProtocol {
  /** The protocol name calls are counted and told by: `connect` or `grpc-web`. */
  readonly name: string;
  readonly format: BodyFormat;
  /** The call's timeout in ms from its header, if it gives one; throws `VALIDATION_FAILED` for a malformed header. */
  timeoutMs(headers: NodeJS.Dict<Header>): number | undefined;
  /** Throws `UNSUPPORTED_ENCODING` when the body is compressed in a way Keyward does not read. */
  checkEncoding(headers: NodeJS.Dict<Header>): void;
  /** The request message's bytes from the request body (unwrapped, inflated within `limit`). */
  message(body: Buffer, headers: NodeJS.Dict<Header>, limit: number): Promise<Uint8Array>;
  writeResult(response: ServerResponse, method: DescMethodUnary, result: CallResult): void;
  writeError(response: ServerResponse, error: ConnectError): void;
}

/** The protocol of a request with this `Content-Type`, or undefined when it is neither Connect unary nor gRPC-Web. */
export function protocolOf(contentType: string | undefined): UnaryHttpProtocol | undefined {
  if (contentType === undefined) return undefined;
  const connect = CONNECT_CONTENT_TYPE.exec(contentType);
  if (connect) return connect[1]!.toLowerCase() === "proto" ? CONNECT_BINARY : CONNECT_JSON;
  const grpcWeb = GRPC_WEB_CONTENT_TYPE.exec(contentType);
  if (!grpcWeb) return undefined;
  const text = grpcWeb[1] !== undefined;
  const json = grpcWeb[2]?.toLowerCase() === "json";
  return GRPC_WEB[`${text ? "text" : "binary"}-${json ? "json" : "proto"}`];
}

const CONNECT_CONTENT_TYPE = /^application\/(json|proto)(?:; ?charset=utf-?8)?$/i;
const GRPC_WEB_CONTENT_TYPE = /^application\/grpc-web(-text)?(?:\+(json|proto))?(?:; ?charset=utf-?8)?$/i;

/** Response headers every answer carries: a create or regenerate answer holds a secret no cache may keep. */
function baseHeaders(contentType: string, length: number): OutgoingHttpHeaders {
  return { "content-type": contentType, "content-length": length, "cache-control": "no-store", "x-content-type-options": "nosniff" };
}

/** Adds `headers` to `target`, each name prefixed with `prefix`; `set-cookie` keeps one entry per cookie. */
function addHeaders(target: OutgoingHttpHeaders, headers: Headers | undefined, prefix = ""): void {
  if (headers === undefined) return;
  headers.forEach((value, name) => {
    if (name !== "set-cookie" && !(prefix + name in target)) target[prefix + name] = value;
  });
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) target[`${prefix}set-cookie`] = cookies;
}

function write(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, body: Uint8Array): void {
  if (response.headersSent || response.destroyed) return;
  response.writeHead(status, headers);
  response.end(body);
}

/** True for the refusal of a request's compression, which names the encodings Keyward reads. */
function refusedEncoding(error: ConnectError): boolean {
  return error.findDetails(ErrorInfoSchema)[0]?.reason === UnsupportedEncoding.reason;
}

function headerValue(value: Header): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/** The response encoders of each method, built when first used; reusable responses are encoded once. */
function encoders(encode: (schema: DescMessage, message: Message) => Uint8Array): (method: DescMethodUnary, message: Message) => Uint8Array {
  const byMethod = new Map<DescMethodUnary, (message: Message) => Uint8Array>();
  return (method, message) => {
    let encoder = byMethod.get(method);
    if (encoder === undefined) byMethod.set(method, (encoder = memoizeEncoding((m: Message) => encode(method.output, m))));
    return encoder(message);
  };
}

const encodeJson = encoders((schema, message) => Buffer.from(JSON.stringify(toJson(schema, message))));
const encodeBinary = encoders((schema, message) => toBinary(schema, message));

// Connect unary.

function connectProtocol(format: BodyFormat): UnaryHttpProtocol {
  const contentType = format === "json" ? "application/json" : "application/proto";
  const encode = format === "json" ? encodeJson : encodeBinary;
  return {
    name: "connect",
    format,
    timeoutMs(headers) {
      const header = headerValue(headers["connect-timeout-ms"]);
      const parsed = parseConnectTimeout(header ?? null, Number.MAX_SAFE_INTEGER);
      if (parsed.error) throw validationFailed([{ field: "Connect-Timeout-Ms", description: "must be a whole number of milliseconds, at most 10 digits" }]);
      return parsed.timeoutMs;
    },
    checkEncoding(headers) {
      checkEncoding(headerValue(headers["content-encoding"]));
    },
    message(body, headers, limit) {
      return inflate(body, headerValue(headers["content-encoding"]), limit);
    },
    writeResult(response, method, result) {
      const body = encode(method, result.message);
      const headers = baseHeaders(contentType, body.byteLength);
      addHeaders(headers, result.header);
      addHeaders(headers, result.trailer, "trailer-");
      write(response, 200, headers, body);
    },
    writeError(response, error) {
      const body = errorToJsonBytes(error, {});
      const headers = baseHeaders("application/json", body.byteLength);
      addHeaders(headers, error.metadata);
      if (refusedEncoding(error)) headers["accept-encoding"] = ACCEPTED_ENCODINGS;
      write(response, codeToHttpStatus(error.code), headers, body);
    },
  };
}

const CONNECT_JSON = connectProtocol("json");
const CONNECT_BINARY = connectProtocol("binary");

// gRPC-Web unary.

/** A gRPC-Web frame: a flags byte, the length (4 bytes, big-endian), the data. */
function frame(flags: number, data: Uint8Array): Buffer {
  const framed = Buffer.allocUnsafe(5 + data.byteLength);
  framed[0] = flags;
  framed.writeUInt32BE(data.byteLength, 1);
  framed.set(data, 5);
  return framed;
}

const COMPRESSED_FLAG = 0b1;

const NOT_BASE64 = /[^A-Za-z0-9+/=]/;

/**
 * The bytes of a gRPC-Web text body: base64 with its padding, or several such pieces one after another,
 * as a client that encodes each frame on its own sends them. Node's decoder skips any character outside
 * the alphabet and stops at the first padding, so the text is checked first: a body that a proxy reads
 * as garbage must not be a valid call here. Throws `MALFORMED_MESSAGE`.
 */
function fromBase64Text(body: Buffer): Buffer {
  const text = body.toString("latin1");
  const refused = () => MalformedMessage.create({ problem: "a gRPC-Web text body is base64: A-Z, a-z, 0-9, + and / in groups of four, = only to pad a group's end" });
  if (text.length % 4 !== 0 || NOT_BASE64.test(text)) throw refused();
  const pieces: Buffer[] = [];
  let start = 0;
  for (let at = text.indexOf("="); at !== -1; at = text.indexOf("=", start)) {
    const end = at - (at % 4) + 4; // padding fills the rest of its group: `x=` or `xx==` ends it
    if (at % 4 < 2 || text.slice(at, end) !== "==".slice(0, end - at)) throw refused();
    pieces.push(Buffer.from(text.slice(start, end), "base64"));
    start = end;
  }
  pieces.push(Buffer.from(text.slice(start), "base64"));
  return Buffer.concat(pieces);
}

function grpcWebProtocol(format: BodyFormat, text: boolean): UnaryHttpProtocol {
  const contentType = `application/grpc-web${text ? "-text" : ""}+${format === "json" ? "json" : "proto"}`;
  const encode = format === "json" ? encodeJson : encodeBinary;
  const answer = (response: ServerResponse, header: Headers | undefined, frames: Buffer) => {
    const body = text ? Buffer.from(frames.toString("base64")) : frames;
    const headers = baseHeaders(contentType, body.byteLength);
    addHeaders(headers, header);
    write(response, 200, headers, body);
  };
  return {
    name: "grpc-web",
    format,
    timeoutMs(headers) {
      const parsed = parseGrpcTimeout(headerValue(headers["grpc-timeout"]) ?? null, Number.MAX_SAFE_INTEGER);
      if (parsed.error) throw validationFailed([{ field: "grpc-timeout", description: "must be up to 8 digits and a unit (H, M, S, m, u or n), such as 500m" }]);
      return parsed.timeoutMs;
    },
    checkEncoding(headers) {
      checkEncoding(headerValue(headers["grpc-encoding"]));
    },
    async message(body, headers, limit) {
      const bytes = text ? fromBase64Text(body) : body;
      if (bytes.byteLength < 5) throw MalformedMessage.create({ problem: "a gRPC-Web request is one enveloped message (5 header bytes, then the message)" });
      const length = bytes.readUInt32BE(1);
      if (length > limit) throw BodyTooLarge.create({ limit: String(limit) });
      if (bytes.byteLength !== 5 + length || (bytes[0]! & ~COMPRESSED_FLAG) !== 0) {
        throw MalformedMessage.create({ problem: "a unary gRPC-Web request carries exactly one message frame" });
      }
      const data = bytes.subarray(5);
      if ((bytes[0]! & COMPRESSED_FLAG) === 0) return data;
      const encoding = headerValue(headers["grpc-encoding"]);
      if (encoding === undefined || encoding === "identity") throw MalformedMessage.create({ problem: "a compressed frame needs a grpc-encoding header" });
      return inflate(data, encoding, limit);
    },
    writeResult(response, method, result) {
      const trailer = new Headers(result.trailer);
      setTrailerStatus(trailer, undefined);
      answer(response, result.header, Buffer.concat([frame(0, encode(method, result.message)), frame(trailerFlag, trailerSerialize(trailer))]));
    },
    writeError(response, error) {
      const trailer = setTrailerStatus(new Headers(), error);
      if (refusedEncoding(error)) trailer.set("grpc-accept-encoding", ACCEPTED_ENCODINGS);
      answer(response, undefined, frame(trailerFlag, trailerSerialize(trailer)));
    },
  };
}

const GRPC_WEB: Readonly<Record<string, UnaryHttpProtocol>> = {
  "binary-proto": grpcWebProtocol("binary", false),
  "binary-json": grpcWebProtocol("json", false),
  "text-proto": grpcWebProtocol("binary", true),
  "text-json": grpcWebProtocol("json", true),
};
