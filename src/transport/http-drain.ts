/**
 * Graceful shutdown of a Node HTTP/1.1 server. `server.close()` alone stops accepting connections and
 * closes idle ones, but a keep-alive connection busy at that moment stays open after its response until
 * its keep-alive timeout, and may even take more requests. So during a drain every response still to be
 * written says `Connection: close` (Node then closes the socket after it), and connections that already
 * sent their headers are closed once idle.
 */
import type * as http from "node:http";

/** Drains one server; see the module comment. */
export interface HttpDrain {
  /** Closes the server once in-flight requests are answered; cuts remaining connections after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

/** Starts tracking `server`'s in-flight requests, so a later drain can reach them. */
export function trackHttpDrain(server: http.Server): HttpDrain {
  const inFlight = new Set<http.ServerResponse>();
  let draining = false;

  const closeConnectionAfter = (response: http.ServerResponse) => {
    if (!response.headersSent) response.setHeader("connection", "close");
    // The socket turns idle only after "finish" has been handled, hence the extra turn.
    else response.once("finish", () => setImmediate(() => server.closeIdleConnections()));
  };
  server.on("request", (_request: http.IncomingMessage, response: http.ServerResponse) => {
    inFlight.add(response);
    response.once("close", () => inFlight.delete(response));
    if (draining) closeConnectionAfter(response);
  });

  let drained: Promise<void> | undefined;
  return {
    drain(timeoutMs) {
      drained ??= new Promise((resolve) => {
        draining = true;
        inFlight.forEach(closeConnectionAfter);
        const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      });
      return drained;
    },
  };
}
