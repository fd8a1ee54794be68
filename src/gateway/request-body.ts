/**
 * Reading a REST request body: size-limited (DESIGN §10) without buffering more than the limit, JSON
 * only. A `Content-Length` over the limit is refused before a byte is read; a chunked body is refused
 * as soon as it passes the limit. Refusing leaves the rest unread; the response then closes the
 * connection (see rest-gateway.ts), so an oversized upload costs the server nothing more.
 */
import type { IncomingMessage } from "node:http";
import type { JsonValue } from "@bufbuild/protobuf";
import { BodyTooLarge, MalformedJson, UnsupportedMediaType } from "../errors.js";

/** True when the request announces a body: a non-zero `Content-Length`, or any `Transfer-Encoding`. */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return request.headers["transfer-encoding"] !== undefined;
}

/**
 * Throws `UNSUPPORTED_MEDIA_TYPE` unless the body is JSON: `application/json` or a `+json` type, any
 * parameters (`charset=utf-8`); no `Content-Type` at all is taken as JSON, as vanguard-go does.
 */
export function checkJsonContentType(request: IncomingMessage): void {
  const header = request.headers["content-type"];
  if (header === undefined || header.trim() === "") return;
  const type = header.split(";", 1)[0]!.trim().toLowerCase();
  if (type !== "application/json" && !/^application\/[a-z0-9.+-]+\+json$/.test(type)) {
    throw UnsupportedMediaType.create({ content_type: type.slice(0, 100) });
  }
}

/** Reads the whole body, at most `limit` bytes; throws `BODY_TOO_LARGE` past it. */
export function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const announced = Number(request.headers["content-length"] ?? "0");
  if (announced > limit) return Promise.reject(BodyTooLarge.create({ limit: String(limit) }));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onError);
      request.off("aborted", onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        request.pause();
        reject(BodyTooLarge.create({ limit: String(limit) }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const onAborted = () => onError(new Error("the client aborted the request"));
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("aborted", onAborted);
  });
}

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The body as JSON; undefined when empty. Throws `MALFORMED_JSON` for bytes that are not UTF-8 JSON. */
export function parseJsonBody(bytes: Uint8Array): JsonValue | undefined {
  if (bytes.length === 0) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw MalformedJson.create({ problem: "the body is not UTF-8" });
  }
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    throw MalformedJson.create({ problem: (error as Error).message.slice(0, 200) });
  }
}
