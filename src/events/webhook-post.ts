/**
 * One webhook delivery attempt over HTTP (ARCHITECTURE.md, "Events"): a `POST` with a bounded time for
 * the whole exchange, a bounded amount of the answer read (only its status matters), no redirect
 * followed (a receiver that moved must be changed, not trusted to forward signed events elsewhere), and
 * a fresh connection each time (no pool to hold sockets of a slow receiver), and only to an address the
 * outbound policy allows: the check is made on the addresses the host resolves to, in the connection's
 * own lookup, so a name that resolves differently later (DNS rebinding) cannot slip past a check made
 * earlier.
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from "node:dns";
import { request as httpRequest, type ClientRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { OutboundTargets } from "../net/outbound-targets.js";

/** Most bytes of an answer read before the connection is closed. */
export const MAX_ANSWER_BYTES = 64 * 1024;

/** The error of an attempt refused because its receiver's address is not allowed (no connection was made). */
export const TARGET_NOT_ALLOWED = "target not allowed";
/** The code of the lookup error that carries a refusal to the request's error handler. */
const TARGET_NOT_ALLOWED_CODE = "ERR_KEYWARD_TARGET_NOT_ALLOWED";

/** What a receiver answered: its status (0 for none) and, unless it was a 2xx, what went wrong. */
export interface PostResult {
  readonly status: number;
  /** `""` on success; else `HTTP 500`, `timeout`, `connection refused`, … */
  readonly error: string;
}

/**
 * Posts `body` to `url` with `headers`, resolving (never rejecting) within about `timeoutMs`; connects
 * only to an address `targets` allows, else resolves {@link TARGET_NOT_ALLOWED}.
 */
export function postWebhook(url: string, body: string, headers: Record<string, string>, timeoutMs: number, targets: OutboundTargets, signal?: AbortSignal): Promise<PostResult> {
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
    // Node connects to an IP literal without a lookup, so a literal is judged here.
    const literal = target.hostname.startsWith("[") ? target.hostname.slice(1, -1) : target.hostname;
    if (isIP(literal) !== 0 && targets.refusal(literal) !== undefined) {
      resolve({ status: 0, error: TARGET_NOT_ALLOWED });
      return;
    }
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(target, {
        method: "POST",
        agent: false,
        lookup: allowedLookup(targets),
        headers: { ...headers, "content-type": "application/json", "content-length": String(Buffer.byteLength(body)), "user-agent": "Keyward-Webhooks/1" },
      });
    } catch (error) {
      // A URL Node will not request (stored before a rule changed): a failure like any other, not a throw.
      resolve({ status: 0, error: describeFailure(error as NodeJS.ErrnoException) });
      return;
    }
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

/**
 * A connection lookup that resolves every address of the host and hands on only those `targets` allows
 * (in the resolver's order); none allowed is an error the request reports as {@link TARGET_NOT_ALLOWED}.
 */
function allowedLookup(targets: OutboundTargets): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, options.all ? [] : "");
      const allowed = addresses.filter((entry) => targets.refusal(entry.address) === undefined);
      const first = allowed[0];
      if (first === undefined) {
        const refused: NodeJS.ErrnoException = new Error(`${hostname}: ${TARGET_NOT_ALLOWED}`);
        refused.code = TARGET_NOT_ALLOWED_CODE;
        return callback(refused, options.all ? [] : "");
      }
      if (options.all) callback(null, allowed);
      else callback(null, first.address, first.family);
    });
  };
}

/** A failed connection in a receiver's owner's words. */
function describeFailure(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case TARGET_NOT_ALLOWED_CODE:
      return TARGET_NOT_ALLOWED;
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
