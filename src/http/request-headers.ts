/** Node's request headers as Fetch `Headers`, what interceptors read credentials from. */
import type { IncomingMessage } from "node:http";
import { RequestTooComplex } from "../errors/errors.js";
import { MAX_REQUEST_HEADERS } from "../request-limits.js";

/**
 * The request's headers in arrival order; a header Fetch cannot hold is left out (no interceptor needs
 * it). Throws `REQUEST_TOO_COMPLEX` past {@link MAX_REQUEST_HEADERS}: Node drops headers past its own
 * count without a word, and a request must never be judged on part of its headers.
 */
export function headersOf(request: IncomingMessage): Headers {
  if (request.rawHeaders.length > 2 * MAX_REQUEST_HEADERS) {
    throw RequestTooComplex.create({ problem: `has more than ${MAX_REQUEST_HEADERS} header lines`, limit: String(MAX_REQUEST_HEADERS) });
  }
  const headers = new Headers();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    try {
      headers.append(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
    } catch {
      // A header Fetch cannot hold; no interceptor needs it.
    }
  }
  return headers;
}
