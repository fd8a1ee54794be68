/**
 * Writing the gateway's HTTP responses: JSON bodies with the headers every REST answer carries, and
 * errors as `google.rpc.Status` JSON with the HTTP status of their code (ARCHITECTURE.md, "Credentials and errors").
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { ConnectError } from "@connectrpc/connect";
import { lingerOnUnreadBody } from "./http-body.js";
import { connectErrorToStatusJson } from "../transport/status.js";
import { httpStatusOf } from "../errors/http-status.js";

/**
 * Writes `status` with the JSON text `body`, the headers every REST answer carries, and `extra` and
 * `more` headers, all through `writeHead` (a `setHeader` before it would make node:http take its slow
 * path for every header).
 * `no-store`: a create or regenerate response carries a secret that no cache may keep; `nosniff`:
 * browsers must treat JSON as JSON. The header object is a fresh literal on purpose: spreading a shared
 * constant into it cost measurable server CPU per answer (paired runs; docs/performance.md).
 */
export function writeJson(response: ServerResponse, status: number, body: string, extra?: Headers, more?: Readonly<Record<string, string>>): void {
  if (response.headersSent || response.destroyed) return;
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/json",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-length": Buffer.byteLength(body),
  };
  extra?.forEach((value, name) => {
    if (!(name in headers)) headers[name] = value;
  });
  if (more !== undefined) for (const name in more) headers[name] = more[name];
  response.writeHead(status, headers);
  response.end(body);
}

/**
 * Writes `error` as `google.rpc.Status` JSON. Its metadata become headers (`WWW-Authenticate` on 401,
 * `Allow` on 405). Given the `request`, a body left unread (refused before or while reading) closes the
 * connection after it has been read and thrown away within bounds (see http-body.ts), so no unread bytes
 * are parsed as the next request and a client still uploading reads this answer.
 */
export function writeError(response: ServerResponse, error: ConnectError, request?: IncomingMessage, more?: Readonly<Record<string, string>>): void {
  if (request !== undefined) lingerOnUnreadBody(request, response);
  writeJson(response, httpStatusOf(error), JSON.stringify(connectErrorToStatusJson(error)), error.metadata, more);
}
