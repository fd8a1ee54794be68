/**
 * A REST call's deadline: `X-Server-Timeout` (seconds, fractions allowed: vanguard-go's REST timeout
 * header), which the door's call signal (src/http/http-call-signal.ts) turns into DEADLINE_EXCEEDED.
 */
import { validationFailed } from "../../errors/errors.js";

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
