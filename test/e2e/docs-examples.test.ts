/**
 * What a newcomer meets on the HTTP port with a browser: `/` sends them to the docs, and every example
 * request the docs page (Swagger UI) fills in is a valid call. Each operation of `/openapi.json` is
 * executed with its own examples (path parameters and body) against a real server, as the admin.
 * Swagger UI's own sample of the create-key body was `"rights": ["RIGHT_INVALID"]`, a 400.
 *
 * And the pages under docs/ whose examples run as pasted (docs/client.md), in order, in a new directory,
 * against a real server: each `js` block starts with `// <file name>` and is saved under that name, each
 * `sh` block runs in bash (stopping at the first failing command), and a `text` block right after an
 * `sh` block is that block's whole output. npm installs from a registry on 127.0.0.1 that serves this
 * checkout's packages (support/local-registry.ts), so `npm install @keyward/client` works as written.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { runAsync, useClientProject } from "./support/local-registry.js";
import { codeBlocks, type CodeBlock } from "./support/markdown-blocks.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

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

/** A step of a page run as pasted: a file to save, or commands to run with the output they should print. */
type Step = { kind: "file"; name: string; block: CodeBlock } | { kind: "commands"; block: CodeBlock; output?: string };

/** The page's blocks as steps, in order; a block this runner cannot run fails here rather than being skipped. */
function stepsOf(page: string): Step[] {
  const blocks = codeBlocks(readFileSync(join(ROOT, page), "utf8"));
  const steps: Step[] = [];
  for (const [i, block] of blocks.entries()) {
    const where = `${page}:${block.line}`;
    if (block.lang === "js") {
      const name = /^\/\/ (\S+)\n/.exec(block.text)?.[1];
      expect(name, `${where}: a js example starts with \`// <file name>\``).to.be.a("string");
      steps.push({ kind: "file", name: name!, block });
    } else if (block.lang === "sh") {
      const next = blocks[i + 1];
      steps.push({ kind: "commands", block, ...(next?.lang === "text" ? { output: next.text } : {}) });
    } else {
      expect(block.lang === "text" && blocks[i - 1]?.lang === "sh", `${where}: a \`${block.lang}\` block this test cannot run (js, sh, or text after sh)`).to.equal(true);
    }
  }
  return steps;
}

describe("e2e: docs/client.md's examples, as pasted", function () {
  this.timeout(180_000);
  const sut = useServer();
  const consumer = useClientProject(ROOT, "keyward-docs-client-");

  for (const step of stepsOf("docs/client.md")) {
    const where = `docs/client.md:${step.block.line}`;
    if (step.kind === "file") {
      it(`${where}: saves ${step.name}`, () => writeFileSync(join(consumer.project, step.name), step.block.text));
      continue;
    }
    it(`${where}: ${step.block.text.trim().split("\n").join("; ")}`, async () => {
      const env = { ...consumer.registry.npmEnv, KEYWARD_URL: sut.server.httpUrl, KEYWARD_GRPC: sut.server.grpcAddress, KEYWARD_API_KEY: sut.admin };
      const result = await runAsync("bash", ["-e", "-o", "pipefail", "-c", step.block.text], { cwd: consumer.project, env });
      expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
      if (step.output !== undefined) expect(result.stdout, result.stderr).to.equal(step.output);
    });
  }
});
