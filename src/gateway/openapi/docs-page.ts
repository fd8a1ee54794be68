/**
 * `/openapi.json` and the interactive docs at `/docs` (ThingsBoard's Swagger flow: paste a key, click
 * Authorize, try calls). The page is swagger-ui from the `swagger-ui-dist` package, served from this
 * process: no CDN, no outside request (its validator badge is off, and the Content-Security-Policy
 * allows only this origin). The authorization is not kept across reloads: `persistAuthorization` would
 * write the pasted key (often the `RIGHT_ALL` admin key) to the browser's local storage, where any script
 * of this origin, later visitors of a shared browser and disk backups could read it.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { ConnectError } from "@connectrpc/connect";
import { MethodNotAllowed, RouteNotFound } from "../../errors/errors.js";
import { writeError } from "../../http/http-response.js";
import { OPENAPI_PATH } from "./openapi-document.js";

/** Where the docs page is served. */
export const DOCS_PATH = "/docs";

/**
 * Only this origin (swagger-ui's icons are `data:` images; its styles are set through the CSSOM, which
 * `style-src 'self'` allows: checked with headless Chromium, no violation on load or on opening an operation).
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Keyward API</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/keyward-docs.js"></script>
</body>
</html>
`;

/** The page's settings, as a script file: the CSP allows no inline script. */
const INIT_SCRIPT = `"use strict";
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: ${JSON.stringify(OPENAPI_PATH)},
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: false,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
`;

/** The swagger-ui-dist files the page uses. */
const ASSETS: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
};

interface Resource {
  readonly type: string;
  /** The body; swagger-ui's files (2 MB that most servers are never asked for) are read on first use. */
  body: Buffer | (() => Buffer);
  /** Gzipped body, made on first use, for clients that accept it. */
  gzipped?: Buffer;
  readonly cache: string;
}

/** The handler of `/openapi.json` and `/docs/...`; reads each of swagger-ui-dist's files once, when first asked for. */
export function createDocsHandler(openApiJson: string, fail: (error: unknown) => ConnectError): (request: IncomingMessage, response: ServerResponse, path: string) => void {
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const resources = new Map<string, Resource>();
  const add = (path: string, type: string, body: string | (() => Buffer), cache = "no-cache") =>
    resources.set(path, { type, body: typeof body === "string" ? Buffer.from(body) : body, cache });
  add(OPENAPI_PATH, "application/json", openApiJson);
  add(DOCS_PATH, "text/html; charset=utf-8", PAGE);
  add(`${DOCS_PATH}/`, "text/html; charset=utf-8", PAGE);
  add(`${DOCS_PATH}/keyward-docs.js`, "text/javascript; charset=utf-8", INIT_SCRIPT);
  for (const [file, type] of Object.entries(ASSETS)) add(`${DOCS_PATH}/${file}`, type, () => readFileSync(join(dist, file)), "public, max-age=86400");

  return (request, response, path) => {
    const method = request.method ?? "GET";
    const resource = resources.get(path);
    if (!resource) {
      writeError(response, fail(RouteNotFound.create({ method, path: path.slice(0, 200) })));
      return;
    }
    if (method !== "GET" && method !== "HEAD") {
      const error = fail(MethodNotAllowed.create({ method, path, allowed: "GET, HEAD" }));
      error.metadata.set("allow", "GET, HEAD");
      writeError(response, error, request);
      return;
    }
    if (typeof resource.body === "function") resource.body = resource.body();
    const gzip = resource.body.length > 1024 && /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    const body = gzip ? (resource.gzipped ??= gzipSync(resource.body)) : resource.body;
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": resource.type,
      "content-length": String(body.length),
      "cache-control": resource.cache,
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    response.end(method === "HEAD" ? undefined : body);
  };
}
