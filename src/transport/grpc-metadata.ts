/**
 * gRPC metadata ⇄ Fetch `Headers`. Interceptors and implementations only see `Headers` (as on the Connect
 * door), so the grpc-js listener converts at its edges. Binary (`-bin`) entries travel as base64 text, the
 * way they appear on the HTTP/2 wire.
 */
import { Metadata } from "@grpc/grpc-js";

const BINARY_SUFFIX = "-bin";

/** What grpc-js accepts as a metadata key / text value; anything else would make it throw. */
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_TEXT_VALUE = /^[ -~]*$/;

/**
 * Headers the HTTP/2 transport owns: an implementation's or an error's headers must not override them.
 * grpc-js already removes these from incoming metadata.
 */
const TRANSPORT_HEADERS = new Set(["content-type", "content-length", "te", "connection", "transfer-encoding", "keep-alive", "upgrade", "host"]);

/** Incoming metadata as request headers; multiple values of a key are all kept. */
export function metadataToHeaders(metadata: Metadata): Headers {
  const headers = new Headers();
  // toJSON() lists every key with all its values in one pass; getMap() would copy each binary value
  // just to name the keys, and get() per key would look each one up again. This runs on every call.
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) headers.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return headers;
}

/**
 * Response headers or trailers as metadata. Entries gRPC could not carry (transport-owned names,
 * `grpc-*`, illegal keys or values) are dropped rather than failing the call.
 */
export function headersToMetadata(headers: Headers, into: Metadata = new Metadata()): Metadata {
  headers.forEach((value, key) => {
    if (!isForwardable(key)) return;
    if (key.endsWith(BINARY_SUFFIX)) {
      into.add(key, Buffer.from(value, "base64"));
    } else if (LEGAL_TEXT_VALUE.test(value)) {
      into.add(key, value);
    }
  });
  return into;
}

function isForwardable(key: string): boolean {
  return LEGAL_KEY.test(key) && !key.startsWith("grpc-") && !TRANSPORT_HEADERS.has(key);
}
