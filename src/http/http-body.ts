/**
 * Reading the body of an HTTP/1.1 request (REST, Connect, gRPC-Web), within the body limit and without
 * buffering more than it: a `Content-Length` over the limit is refused before a byte is read, a chunked
 * body as soon as it passes the limit. A refused body is then *answered*, never reset (nginx's lingering
 * close): the rest of the body is read and thrown away (within {@link LINGER_MAX_MS},
 * {@link LINGER_IDLE_MS} and {@link LINGER_MAX_BYTES}) before the connection closes, so a client still uploading reads the answer.
 * Closing at once would make the kernel reset the connection when the next bytes arrive, and a client
 * that had not yet read the answer sees only the reset. Past either bound the connection is cut.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { Code, ConnectError } from "@connectrpc/connect";
import { BodyTooLarge } from "../errors/errors.js";
import { LINGER_IDLE_MS, LINGER_MAX_BYTES, LINGER_MAX_MS } from "../request-limits.js";

/** True when the request announces a body: a non-zero `Content-Length`, or any `Transfer-Encoding`. */
export function hasBody(request: IncomingMessage): boolean {
  const length = request.headers["content-length"];
  if (length !== undefined) return length !== "0";
  return request.headers["transfer-encoding"] !== undefined;
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
        request.pause(); // until the refusal is answered: see lingerOnUnreadBody
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
    const onAborted = () => onError(new ConnectError("the client went away", Code.Canceled));
    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onError);
    request.on("aborted", onAborted);
  });
}

/**
 * Call before answering `request` while its body may not be read to the end (a refusal): the answer goes
 * out with `Connection: close`, and the rest of the body is read and thrown away, within the linger
 * bounds, before the connection is closed. Node ends a `Connection: close` answer with
 * `socket.destroySoon()`, which destroys the socket as soon as the answer is flushed; on this one socket
 * that is replaced by a half-close (the answer and a FIN go out, reading goes on), and the socket is
 * closed for good once the body has ended or a bound is passed. A no-op for a request read to the end.
 */
export function lingerOnUnreadBody(request: IncomingMessage, response: ServerResponse): void {
  if (request.complete || request.destroyed) return;
  if (!response.headersSent) response.setHeader("connection", "close");
  const socket = request.socket as Socket & { destroySoon?: () => void };
  const close = socket.destroySoon?.bind(socket) ?? (() => socket.end());
  socket.destroySoon = () => socket.end();
  let discarded = 0;
  const cut = () => socket.destroy();
  const timer = setTimeout(cut, LINGER_MAX_MS).unref();
  const idle = setTimeout(cut, LINGER_IDLE_MS).unref();
  const stop = () => {
    clearTimeout(timer);
    clearTimeout(idle);
  };
  const onData = (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > LINGER_MAX_BYTES) cut();
    else idle.refresh();
  };
  request.on("data", onData);
  request.once("end", () => {
    stop();
    request.off("data", onData);
    // The body is read: close as Node would have, once the answer is out too.
    if (response.writableFinished) close();
    else response.once("finish", close);
  });
  socket.once("close", stop);
  request.resume();
}
