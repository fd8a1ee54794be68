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
import { gzipSync } from "node:zlib";

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

const SECURITY_HEADERS = {
  "content-security-policy": CONSOLE_CSP,
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
} as const;

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

interface ConsoleFile {
  readonly type: string;
  readonly body: Buffer;
  readonly gzipped: Buffer | undefined;
  readonly cache: string;
}

/** The files of a built console: the page and each asset by URL path. */
interface ConsoleBuild {
  readonly page: ConsoleFile;
  readonly assets: ReadonlyMap<string, ConsoleFile>;
}

/** `dist/console` of this checkout: the same from `src/gateway` (tsx) and `dist/src/gateway` (built). */
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
 * The console's handler: answers and returns true for the console's page and assets, returns false
 * (answering nothing) for every other request so the caller routes it as before.
 */
export function createConsoleHandler(consoleDir = defaultConsoleDir()): (request: IncomingMessage, response: ServerResponse, path: string) => boolean {
  // Read on first use, and again while missing, so a server started before `npm run build` finished still
  // serves the console once it is there.
  let build: ConsoleBuild | undefined;
  const load = () => (build ??= readBuild(consoleDir));

  return (request, response, path) => {
    const method = request.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") return false;
    const isPage = path === CONSOLE_PAGE_PATH && wantsHtml(request);
    if (!isPage && !path.startsWith(CONSOLE_ASSETS_PREFIX)) return false;
    const files = load();
    const file = isPage ? files?.page : files?.assets.get(path);
    if (file === undefined) {
      if (isPage) writeMissingBuild(response, method);
      else writeText(response, 404, `no console file at ${path.slice(0, 200)}\n`, method);
      return true;
    }
    const gzip = file.gzipped !== undefined && /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? ""));
    const body = gzip ? file.gzipped! : file.body;
    response.writeHead(200, {
      ...SECURITY_HEADERS,
      "content-type": file.type,
      "content-length": String(body.length),
      "cache-control": file.cache,
      vary: "accept-encoding",
      ...(gzip ? { "content-encoding": "gzip" } : {}),
    });
    response.end(method === "HEAD" ? undefined : body);
    return true;
  };
}

function readBuild(consoleDir: string): ConsoleBuild | undefined {
  const index = join(consoleDir, "index.html");
  if (!existsSync(index)) return undefined;
  const assets = new Map<string, ConsoleFile>();
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

function fileOf(path: string, cache: string): ConsoleFile {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? "application/octet-stream";
  const compressible = !type.startsWith("image/png") && !type.startsWith("font/");
  return { type, body, gzipped: compressible && body.length > 1024 ? gzipSync(body) : undefined, cache };
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
