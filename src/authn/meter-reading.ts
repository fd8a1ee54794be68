/**
 * What the meter tells a door about a call's rate limit (ARCHITECTURE.md, "Keys"), for the
 * `X-RateLimit-*` headers of REST and forward-auth answers. A door that writes them puts a fresh reading
 * into the call's context values; the verifier fills it for a key with a rate limit, on success and on
 * refusal alike. Doors without such headers put none, and the meter then fills nothing.
 */
import { createContextKey } from "@connectrpc/connect";

/** A call's view of its key's rate-limit window; `limit` stays 0 when the key has none. */
export interface RateLimitReading {
  /** Calls allowed per window (`X-RateLimit-Limit`). */
  limit: number;
  /** Calls left in the window as this process knows it, after this one (`X-RateLimit-Remaining`). */
  remaining: number;
  /** Time until the window ends, in ms (`X-RateLimit-Reset`, in whole seconds rounded up). */
  resetMs: number;
}

/** A reading with nothing read yet. */
export function newRateLimitReading(): RateLimitReading {
  return { limit: 0, remaining: 0, resetMs: 0 };
}

/** Context value holding the call's reading; set by doors that answer with rate-limit headers. */
export const kRateLimitReading = createContextKey<RateLimitReading | undefined>(undefined, { description: "the call's rate-limit reading" });

/** The header names, as GitHub and the IETF draft's predecessors spell them. */
export const RATE_LIMIT_HEADERS = {
  limit: "X-RateLimit-Limit",
  remaining: "X-RateLimit-Remaining",
  reset: "X-RateLimit-Reset",
} as const;

/**
 * The headers of a reading, or undefined when its key has no rate limit. `X-RateLimit-Reset` is the
 * delta in seconds until the window ends (rounded up), not an epoch time, so a client's clock does not
 * matter. Doors pass them to `writeHead` with the answer's other headers: one `setHeader` before it sends
 * node:http down its slow path for every header of the answer.
 */
export function rateLimitHeaders(reading: RateLimitReading | undefined): Record<string, string> | undefined {
  if (reading === undefined || reading.limit === 0) return undefined;
  return {
    [RATE_LIMIT_HEADERS.limit]: String(reading.limit),
    [RATE_LIMIT_HEADERS.remaining]: String(reading.remaining),
    [RATE_LIMIT_HEADERS.reset]: String(Math.ceil(reading.resetMs / 1000)),
  };
}
