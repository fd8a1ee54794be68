/**
 * What a newcomer meets on the HTTP port with a browser: `/` sends them to the docs, and every example
 * request the docs page (Swagger UI) fills in is a valid call. Each operation of `/openapi.json` is
 * executed with its own examples (path parameters and body) against a real server, as the admin.
 * Swagger UI's own sample of the create-key body was `"rights": ["RIGHT_INVALID"]`, a 400.
 */
import { expect } from "chai";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

/** A parsed JSON document of any shape. */
type Json = Record<string, any>;

/** The order a person trying the API would go in: create first, delete last. */
const ORDER = ["UserRegistry_CreateUser", "ApiKeyRegistry_CreateApiKey"];
const LAST = ["ApiKeyRegistry_DeleteApiKey", "UserRegistry_DeleteUser"];
const rank = (operationId: string) => (ORDER.includes(operationId) ? ORDER.indexOf(operationId) - 10 : LAST.includes(operationId) ? 10 + LAST.indexOf(operationId) : 0);

describe("e2e: the docs page's examples and what / serves", function () {
  this.timeout(30_000);
  const sut = useServer();

  it("serves the console to a browser's GET /; JSON clients keep the 404, which points at /docs", async () => {
    const browser = await fetch(`${sut.server.httpUrl}/`, { redirect: "manual", headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(browser.status).to.equal(200);
    expect(browser.headers.get("content-type")).to.equal("text/html; charset=utf-8");
    expect(browser.headers.get("content-security-policy")).to.contain("script-src 'self'");
    expect(await browser.text()).to.contain("/console/assets/");
    const head = await fetch(`${sut.server.httpUrl}/`, { method: "HEAD", redirect: "manual", headers: { accept: "text/html" } });
    expect(head.status).to.equal(200);
    for (const accept of ["application/json", undefined]) {
      const client = await fetch(`${sut.server.httpUrl}/`, { redirect: "manual", headers: accept ? { accept } : {} });
      expect(client.status, String(accept)).to.equal(404);
      const body = (await client.json()) as Json;
      expect(body.message).to.equal("no route for GET /; see /docs (interactive) or /openapi.json");
      expect(body.details[0]).to.include({ reason: "ROUTE_NOT_FOUND" });
    }
    // Only `/` is the console's page: other unknown paths stay 404 for browsers too.
    expect((await fetch(`${sut.server.httpUrl}/nothing`, { redirect: "manual", headers: { accept: "text/html" } })).status).to.equal(404);
  });

  it("keeps no credential in the browser: persistAuthorization is off", async () => {
    const init = await (await fetch(`${sut.server.httpUrl}/docs/keyward-docs.js`)).text();
    expect(init).to.contain("persistAuthorization: false").and.not.contain("persistAuthorization: true");
  });

  it("every operation's example request is accepted: no 400, only the 404s of the example key and session ids", async () => {
    const doc = (await (await fetch(`${sut.server.httpUrl}/openapi.json`)).json()) as Json;
    const operations = Object.entries(doc.paths as Json)
      .flatMap(([path, methods]) => Object.entries(methods as Json).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Json })))
      .sort((a, b) => rank(a.op.operationId) - rank(b.op.operationId));
    expect(operations).to.have.length(17);
    const outcomes: string[] = [];
    for (const { path, method, op } of operations) {
      const params = (op.parameters as Json[]).filter((p) => p.in === "path");
      let url = path;
      for (const param of params) {
        expect(param.example, `${op.operationId}: path parameter ${param.name} has an example`).to.be.a("string");
        url = url.replace(`{${param.name}}`, encodeURIComponent(param.example));
      }
      const media = op.requestBody?.content?.["application/json"];
      if (op.requestBody) expect(media?.example, `${op.operationId}: body example`).to.be.an("object");
      const response = await fetch(`${sut.server.httpUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${sut.admin}`, ...(media ? { "content-type": "application/json" } : {}) },
        body: media ? JSON.stringify(media.example) : undefined,
      });
      const text = await response.text(); // forward auth answers 200 with no body
      const body = (text === "" ? {} : JSON.parse(text)) as Json;
      for (const secret of [body.key, body.token]) if (typeof secret === "string" && secret !== "") issuedKeys.add(secret);
      const reason = (body.details as Json[] | undefined)?.find((d) => d["@type"]?.endsWith("ErrorInfo"))?.reason;
      outcomes.push(`${op.operationId} ${response.status}${reason ? ` ${reason}` : ""}`);
    }
    expect(outcomes).to.deep.equal([
      "UserRegistry_CreateUser 200",
      "ApiKeyRegistry_CreateApiKey 200",
      "UserRegistry_ListUsers 200",
      "UserRegistry_GetUser 200",
      "UserRegistry_UpdateUser 200",
      "UserRegistry_UpdatePassword 200",
      "ApiKeyRegistry_ListApiKeys 200",
      "ApiKeyRegistry_GetApiKey 404 API_KEY_NOT_FOUND",
      "ApiKeyRegistry_UpdateApiKey 404 API_KEY_NOT_FOUND",
      "ApiKeyRegistry_RegenerateApiKey 404 API_KEY_NOT_FOUND",
      "AuthService_GetAuthInfo 200",
      "SessionRegistry_CreateSession 200",
      "SessionRegistry_ListSessions 200",
      "SessionRegistry_DeleteSession 404 SESSION_NOT_FOUND",
      "ForwardAuth_Check 200",
      "ApiKeyRegistry_DeleteApiKey 404 API_KEY_NOT_FOUND",
      "UserRegistry_DeleteUser 200",
    ]);
  });
});
