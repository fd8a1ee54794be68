/**
 * One webhook delivery attempt over HTTP (ARCHITECTURE.md, "Events"): a `POST` with a bounded time for
 * the whole exchange, a bounded amount of the answer read (only its status matters), no redirect
 * followed (a receiver that moved must be changed, not trusted to forward signed events elsewhere), and
 * a fresh connection each time (no pool to hold sockets of a slow receiver).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";

/** Most bytes of an answer read before the connection is closed. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** What a receiver answered: its status (0 for none) and, unless it was a 2xx, what went wrong. */
export interface PostResult {
  readonly status: number;
  /** `""` on success; else `HTTP 500`, `timeout`, `connection refused`, … */
  readonly error: string;
}

/** Posts `body` to `url` with `headers`, resolving (never rejecting) within about `timeoutMs`. */
export function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal?: AbortSignal): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
      resolve(result);
    };
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: 0, error: "invalid URL" });
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, {
      method: "POST",
      agent: false,
      headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Keyward-Webhooks/1" },
    });
    const timer = setTimeout(() => finish({ status: 0, error: "timeout" }), timeoutMs);
    const onAbort = () => finish({ status: 0, error: "aborted" });
    signal?.addEventListener("abort", onAbort, { once: true });
    req.on("error", (error: NodeJS.ErrnoException) => finish({ status: 0, error: describeFailure(error) }));
    req.on("response", (answer: IncomingMessage) => {
      const status = answer.statusCode ?? 0;
      const result: PostResult =
        status >= 200 && status < 300
          ? { status, error: "" }
          : { status, error: status >= 300 && status < 400 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}` };
      // The answer is read (up to a bound) so a receiver that writes a body sees it taken, then dropped.
      let read = 0;
      answer.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) finish(result);
      });
      answer.on("end", () => finish(result));
      answer.on("error", () => finish(result));
    });
    req.end(body);
  });
}

/** A failed connection in a receiver's owner's words. */
function describeFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host not found";
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return "host unreachable";
    default:
      if (error.code?.startsWith("ERR_TLS") || /certificate|SSL|TLS/i.test(error.message)) return `TLS: ${error.code ?? error.message}`;
      return error.code ?? "connection failed";
  }
}
