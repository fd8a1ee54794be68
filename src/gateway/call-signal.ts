/**
 * A REST call's end of life as an `AbortSignal`, like the gRPC door's: it aborts with `CANCELED` when
 * the client goes away before the answer is written, and with `DEADLINE_EXCEEDED` when the deadline the
 * client gave in `X-Server-Timeout` (seconds, fractions allowed: vanguard-go's REST timeout header)
 * passes.
 */
import { validationFailed } from "../errors.js";

/** The call signal of every HTTP door, now in transport; re-exported for forward-auth.ts, which imports it from here. */
export { CallSignal } from "../transport/http-call-signal.js";

/** The REST timeout header (vanguard-go's name). */
export const TIMEOUT_HEADER = "x-server-timeout";

/** Parses `X-Server-Timeout` into milliseconds; undefined when absent. Throws `VALIDATION_FAILED` when malformed. */
export function timeoutMsOf(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header.join(",") : header;
  if (!/^\s*\d{1,12}(\.\d{1,9})?\s*$/.test(value)) {
    throw validationFailed([{ field: "X-Server-Timeout", description: "must be a number of seconds, such as 2.5" }]);
  }
  return Math.round(Number(value) * 1000); // CallSignal clamps it to what setTimeout takes
}
