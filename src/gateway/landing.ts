/**
 * Where `/` lands. A browser (it asks for `text/html`) is redirected to the interactive docs, until the
 * web console takes `/` over: this is the one place to change then. Every other client keeps the JSON
 * 404, whose message points at the docs and the OpenAPI document.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { DOCS_PATH } from "./docs-page.js";

/** The page a browser opening `/` is sent to. */
export const LANDING_PATH = DOCS_PATH;

/** True for a browser's `GET /` or `HEAD /`: one that accepts HTML. */
export function isBrowserLanding(request: IncomingMessage, path: string): boolean {
  if (path !== "/" || (request.method !== "GET" && request.method !== "HEAD")) return false;
  return /\btext\/html\b/i.test(String(request.headers.accept ?? ""));
}

/** `302 Found` to {@link LANDING_PATH}: temporary, because `/` will become the console. */
export function redirectToLanding(response: ServerResponse): void {
  response.writeHead(302, { location: LANDING_PATH, "cache-control": "no-cache", "content-length": "0" });
  response.end();
}
