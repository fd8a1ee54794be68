/**
 * A REST call's end of life as an `AbortSignal`, like the gRPC door's: it aborts with `CANCELED` when
 * the client goes away before the answer is written, and with `DEADLINE_EXCEEDED` when the deadline the
 * client gave in `X-Server-Timeout` (seconds, fractions allowed: vanguard-go's REST timeout header)
 * passes.
 */
import type { ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeadlineExceeded, validationFailed } from "../errors.js";
import { LazyAbort } from "../transport/lazy-abort.js";

/** The REST timeout header (vanguard-go's name). */
export const TIMEOUT_HEADER = "x-server-timeout";
/** setTimeout's ceiling (about 24.8 days); longer timeouts are clamped to it. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * How a REST call ends early. The AbortSignal is created only when something reads it (see
 * {@link LazyAbort}; in profiles, the controller and its listeners were a few percent of a REST call);
 * the gateway itself waits through `race`, which needs none.
 */
export interface CallSignal {
  /** Aborted with the call's end reason; created on first read, already aborted if the call has ended. */
  readonly signal: AbortSignal;
  /** Settles like `promise`, or rejects with the end reason as soon as the call ends. */
  race<T>(promise: Promise<T>): Promise<T>;
  /** Stops following the call; do this once the answer is written. */
  dispose(): void;
}

/** Parses `X-Server-Timeout` into milliseconds; undefined when absent. Throws `VALIDATION_FAILED` when malformed. */
export function timeoutMsOf(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!/^\s*\d{1,12}(\.\d{1,9})?\s*$/.test(value)) {
    throw validationFailed([{ field: "X-Server-Timeout", description: "must be a number of seconds, such as 2.5" }]);
  }
  return Math.min(Math.round(Number(value) * 1000), MAX_TIMEOUT_MS);
}

/**
 * Follows `response`'s connection and the timeout. `wrap` turns the deadline error into the
 * ConnectError the gateway answers with (so it carries the same ErrorInfo as every other error).
 */
export function callSignal(response: ServerResponse, timeoutMs: number | undefined, wrap: (error: unknown) => ConnectError): CallSignal {
  const end = new LazyAbort();
  const racing = new Set<(reason: ConnectError) => void>();
  const abort = (reason: ConnectError) => {
    if (!end.abort(reason)) return;
    for (const reject of racing) reject(reason);
    racing.clear();
  };
  const onClose = () => {
    if (!response.writableFinished) abort(new ConnectError("the client went away", Code.Canceled));
  };
  response.once("close", onClose);
  const timer =
    timeoutMs === undefined ? undefined : setTimeout(() => abort(wrap(DeadlineExceeded.create({ timeout: String(timeoutMs / 1000) }))), timeoutMs);
  return {
    get signal() {
      return end.signal;
    },
    race<T>(promise: Promise<T>): Promise<T> {
      if (end.reason !== undefined) {
        promise.catch(() => {});
        return Promise.reject(end.reason);
      }
      return new Promise<T>((resolve, reject) => {
        racing.add(reject);
        promise.then(
          (value) => {
            racing.delete(reject);
            resolve(value);
          },
          (error: unknown) => {
            racing.delete(reject);
            reject(error as Error);
          },
        );
      });
    },
    dispose() {
      clearTimeout(timer);
      response.off("close", onClose);
    },
  };
}
