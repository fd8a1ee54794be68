/**
 * Routing on the HTTP port (ARCHITECTURE.md, "Layout"): an ordered list of routes, each claiming its own
 * requests by path (and, for the console's page, by method and `Accept`); the first route that claims a
 * request answers it. The list Keyward serves is one table, in `server/http-port.ts`; this module knows
 * none of its entries, so `http/` stays below the gateway whose routes the table names.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Logger } from "../logger.js";
import { connectErrorToStatusJson } from "../transport/status.js";

/** A Node HTTP/1.1 request handler. */
export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** One entry of a route table. */
export interface HttpRoute {
  /** Whether `request` is this route's; `path` is its target without the query. Cheap: asked of every request. */
  claims(request: IncomingMessage, path: string): boolean;
  /**
   * Answers a request it claimed, every failure included (as an error the client can read). A promise
   * that rejects all the same is the last guard's: logged, and the connection destroyed.
   */
  answer(request: IncomingMessage, response: ServerResponse, path: string): void | Promise<void>;
}

/** The handler of `routes`, tried in order; a request no route claims gets {@link answerNotFound}. */
export function routeRequests(routes: readonly HttpRoute[], logger: Logger): HttpHandler {
  return (request, response) => {
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const path = queryAt === -1 ? target : target.slice(0, queryAt);
    for (const route of routes) {
      if (route.claims(request, path)) {
        route.answer(request, response, path)?.catch((error: unknown) => {
          logger.error("an HTTP request could not be answered", { path: path.slice(0, 200), error });
          response.destroy();
        });
        return;
      }
    }
    answerNotFound(request, response, path);
  };
}

/** 404 with a `google.rpc.Status` body naming the method and path (query left out). */
export function answerNotFound(request: IncomingMessage, response: ServerResponse, path: string): void {
  writeStatusJson(response, 404, new ConnectError(`no route for ${request.method} ${path}`, Code.NotFound));
}

/** Writes `error` as `google.rpc.Status` JSON with `httpStatus` and `extra` headers. */
export function writeStatusJson(response: ServerResponse, httpStatus: number, error: ConnectError, extra: Record<string, string> = {}): void {
  const body = JSON.stringify(connectErrorToStatusJson(error));
  response.writeHead(httpStatus, { ...extra, "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}
