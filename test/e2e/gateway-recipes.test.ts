/**
 * The gateway recipes in deploy/gateways/ (docs/gateway.md): real nginx (`auth_request`) and Caddy
 * (`forward_auth`) from Debian, run from the recipe files with only their ports replaced, in front of a
 * tiny upstream that echoes what reaches it, with Keyward behind them. Traefik and Envoy are not in
 * Debian: their files are checked for the same path and header names instead (a drift test). The docs
 * include the files by link and run them (docs/gateway.md, run by docs-examples.test.ts), never a copy.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { FORWARD_AUTH_PATH, IDENTITY_HEADERS, REQUIRED_RIGHTS_HEADER } from "../../src/gateway/forward-auth.js";
import { rights } from "../../src/rights/index.js";
import { ok } from "./support/fixtures.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { docsPages, pageSteps } from "./support/docs-pages.js";
import { RECIPES, startProxy, startUpstream, type Proxy, type ProxyKind, type Upstream } from "./support/gateways.js";
import { httpFrom } from "./support/http-from.js";
import { useServer } from "./support/server-process.js";

describe("e2e: gateway recipes (deploy/gateways)", function () {
  this.timeout(60_000);
  // The proxies connect from 127.0.0.1: that is the trusted proxy whose X-Forwarded-For Keyward believes.
  const sut = useServer({ args: ["--trusted-proxies", "127.0.0.1/32"] });
  let upstream: Upstream;

  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    await upstream?.close();
  });

  for (const kind of ["nginx", "caddy"] as const satisfies readonly ProxyKind[]) {
    describe(`${kind} from ${kind === "nginx" ? "nginx.conf" : "Caddyfile"}, as written`, () => {
      let proxy: Proxy;

      before(async function () {
        requirePackages(this, `test/e2e/gateway-recipes.test.ts (${kind})`, PACKAGES[kind]);
        proxy = await startProxy(kind, Number(new URL(sut.server.httpUrl).port), upstream.port);
      });
      after(async () => {
        await proxy?.stop();
      });

      const through = (key: string | undefined, from = "127.0.0.1", headers: Record<string, string> = {}) =>
        httpFrom(from, `${proxy.url}/orders/42?x=1`, { headers: { ...headers, ...(key ? { authorization: `Bearer ${key}` } : {}) } });

      /** Calls through the proxy; asserts the status and whether the upstream was reached. */
      async function expectAnswer(key: string | undefined, status: number, from?: string, headers?: Record<string, string>) {
        const before = upstream.seen.length;
        const answer = await through(key, from, headers);
        expect(answer.status, `${kind}: ${answer.body.slice(0, 200)}`).to.equal(status);
        expect(upstream.seen.length - before, "requests that reached the upstream").to.equal(status === 200 ? 1 : 0);
        return answer;
      }

      it("lets a valid key through with the identity headers, never the key, and replaces spoofed identity headers", async () => {
        const actor = await sut.fx.actor([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
        const answer = await expectAnswer(actor.key, 200, "127.0.0.1", {
          "x-keyward-user-id": "admin",
          "x-keyward-rights": "RIGHT_ALL",
          "x-keyward-tenant-id": "acme",
        });
        const seen = upstream.seen.at(-1)!;
        expect(seen.url).to.equal("/orders/42?x=1");
        expect(seen.headers["x-keyward-user-id"]).to.equal(actor.userId);
        expect(seen.headers["x-keyward-key-id"]).to.equal(actor.apiKey.id);
        expect(seen.headers["x-keyward-rights"]).to.equal("RIGHT_USER_INFO,RIGHT_USER_SETTINGS_BASIC");
        // A system user's key has no tenant: the one the client claimed never reaches the service.
        expect(seen.headers["x-keyward-tenant-id"] ?? "").to.equal("");
        expect(seen.headers.authorization).to.equal(undefined);
        const secret = actor.key.split(".")[2]!;
        expect(JSON.stringify(seen)).to.not.contain(secret);
        expect(answer.body).to.not.contain(secret);
      });

      it("refuses missing (401 with WWW-Authenticate), wrong and disabled keys (401) and an under-privileged key (403)", async () => {
        const missing = await expectAnswer(undefined, 401);
        expect(missing.headers["www-authenticate"]).to.contain("Bearer");
        const actor = await sut.fx.actor([Right.USER_INFO]);
        const wrong = actor.key.slice(0, -4) + (actor.key.endsWith("AAAA") ? "BBBB" : "AAAA");
        await expectAnswer(wrong, 401);
        const narrow = await sut.fx.actor([Right.USER_SETTINGS_BASIC]);
        await expectAnswer(narrow.key, 403);
        ok(await sut.doors.call("grpc", ApiKeyRegistry.method.updateApiKey, {
          apiKey: { userId: actor.userId, id: actor.apiKey.id, state: ApiKeyState.DISABLED },
          updateMask: { paths: ["state"] },
        }, sut.admin));
        await expectAnswer(actor.key, 401);
      });

      it("refuses a revoked key at the gateway at once", async () => {
        const actor = await sut.fx.actor([Right.USER_INFO]);
        await expectAnswer(actor.key, 200);
        ok(await sut.doors.call("grpc", ApiKeyRegistry.method.deleteApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, sut.admin));
        await expectAnswer(actor.key, 401);
      });

      it("judges the key's networks by the client address the proxy reports", async () => {
        const actor = await sut.fx.key(await sut.fx.user(), [Right.USER_INFO], { allowedIps: ["127.0.0.2/32"] });
        await expectAnswer(actor.key, 200, "127.0.0.2");
        await expectAnswer(actor.key, 403, "127.0.0.3");
        // A client cannot claim an allowed address: the proxy reports the socket's.
        await expectAnswer(actor.key, 403, "127.0.0.3", { "x-forwarded-for": "127.0.0.2" });
      });
    });
  }

  describe("Traefik and Envoy recipes (not run here: not in Debian), checked for Keyward's names", () => {
    const recipe = (file: string) => readFileSync(join(RECIPES, file), "utf8");

    for (const file of ["traefik.yml", "envoy.yaml", "nginx.conf", "Caddyfile"]) {
      it(`${file} asks ${FORWARD_AUTH_PATH}, passes the identity headers upstream and names only real rights`, () => {
        const text = recipe(file);
        expect(text).to.contain(FORWARD_AUTH_PATH);
        const lower = text.toLowerCase();
        for (const header of Object.values(IDENTITY_HEADERS)) {
          // nginx reads answer headers as $upstream_http_x_keyward_user_id.
          const nginxName = `$upstream_http_${header.toLowerCase().replaceAll("-", "_")}`;
          expect(lower.includes(header.toLowerCase()) || lower.includes(nginxName), `${file} names ${header}`).to.equal(true);
        }
        for (const [name] of text.matchAll(/RIGHT_[A-Z_]+/g)) expect(rights.fromName(name), `${file}: ${name}`).to.not.equal(undefined);
        expect(lower, `${file} keeps the credential from the service`).to.match(/authorization/);
      });
    }

    it("envoy.yaml sends the required rights in Keyward's header and lets WWW-Authenticate back to the client", () => {
      const text = recipe("envoy.yaml").toLowerCase();
      expect(text).to.contain(`key: ${REQUIRED_RIGHTS_HEADER}`);
      expect(text).to.contain("path_prefix: /api/v1/auth/check");
      expect(text).to.contain("www-authenticate");
    });

    it("docs/gateway.md includes the recipes from their files: it links each, runs nginx and Caddy on them, and no page copies them", () => {
      const root = join(RECIPES, "../..");
      const gateway = readFileSync(join(root, "docs/gateway.md"), "utf8");
      for (const file of ["nginx.conf", "Caddyfile", "traefik.yml", "envoy.yaml"]) {
        expect(gateway, `docs/gateway.md links ${file}`).to.contain(`](../deploy/gateways/${file})`);
      }
      // The commands that run them: blocks docs-examples.test.ts runs where the proxy is installed.
      const commands = pageSteps(root, "docs/gateway.md").steps.filter((step) => step.kind === "commands");
      const runs = (needs: string, command: RegExp) => commands.some((step) => step.needs.some((pkg) => pkg.program === needs) && command.test(step.block.text));
      expect(runs("nginx", /^nginx .*"\$\{NGINX_FLAGS\[@\]\}"/m) && /NGINX_FLAGS=\(-c "\$PWD\/deploy\/gateways\/nginx\.conf"/.test(gateway), "a needs:nginx block runs nginx -c on the file, by absolute path").to.equal(true);
      expect(runs("caddy", /^caddy run --config deploy\/gateways\/Caddyfile /m), "a needs:caddy block runs caddy on the file").to.equal(true);
      // Not copied: no page holds a directive line of either file.
      for (const file of ["nginx.conf", "Caddyfile"]) {
        const directives = recipe(file).split("\n").map((line) => line.trim()).filter((line) => line.length >= 20 && !line.startsWith("#"));
        expect(directives.length, `${file} has directive lines`).to.be.greaterThan(3);
        for (const page of docsPages(root)) {
          const text = readFileSync(join(root, page), "utf8");
          expect(directives.filter((line) => text.includes(line)), `${page} copies ${file}`).to.deep.equal([]);
        }
      }
    });

    it("traefik.yml does not trust forwarded headers from clients", () => {
      expect(recipe("traefik.yml")).to.match(/trustForwardHeader: false/);
    });
  });
});
