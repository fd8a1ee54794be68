/**
 * What a newcomer meets on the HTTP port with a browser: `/` sends them to the docs, and every example
 * request the docs page (Swagger UI) fills in is a valid call. Each operation of `/openapi.json` is
 * executed with its own examples (path parameters and body) against a real server, as the admin.
 * Swagger UI's own sample of the create-key body was `"rights": ["RIGHT_INVALID"]`, a 400.
 *
 * And every example of README.md and of each page under docs/, run as pasted, in order. The convention
 * (docs writers: this is what "runs as pasted" means):
 *
 * - **A fresh clone after the two commands.** Each page runs in a directory of its own that stands for a
 *   fresh clone after `npm install && npm start`: a copy of each top-level file of this checkout
 *   (`package.json`, …) and a link to each top-level folder (the built `dist/`, `node_modules/`, …)
 *   except `.git` and `data/`, and its own server started there with `npm start`, which writes
 *   `data/admin.key`. Nothing else runs before the page. Blocks must not write into the linked folders.
 *   A page whose examples need a setting says so before its first section, in the words "started with
 *   `npm start -- <flags>`" (webhooks.md: a receiver on this machine needs `--webhook-target-networks`),
 *   and its server is started with those flags.
 * - **Ports.** That server listens on free ports, not on 8080 and 9090 (a developer's own `npm start` may
 *   hold them). In the page's blocks and documented outputs, 8080, 9090, 8000 (a gateway) and 3000 (the
 *   service behind it), as whole numbers, are replaced with the ports of this run, and so are they in
 *   the page's copy of `deploy/gateways/` (as gateway-recipes.test.ts does). `KEYWARD_URL` names the HTTP
 *   listener for the CLI, whose built-in default is 8080; no other `KEYWARD_*` variable is set.
 * - **One terminal per page.** One bash (errexit, pipefail) runs the page's blocks in order, so
 *   variables, `cd` and background jobs carry over as in a terminal; the first failing command stops the
 *   page. Each block's stdin is /dev/null. What a page leaves running in the background is stopped with
 *   the shell's process group when the page ends (pages show how to stop what they start).
 * - **Blocks.** An `sh` block runs. A `js` block is saved, in the shell's current directory, under the
 *   name in its first line (`// check-key.js`). A `text` block right after an `sh` block is that block's
 *   whole stdout, compared after masking what differs per run: RFC 3339 times, `NNSXS`/`ONSXG` tokens and
 *   39-character ids. An info string `no-run` (```` ```sh no-run ````) marks a block that cannot run here
 *   (Docker, kubectl, a real MongoDB, the bench): each is listed as a test of its own, by page, and
 *   counted. `needs:nginx` (or another package of test/support/test-packages.ts) runs the block only where
 *   that package is installed, skipping loudly elsewhere. Any other block fails: nothing is skipped
 *   silently.
 * - npm installs from a registry on 127.0.0.1 that serves this checkout's packages
 *   (support/local-registry.ts), so `npm install @keyward/client` works as written; TMPDIR is the page's.
 *
 * The pages also must not point outside the repository, their relative links must resolve, no two
 * examples may create the same user (a reader runs every page against one server), and the README stays
 * a front door of at most 200 lines.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { requirePackages } from "../support/test-packages.js";
import { createdUserIds, docsPages, masked, NO_RUN, pageSteps, withPorts, type DocsPorts, type Step } from "./support/docs-pages.js";
import { freePort, renderRecipe, RECIPES } from "./support/gateways.js";
import { useLocalRegistry, type RegistryScratch } from "./support/local-registry.js";
import { PageShell } from "./support/page-shell.js";
import { issuedKeys } from "./support/secret-scan.js";
import { startServer, useServer, viaNpmStart, type ServerProcess } from "./support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** A parsed JSON document of any shape. */
type Json = Record<string, any>;

/** The order a person trying the API would go in: create first, delete last. */
const ORDER = ["TenantRegistry_CreateTenant", "UserRegistry_CreateUser", "ApiKeyRegistry_CreateApiKey"];
// Self-rotation last: it gives the admin key a new secret (its old one, in its grace period, may touch no key).
const LAST = ["ApiKeyRegistry_DeleteApiKey", "UserRegistry_DeleteUser", "TenantRegistry_DeleteTenant", "ApiKeyRegistry_RegenerateApiKey_1"];
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

  it("every operation's example request is accepted: no 400, only the 404s of the example key, session and webhook ids", async () => {
    const doc = (await (await fetch(`${sut.server.httpUrl}/openapi.json`)).json()) as Json;
    const operations = Object.entries(doc.paths as Json)
      .flatMap(([path, methods]) => Object.entries(methods as Json).map(([method, op]) => ({ path, method: method.toUpperCase(), op: op as Json })))
      .sort((a, b) => rank(a.op.operationId) - rank(b.op.operationId));
    expect(operations).to.have.length(30);
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
      "TenantRegistry_CreateTenant 200",
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
      "TenantRegistry_ListTenants 200",
      "TenantRegistry_GetTenant 200",
      "TenantRegistry_UpdateTenant 200",
      "WebhookRegistry_CreateWebhook 200",
      "WebhookRegistry_ListWebhooks 200",
      "WebhookRegistry_GetWebhook 404 WEBHOOK_NOT_FOUND",
      "WebhookRegistry_DeleteWebhook 404 WEBHOOK_NOT_FOUND",
      "WebhookRegistry_UpdateWebhook 404 WEBHOOK_NOT_FOUND",
      "WebhookRegistry_TestWebhook 404 WEBHOOK_NOT_FOUND",
      "EventRegistry_ListEvents 200",
      "ForwardAuth_Check 200",
      "ApiKeyRegistry_DeleteApiKey 404 API_KEY_NOT_FOUND",
      "UserRegistry_DeleteUser 200",
      "TenantRegistry_DeleteTenant 200",
      "ApiKeyRegistry_RegenerateApiKey_1 200",
    ]);
  });
});

const PAGES = docsPages(ROOT);
/** How long one block may take: `npm install` of the client, or a page's worth of `npx keyward`. */
const BLOCK_TIMEOUT_MS = 170_000;
/** Top-level entries of the checkout a fresh clone after the two commands would not share with this one. */
const NOT_LINKED = new Set([".git", "data", "deploy"]);
/** The gateway recipes run from the page's copy, with the page's ports. */
const RUN_RECIPES = ["nginx.conf", "Caddyfile"];

describe("e2e: README.md and docs/ account for every block", () => {
  it("every block runs, is the output of the sh block before it, or is marked no-run; the counts per page", () => {
    const problems: string[] = [];
    const counts: string[] = [];
    for (const page of PAGES) {
      const { steps, problems: pageProblems } = pageSteps(ROOT, page);
      problems.push(...pageProblems);
      const run = steps.filter((step) => step.kind !== "no-run");
      const outputs = steps.filter((step) => step.kind === "commands" && step.output !== undefined).length;
      counts.push(`${page}: ${run.length} run (${outputs} with their output checked), ${steps.length - run.length} ${NO_RUN}`);
    }
    console.log(`      docs examples:\n${counts.map((line) => `        ${line}`).join("\n")}`);
    expect(problems).to.deep.equal([]);
  });

  it("no two examples create the same user: a reader runs every page against one server", () => {
    const created = new Map<string, string[]>();
    for (const page of PAGES) {
      for (const step of pageSteps(ROOT, page).steps) {
        if (step.kind !== "commands") continue;
        for (const id of createdUserIds(step.block.text)) created.set(id, [...(created.get(id) ?? []), step.where]);
      }
    }
    expect(created.size, "the docs create users").to.be.greaterThan(3);
    expect([...created].filter(([, where]) => where.length > 1).map(([id, where]) => `${id}: ${where.join(", ")}`)).to.deep.equal([]);
  });

  it("no page points outside the repository or cites the design contract; relative links and their anchors resolve", () => {
    const problems: string[] = [];
    for (const page of PAGES) {
      const text = readFileSync(join(ROOT, page), "utf8");
      if (/DESIGN(?:\.md)?\s*§|\.\.\/shared\b/.test(text)) problems.push(`${page}: cites DESIGN or ../shared`);
      const prose = text.replace(/^ *```[\s\S]*?^ *```/gm, "").replace(/`[^`\n]*`/g, "");
      for (const [, target] of prose.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // a URL
        const [path, anchor] = target!.split("#") as [string, string | undefined];
        const file = path === "" ? join(ROOT, page) : resolve(dirname(join(ROOT, page)), path);
        if (relative(ROOT, file).startsWith("..")) problems.push(`${page}: ${target} leaves the repository`);
        else if (!existsSync(file)) problems.push(`${page}: ${target} does not exist`);
        else if (anchor !== undefined && file.endsWith(".md") && !anchorsOf(readFileSync(file, "utf8")).has(anchor)) problems.push(`${page}: ${target}: no such heading`);
      }
    }
    expect(problems).to.deep.equal([]);
  });

  it("the README is a front door of at most 200 lines", () => {
    expect(readFileSync(join(ROOT, "README.md"), "utf8").trimEnd().split("\n").length).to.be.at.most(200);
  });
});

describe("e2e: README.md and docs/, as pasted", function () {
  this.timeout(BLOCK_TIMEOUT_MS + 30_000);
  const local = useLocalRegistry(ROOT, "keyward-docs-registry-");

  for (const page of PAGES) {
    const steps = pageSteps(ROOT, page).steps;
    describe(page, () => {
      for (const step of steps.filter((s) => s.kind === "no-run")) {
        it(`${step.where}: not run here (${NO_RUN}): ${step.block.text.split("\n")[0]}`, () => {});
      }
      if (!steps.some((step) => step.kind !== "no-run")) return;
      const run = usePage(page, local);
      for (const step of steps) {
        if (step.kind === "no-run") continue;
        const title = step.kind === "file" ? `saves ${step.name}` : step.block.text.trim().split("\n").join("; ");
        it(`${step.where}: ${title.length > 150 ? `${title.slice(0, 150)}…` : title}`, async function () {
          await runStep(this, run, step);
        });
      }
    });
  }
});

/** The flags a page says its server is started with ("started with `npm start -- <flags>`" in its intro). */
function pageServerFlags(page: string): string[] {
  const text = readFileSync(join(ROOT, page), "utf8");
  const intro = text.slice(0, text.indexOf("\n## ") === -1 ? undefined : text.indexOf("\n## "));
  const said = /started\s+with\s+`npm start -- ([^`]+)`/.exec(intro);
  return said === null ? [] : said[1]!.trim().split(/\s+/);
}

/** A page's clone, its server and its shell. */
interface PageRun {
  clone: string;
  ports: DocsPorts;
  server: ServerProcess;
  shell: PageShell;
}

/** Before the page: a fresh clone after the two commands, its server and a shell in it; after: all gone. */
function usePage(page: string, local: RegistryScratch): PageRun {
  const run = {} as PageRun;
  let dir: string | undefined;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "keyward-docs-"));
    run.clone = join(dir, "keyward");
    mkdirSync(run.clone);
    // Files are copied, so a block cannot change this checkout's (`npm init` would rewrite package.json);
    // folders are links, so a block must not write into them (mark such a block no-run).
    for (const entry of readdirSync(ROOT, { withFileTypes: true })) {
      if (NOT_LINKED.has(entry.name)) continue;
      if (entry.isFile()) copyFileSync(join(ROOT, entry.name), join(run.clone, entry.name));
      else symlinkSync(join(ROOT, entry.name), join(run.clone, entry.name));
    }
    mkdirSync(join(run.clone, "deploy"));
    for (const entry of readdirSync(join(ROOT, "deploy"))) if (entry !== "gateways") symlinkSync(join(ROOT, "deploy", entry), join(run.clone, "deploy", entry));
    mkdirSync(join(run.clone, "deploy/gateways"));

    run.server = await startServer({ launch: viaNpmStart, cwd: run.clone, dataDir: join(run.clone, "data"), args: pageServerFlags(page) });
    issuedKeys.add(run.server.adminKey());
    run.ports = {
      http: Number(new URL(run.server.httpUrl).port),
      grpc: Number(run.server.grpcAddress.split(":").at(-1)),
      gateway: await freePort(),
      service: await freePort(),
    };
    for (const file of readdirSync(RECIPES)) {
      const text = RUN_RECIPES.includes(file) ? renderRecipe(file, { keyward: run.ports.http, gateway: run.ports.gateway, service: run.ports.service }) : withPorts(readFileSync(join(RECIPES, file), "utf8"), run.ports);
      writeFileSync(join(run.clone, "deploy/gateways", file), text);
    }

    mkdirSync(join(dir, "tmp"));
    mkdirSync(join(dir, "blocks"));
    const npmEnv = Object.fromEntries(Object.entries(local.registry.npmEnv).filter(([name]) => !name.startsWith("KEYWARD_")));
    const env: Record<string, string> = {
      ...npmEnv,
      PATH: `${npxShim(dir, run.clone)}:${npmEnv.PATH ?? ""}`,
      KEYWARD_URL: run.server.httpUrl,
      TMPDIR: join(dir, "tmp"),
      XDG_CONFIG_HOME: join(dir, "tmp"),
      XDG_DATA_HOME: join(dir, "tmp"),
    };
    run.shell = PageShell.start(run.clone, env, join(dir, "blocks"));
  });
  after(async () => {
    await run.shell?.close();
    if (run.server !== undefined) expect(await run.server.stop(), `${page}'s server exits cleanly`).to.equal(0);
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });
  return run;
}

/**
 * A directory holding an `npx` that runs `npx keyward ...` as npm does, the clone's own bin
 * (package.json's `bin`, `dist/src/cli/main.js`), without npm's start-up on each
 * of the pages' many calls (seconds each, minutes in all); anything else goes to npm's own npx. That npm
 * resolves `npx keyward` to that file is checked once, below.
 */
function npxShim(dir: string, clone: string): string {
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const npx = execFileSync("bash", ["-c", "command -v npx"], { encoding: "utf8" }).trim();
  writeFileSync(join(bin, "npx"), `#!/bin/sh\nif [ "$1" = keyward ]; then shift; exec node ${JSON.stringify(join(clone, "dist/src/cli/main.js"))} "$@"; fi\nexec ${JSON.stringify(npx)} "$@"\n`, { mode: 0o755 });
  return bin;
}

describe("e2e: the pages' npx keyward", () => {
  it("is the project's own CLI, dist/src/cli/main.js, when npm runs it", function () {
    this.timeout(60_000);
    // Offline: the resolution is local, and npm's look at the public registry would only add minutes here.
    const viaNpm = execFileSync("npx", ["keyward", "--version"], { cwd: ROOT, encoding: "utf8", env: { ...process.env, npm_config_offline: "true" } });
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).bin).to.deep.equal({ keyward: "dist/src/cli/main.js" });
    expect(viaNpm).to.equal(execFileSync(process.execPath, [join(ROOT, "dist/src/cli/main.js"), "--version"], { encoding: "utf8" }));
  });
});

async function runStep(context: Mocha.Context, run: PageRun, step: Exclude<Step, { kind: "no-run" }>): Promise<void> {
  if (step.kind === "file") {
    writeFileSync(join(run.shell.cwd, step.name), withPorts(step.block.text, run.ports));
    return;
  }
  if (step.needs.length > 0) requirePackages(context, step.where, ...step.needs);
  expect(run.shell.stopped, "the page stopped at an earlier block").to.equal(false);
  const result = await run.shell.run(withPorts(step.block.text, run.ports), BLOCK_TIMEOUT_MS);
  expect(result.status, `exit status; stdout:\n${result.stdout}\nstderr:\n${result.stderr}`).to.equal(0);
  if (step.output !== undefined) expect(masked(result.stdout), `${step.where}'s output (masked); stderr:\n${result.stderr}`).to.equal(masked(withPorts(step.output.text, run.ports)));
}

/** The anchors GitHub makes of a page's headings: lower case, punctuation dropped, spaces as hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  let inFence = false;
  for (const line of markdown.split("\n")) {
    if (/^ *```/.test(line)) inFence = !inFence;
    const heading = inFence ? null : /^#{1,6} (.+)$/.exec(line);
    if (!heading) continue;
    const slug = heading[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}
