/**
 * A REST call's end of life as an `AbortSignal`, like the gRPC door's: it aborts with `CANCELED` when
 * the client goes away before the answer is written, and with `DEADLINE_EXCEEDED` when the deadline the
 * client gave in `X-Server-Timeout` (seconds, fractions allowed: vanguard-go's REST timeout header)
 * passes.
 */
import type { ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeadlineExceeded, validationFailed } from "../errors.js";

/** The REST timeout header (vanguard-go's name). */
export const TIMEOUT_HEADER = "x-server-timeout";
/** setTimeout's ceiling (about 24.8 days); longer timeouts are clamped to it. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** The call's signal; `dispose` once the answer is written. */
export interface CallSignal {
  readonly signal: AbortSignal;
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
  const controller = new AbortController();
  const onClose = () => {
    if (!response.writableFinished) controller.abort(new ConnectError("the client went away", Code.Canceled));
  };
  response.once("close", onClose);
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => controller.abort(wrap(DeadlineExceeded.create({ timeout: String(timeoutMs / 1000) }))), timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      response.off("close", onClose);
    },
  };
}

/** Settles like `promise`, or rejects with the signal's reason as soon as it aborts. */
export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(signal.reason as Error);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error as Error);
      },
    );
  });
}
