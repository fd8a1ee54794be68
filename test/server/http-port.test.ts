/**
 * The HTTP port's one route table (ARCHITECTURE.md, "Layout"), over the stub services: each route is
 * reached at its own paths and in the table's order, and the static files of the docs page and the
 * console are served one way (gzip when the client takes it and it is worth it, caching, HEAD).
 */
import * as http from "node:http";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { expect } from "chai";
import { CONSOLE_CSP } from "../../src/http/console-files.js";
import type { HttpListener } from "../../src/http/http-listener.js";
import { startStubHttpPort } from "../transport/support/stub-http-port.js";
import { createStubServices } from "../transport/support/stub-service.js";

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/** One request as sent, nothing added (fetch would add Accept-Encoding and undo the gzip). */
function send(url: string, method: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

const json = (answer: Answer) => JSON.parse(answer.body.toString()) as Record<string, unknown>;
const reasonOf = (answer: Answer) => (json(answer)["details"] as { reason?: string }[] | undefined)?.find((d) => d.reason !== undefined)?.reason;
const AUTH = { authorization: "Bearer test-key" };

describe("server/http-port: one route table", () => {
  let consoleDir: string;
  let listener: HttpListener;
  const appJs = `console.log(${JSON.stringify("keyward ".repeat(400))});\n`;
  const png = Buffer.alloc(4096, 7);
  before(async () => {
    consoleDir = mkdtempSync(join(tmpdir(), "keyward-console-"));
    mkdirSync(join(consoleDir, "assets"));
    writeFileSync(join(consoleDir, "index.html"), "<!DOCTYPE html><title>console</title>\n");
    writeFileSync(join(consoleDir, "assets", "app-1a2b.js"), appJs);
    writeFileSync(join(consoleDir, "logo.png"), png);
    listener = await startStubHttpPort(createStubServices(), { consoleDir });
  });
  after(async () => {
    await listener?.shutdown();
    rmSync(consoleDir, { recursive: true, force: true });
  });

  it("answers each route at its own paths: ops, Connect, docs, console, forward auth, REST, then 404", async () => {
    const url = (path: string) => `${listener.url}${path}`;
    expect(json(await send(url("/healthz?x=1"), "GET"))).to.deep.equal({ status: "alive" });
    expect((await send(url("/metrics"), "GET")).status).to.equal(200);
    const rpc = await send(url("/keyward.v1.AuthService/GetAuthInfo"), "POST", { ...AUTH, "content-type": "application/json" }, "{}");
    expect(rpc.status).to.equal(200);
    expect(json(rpc)["user"]).to.include({ name: "Bearer test-key" });
    expect(json(await send(url("/openapi.json"), "GET"))["openapi"]).to.equal("3.1.0");
    expect((await send(url("/docs"), "GET")).headers["content-type"]).to.equal("text/html; charset=utf-8");
    const page = await send(url("/"), "GET", { accept: "text/html" });
    expect(page.status).to.equal(200);
    expect(page.headers["content-security-policy"]).to.equal(CONSOLE_CSP);
    // Any method on forward auth's paths is its own, never the REST table's 405.
    const check = await send(url("/api/v1/auth/check/orders/42"), "DELETE");
    expect(check.status).to.equal(401);
    expect(check.headers["x-keyward-reason"]).to.equal("CREDENTIALS_MISSING");
    const rest = await send(url("/api/v1/auth_info"), "GET", AUTH);
    expect(rest.status).to.equal(200);
    expect(json(rest)["user"]).to.include({ name: "Bearer test-key" });
    // `/` without Accept: text/html is no browser's, so it is REST's, which has no route there.
    for (const path of ["/", "/nowhere"]) {
      const missing = await send(url(path), "GET");
      expect(missing.status, path).to.equal(404);
      expect(reasonOf(missing), path).to.equal("ROUTE_NOT_FOUND");
    }
  });

  it("serves static files gzipped when the client takes gzip and it is worth it, with their caching and Vary", async () => {
    const plain = await send(`${listener.url}/console/assets/app-1a2b.js`, "GET");
    expect(plain.headers["content-encoding"]).to.equal(undefined);
    expect(plain.body.toString()).to.equal(appJs);
    expect(plain.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    const zipped = await send(`${listener.url}/console/assets/app-1a2b.js`, "GET", { "accept-encoding": "br, gzip" });
    expect(zipped.headers["content-encoding"]).to.equal("gzip");
    expect(zipped.headers["vary"]).to.equal("accept-encoding");
    expect(Number(zipped.headers["content-length"])).to.equal(zipped.body.length).and.to.be.lessThan(appJs.length);
    expect(gunzipSync(zipped.body).toString()).to.equal(appJs);
    // A PNG is compressed already: sent as it is, whatever the client takes.
    const image = await send(`${listener.url}/console/logo.png`, "GET", { "accept-encoding": "gzip" });
    expect(image.headers["content-encoding"]).to.equal(undefined);
    expect(image.headers["cache-control"]).to.equal("no-cache");
    expect(image.body.equals(png)).to.equal(true);
    const css = await send(`${listener.url}/docs/swagger-ui.css`, "GET", { "accept-encoding": "gzip" });
    expect(css.headers["content-encoding"]).to.equal("gzip");
    expect(css.headers["cache-control"]).to.equal("public, max-age=86400");
    expect(gunzipSync(css.body).toString()).to.contain(".swagger-ui");
  });

  it("answers HEAD with the headers of GET and no body", async () => {
    for (const path of ["/console/assets/app-1a2b.js", "/docs/swagger-ui.css", "/openapi.json"]) {
      const get = await send(`${listener.url}${path}`, "GET", { "accept-encoding": "gzip" });
      const head = await send(`${listener.url}${path}`, "HEAD", { "accept-encoding": "gzip" });
      expect(head.status, path).to.equal(200);
      expect(head.body.length, path).to.equal(0);
      for (const name of ["content-type", "content-length", "content-encoding", "cache-control", "content-security-policy"]) {
        expect(head.headers[name], `${path} ${name}`).to.equal(get.headers[name]);
      }
    }
  });
});
