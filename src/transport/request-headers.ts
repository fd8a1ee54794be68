/** Node's request headers as Fetch `Headers`, what interceptors read credentials from. */
import type { IncomingMessage } from "node:http";

/** The request's headers in arrival order; a header Fetch cannot hold is left out (no interceptor needs it). */
export function headersOf(request: IncomingMessage): Headers {
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
