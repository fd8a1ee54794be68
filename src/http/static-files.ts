/**
 * Fixed files served from memory: the web console's build (console-files.ts) and the API docs page with
 * swagger-ui (gateway/openapi/docs-page.ts). One way for both: the body read once (on first use when it
 * is large and rarely asked for), gzipped once for clients that accept it when that is worth it, and
 * written with the page's security headers, its caching rule and `Vary: Accept-Encoding`; HEAD gets the
 * headers alone.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { gzipSync } from "node:zlib";

/** Below this, gzip saves too little to be worth a header and the CPU. */
const GZIP_MIN_BYTES = 1024;

/** A file to serve: its type, caching rule and body. */
export class StaticFile {
  #body: Buffer | (() => Buffer);
  /** The gzipped body, made on first use; null when it is not worth it. */
  #gzipped: Buffer | null | undefined;

  /** `body` may be a reader, called once when the file is first served. */
  constructor(
    readonly type: string,
    body: Buffer | string | (() => Buffer),
    /** `Cache-Control`: `no-cache` for what may change under the same URL, a lifetime for what may not. */
    readonly cache: string,
  ) {
    this.#body = typeof body === "string" ? Buffer.from(body) : body;
  }

  get body(): Buffer {
    if (typeof this.#body === "function") this.#body = this.#body();
    return this.#body;
  }

  /** The gzipped body, or undefined when the type is compressed already (PNG, fonts) or the body is small. */
  get gzipped(): Buffer | undefined {
    if (this.#gzipped === undefined) {
      const compressible = !this.type.startsWith("image/png") && !this.type.startsWith("font/");
      this.#gzipped = compressible && this.body.length > GZIP_MIN_BYTES ? gzipSync(this.body) : null;
    }
    return this.#gzipped ?? undefined;
  }
}

/** The headers every page of this origin's own carries: its Content-Security-Policy, no sniffing, referrer or framing. */
export function pageSecurityHeaders(contentSecurityPolicy: string): Readonly<Record<string, string>> {
  return {
    "content-security-policy": contentSecurityPolicy,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
  };
}

/** Answers a GET or HEAD with `file`: 200, gzipped when the client accepts it and it is worth it. */
export function writeStaticFile(request: IncomingMessage, response: ServerResponse, file: StaticFile, securityHeaders: Readonly<Record<string, string>>): void {
  const gzipped = /\bgzip\b/.test(String(request.headers["accept-encoding"] ?? "")) ? file.gzipped : undefined;
  const body = gzipped ?? file.body;
  response.writeHead(200, {
    ...securityHeaders,
    "content-type": file.type,
    "content-length": String(body.length),
    "cache-control": file.cache,
    vary: "accept-encoding",
    ...(gzipped !== undefined ? { "content-encoding": "gzip" } : {}),
  });
  response.end(request.method === "HEAD" ? undefined : body);
}
