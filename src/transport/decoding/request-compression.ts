/**
 * Compressed request bodies (Connect's `Content-Encoding`, gRPC-Web's `grpc-encoding`): gzip is
 * inflated, never past the body limit, so a small compressed body cannot expand into a large one;
 * `identity` (or no header) is taken as is; anything else is refused with `UNSUPPORTED_ENCODING`.
 * Responses are never compressed: every client reads identity.
 */
import { promisify } from "node:util";
import { gunzip } from "node:zlib";
import { BodyTooLarge, MalformedMessage, UnsupportedEncoding } from "../../errors/errors.js";

const gunzipAsync = promisify(gunzip);

/** The encodings a request may use, for `Accept-Encoding` / `grpc-accept-encoding` in a refusal. */
export const ACCEPTED_ENCODINGS = "gzip";

/** Throws `UNSUPPORTED_ENCODING` unless `encoding` (a header's value, if any) is one Keyward reads. */
export function checkEncoding(encoding: string | undefined): void {
  if (encoding === undefined || encoding === "identity" || encoding === "gzip") return;
  throw UnsupportedEncoding.create({ encoding: encoding.slice(0, 40) });
}

/** `bytes` inflated as `encoding` says (checked before), at most `limit` bytes of it. */
export async function inflate(bytes: Uint8Array, encoding: string | undefined, limit: number): Promise<Uint8Array> {
  if (encoding !== "gzip") return bytes;
  try {
    return await gunzipAsync(bytes, { maxOutputLength: limit });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ERR_BUFFER_TOO_LARGE") throw BodyTooLarge.create({ limit: String(limit) });
    throw MalformedMessage.create({ problem: "the gzip data is corrupt" });
  }
}
