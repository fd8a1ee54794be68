/**
 * `/openapi.json` and the interactive docs at `/docs` (ThingsBoard's Swagger flow: paste a key, click
 * Authorize, try calls). The page is swagger-ui from the `swagger-ui-dist` package, served from this
 * process: no CDN, no outside request (its validator badge is off, and the Content-Security-Policy
 * allows only this origin). The authorization is not kept across reloads: `persistAuthorization` would
 * write the pasted key (often the `RIGHT_ALL` admin key) to the browser's local storage, where any script
 * of this origin, later visitors of a shared browser and disk backups could read it.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { ConnectError } from "@connectrpc/connect";
import { MethodNotAllowed, RouteNotFound } from "../../errors/errors.js";
import { writeError } from "../../http/http-response.js";
import type { HttpRoute } from "../../http/http-routes.js";
import { pageSecurityHeaders, StaticFile, writeStaticFile } from "../../http/static-files.js";
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

const SECURITY_HEADERS = pageSecurityHeaders(CSP);

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

/**
 * The route of `/openapi.json` and `/docs/...`; swagger-ui-dist's files (large, and most servers are
 * never asked for them) are read once, when first asked for.
 */
export function createDocsRoute(openApiJson: string, fail: (error: unknown) => ConnectError): HttpRoute {
  const dist = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const files = new Map<string, StaticFile>();
  const add = (path: string, type: string, body: string | (() => Buffer), cache = "no-cache") => files.set(path, new StaticFile(type, body, cache));
  add(OPENAPI_PATH, "application/json", openApiJson);
  add(DOCS_PATH, "text/html; charset=utf-8", PAGE);
  add(`${DOCS_PATH}/`, "text/html; charset=utf-8", PAGE);
  add(`${DOCS_PATH}/keyward-docs.js`, "text/javascript; charset=utf-8", INIT_SCRIPT);
  for (const [file, type] of Object.entries(ASSETS)) add(`${DOCS_PATH}/${file}`, type, () => readFileSync(join(dist, file)), "public, max-age=86400");

  return {
    claims: (_request, path) => path === OPENAPI_PATH || path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`),
    answer(request, response, path) {
      const method = request.method ?? "GET";
      const file = files.get(path);
      if (!file) {
        writeError(response, fail(RouteNotFound.create({ method, path: path.slice(0, 200) })));
        return;
      }
      if (method !== "GET" && method !== "HEAD") {
        const error = fail(MethodNotAllowed.create({ method, path, allowed: "GET, HEAD" }));
        error.metadata.set("allow", "GET, HEAD");
        writeError(response, error, request);
        return;
      }
      writeStaticFile(request, response, file, SECURITY_HEADERS);
    },
  };
}
