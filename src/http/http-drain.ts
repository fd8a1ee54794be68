/**
 * Graceful shutdown of a Node HTTP/1.1 server. The listener is closed first, so the kernel refuses new
 * connections (ECONNREFUSED: the client knows nothing was done). Then the connections already open are
 * drained:
 * - a request in flight is answered, with `Connection: close`, and its connection closed after it;
 * - an idle keep-alive connection (it has had an answer) is closed at once;
 * - a connection accepted but still without a request gets a moment to send it, and is served like a
 *   request in flight. `server.closeIdleConnections()` would reset it, and its client, which may have
 *   sent the request already, could not tell whether it ran.
 * Whatever is left when the drain timeout passes is cut. (Connections still in the kernel's accept queue
 * when the listener closes are reset by the kernel; no Node API reaches them.)
 */
import type * as http from "node:http";
import type { Socket } from "node:net";

/** How long, during a drain, a connection that has sent no request yet may take to send one. */
const FIRST_REQUEST_GRACE_MS = 1000;

/** Drains one server; see the module comment. */
export interface HttpDrain {
  /** Closes the server once in-flight requests are answered; cuts remaining connections after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
}

/** What the drain knows of one connection. */
interface Connection {
  /** Requests received on it. */
  requests: number;
  /** Requests received but not yet answered. */
  inFlight: number;
}

/** Starts tracking `server`'s connections and in-flight requests, so a later drain can reach them. */
export function trackHttpDrain(server: http.Server, tls = false): HttpDrain {
  const inFlight = new Set<http.ServerResponse>();
  const connections = new Map<Socket, Connection>();
  let draining = false;

  /** Closes every connection with nothing in flight; with `fresh`, also those that never sent a request. */
  const closeIdle = (fresh: boolean) => {
    for (const [socket, connection] of connections) {
      if (connection.inFlight === 0 && (fresh || connection.requests > 0)) socket.destroy();
    }
  };
  const closeConnectionAfter = (response: http.ServerResponse) => {
    if (!response.headersSent) response.setHeader("connection", "close");
    // The socket turns idle only after "finish" has been handled, hence the extra turn.
    else response.once("finish", () => setImmediate(() => closeIdle(false)));
  };
  // With TLS, requests arrive on the TLS socket, which "secureConnection" hands over.
  server.on(tls ? "secureConnection" : "connection", (socket: Socket) => {
    connections.set(socket, { requests: 0, inFlight: 0 });
    socket.once("close", () => connections.delete(socket));
  });
  server.on("request", (request: http.IncomingMessage, response: http.ServerResponse) => {
    inFlight.add(response);
    const connection = connections.get(request.socket);
    if (connection) {
      connection.requests++;
      connection.inFlight++;
    }
    response.once("close", () => {
      inFlight.delete(response);
      if (connection) connection.inFlight--;
    });
    if (draining) closeConnectionAfter(response);
  });

  let drained: Promise<void> | undefined;
  return {
    drain(timeoutMs) {
      drained ??= new Promise((resolve) => {
        draining = true;
        inFlight.forEach(closeConnectionAfter);
        const grace = setTimeout(() => closeIdle(true), Math.min(FIRST_REQUEST_GRACE_MS, timeoutMs));
        const deadline = setTimeout(() => server.closeAllConnections(), timeoutMs);
        // The listener first: from here on the kernel refuses new connections.
        server.close(() => {
          clearTimeout(grace);
          clearTimeout(deadline);
          resolve();
        });
        closeIdle(false);
      });
      return drained;
    },
  };
}
