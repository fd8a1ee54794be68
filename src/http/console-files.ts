/**
 * The web console's static files (ARCHITECTURE.md, "The web console"), built by Vite into `dist/console/`. The console is a
 * client of the public API with no route of its own: the HTTP listener serves its page at `/` to
 * browsers (a GET or HEAD whose `Accept` names `text/html`) and its assets under `/console/`. Every
 * other path keeps its meaning: the console routes inside the page with the URL fragment (`/#/keys`), so
 * the server never has to guess whether a path is the console's or the API's.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, extname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { HttpRoute } from "./http-routes.js";
import { pageSecurityHeaders, StaticFile, writeStaticFile } from "./static-files.js";

/** Where the console's page is served, for browsers. */
export const CONSOLE_PAGE_PATH = "/";

/** The URL prefix of the console's assets; Vite's `base`, so the page links them there. */
export const CONSOLE_ASSETS_PREFIX = "/console/";

/**
 * Only this origin, no inline script or style element, no plugins, no framing. React sets styles
 * through the CSSOM, which `style-src 'self'` allows.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS = pageSecurityHeaders(CONSOLE_CSP);

const TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

/** The files of a built console: the page and each asset by URL path. */
interface ConsoleBuild {
  readonly page: StaticFile;
  readonly assets: ReadonlyMap<string, StaticFile>;
}

/** `dist/console` of this checkout: the same from `src/http` (tsx) and `dist/src/http` (built). */
export function defaultConsoleDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, "dist", "console");
}

/** Whether a request is a browser asking for a page (what `Accept: text/html` means). */
export function wantsHtml(request: IncomingMessage): boolean {
  return /\btext\/html\b/i.test(String(request.headers.accept ?? ""));
}

/**
 * The console's route: it claims a GET or HEAD of the page (`/` asked by a browser) or of anything
 * under the assets prefix, and nothing else, so every other request keeps its meaning.
 */
export function createConsoleRoute(consoleDir = defaultConsoleDir()): HttpRoute {
  // Read on first use, and again while missing, so a server started before `npm run build` finished still
  // serves the console once it is there.
  let build: ConsoleBuild | undefined;
  const load = () => (build ??= readBuild(consoleDir));
  const isPage = (request: IncomingMessage, path: string) => path === CONSOLE_PAGE_PATH && wantsHtml(request);

  return {
    claims(request, path) {
      if (request.method !== "GET" && request.method !== "HEAD") return false;
      return path.startsWith(CONSOLE_ASSETS_PREFIX) || isPage(request, path);
    },
    answer(request, response, path) {
      const method = request.method ?? "GET";
      const page = isPage(request, path);
      const files = load();
      const file = page ? files?.page : files?.assets.get(path);
      if (file === undefined) {
        if (page) writeMissingBuild(response, method);
        else writeText(response, 404, `no console file at ${path.slice(0, 200)}\n`, method);
        return;
      }
      writeStaticFile(request, response, file, SECURITY_HEADERS);
    },
  };
}

function readBuild(consoleDir: string): ConsoleBuild | undefined {
  const index = join(consoleDir, "index.html");
  if (!existsSync(index)) return undefined;
  const assets = new Map<string, StaticFile>();
  for (const entry of readdirSync(consoleDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    const urlPath = CONSOLE_ASSETS_PREFIX + relative(consoleDir, full).split(sep).join("/");
    if (urlPath === `${CONSOLE_ASSETS_PREFIX}index.html`) continue;
    // Vite names every asset under assets/ by its content hash: it can be cached for good.
    const hashed = urlPath.startsWith(`${CONSOLE_ASSETS_PREFIX}assets/`);
    assets.set(urlPath, fileOf(full, hashed ? "public, max-age=31536000, immutable" : "no-cache"));
  }
  return { page: fileOf(index, "no-cache"), assets };
}

function fileOf(path: string, cache: string): StaticFile {
  return new StaticFile(TYPES[extname(path)] ?? "application/octet-stream", readFileSync(path), cache);
}

function writeMissingBuild(response: ServerResponse, method: string): void {
  const page = `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Keyward</title></head><body>
<h1>The web console is not built</h1><p>Run <code>npm run build</code> (or <code>npm install</code>) in the Keyward checkout, then reload.
The API is served here as usual; its docs are at <a href="/docs">/docs</a>.</p></body></html>\n`;
  response.writeHead(503, { ...SECURITY_HEADERS, "content-type": "text/html; charset=utf-8", "content-length": Buffer.byteLength(page), "cache-control": "no-store" });
  response.end(method === "HEAD" ? undefined : page);
}

function writeText(response: ServerResponse, status: number, text: string, method: string): void {
  response.writeHead(status, { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text), "cache-control": "no-store" });
  response.end(method === "HEAD" ? undefined : text);
}
