/**
 * The operations endpoints on the HTTP port (ARCHITECTURE.md, "Configuration and lifecycle"): `GET /healthz` (the process is alive),
 * `GET /readyz` (200 when ready, 503 with a coarse reason otherwise) and `GET /metrics` (Prometheus
 * text). Unauthenticated by design, so they say nothing a stranger could use: no addresses, no error
 * details. A route of the HTTP port's table (server/http-port.ts), first in it; no other route lives at
 * these paths.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpRoute } from "./http-routes.js";

/** The paths, for the route-shadowing test and the deploy drift test. */
export const OPS_PATHS = { healthz: "/healthz", readyz: "/readyz", metrics: "/metrics" } as const;

/** What the endpoints report. */
export interface OpsSources {
  /** Ready, or why not. */
  readiness(): { ready: true } | { ready: false; reason: string };
  /** The Prometheus exposition. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

/** The route of the operations paths, any method (other than GET and HEAD get 405). */
export function createOpsRoute(sources: OpsSources): HttpRoute {
  return {
    claims: (_request, path) => path === OPS_PATHS.healthz || path === OPS_PATHS.readyz || path === OPS_PATHS.metrics,
    answer: (request, response, path) => answer(sources, request, response, path),
  };
}

function answer(sources: OpsSources, request: IncomingMessage, response: ServerResponse, path: string): void {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return write(request, response, 405, "application/json", JSON.stringify({ status: "method not allowed" }), { allow: "GET, HEAD" });
  }
  if (path === OPS_PATHS.healthz) return write(request, response, 200, "application/json", JSON.stringify({ status: "alive" }));
  if (path === OPS_PATHS.readyz) {
    const state = sources.readiness();
    const body = state.ready ? { status: "ready" } : { status: "not ready", reason: state.reason };
    return write(request, response, state.ready ? 200 : 503, "application/json", JSON.stringify(body));
  }
  sources.metrics().then(
    ({ contentType, body }) => write(request, response, 200, contentType, body),
    () => write(request, response, 500, "application/json", JSON.stringify({ status: "metrics unavailable" })),
  );
}

function write(
  request: IncomingMessage,
  response: ServerResponse,
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  // Request bodies are not read here: whatever was sent is drained so the connection stays usable.
  request.resume();
  response.writeHead(status, {
    "content-type": contentType,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
    ...extra,
  });
  response.end(request.method === "HEAD" ? undefined : body);
}
