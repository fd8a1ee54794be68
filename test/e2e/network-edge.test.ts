/**
 * The network edge on the real server (ARCHITECTURE.md, "The network edge"): per-key networks on every door, the client address
 * behind trusted proxies (and a spoofed header from an untrusted peer ignored), last-used client, and
 * forward auth at `/api/v1/auth/check`. Clients are told apart by their loopback source address:
 * 127.0.0.1 is "a client", 127.0.0.2 "another client", 127.0.0.9 the one trusted proxy.
 */
import { Code } from "@connectrpc/connect";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { DOORS } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { httpFrom } from "./support/http-from.js";
import { reasonOfBody } from "../support/error-reasons.js";
import { useServer } from "./support/server-process.js";

const PROXY = "127.0.0.9";
const OTHER = "127.0.0.2";

describe("e2e: the network edge (allowed networks, trusted proxies, last used, forward auth)", function () {
  const sut = useServer({ args: ["--trusted-proxies", `${PROXY}/32`] });
  const rest = (from: string, path: string, key: string | undefined, headers: Record<string, string> = {}, method = "GET") =>
    httpFrom(from, `${sut.server.httpUrl}${path}`, { method, headers: { ...headers, ...(key ? { authorization: `Bearer ${key}` } : {}) } });

  describe("ApiKey.allowed_ips", () => {
    it("is stored canonical, shown by get and list, and every bad entry is named", async () => {
      const userId = await sut.fx.user();
      const actor = await sut.fx.key(userId, [Right.USER_INFO], { allowedIps: ["127.0.0.2", "2001:DB8::/32", "10.0.0.0/8", "127.0.0.2/32"] });
      expect(actor.apiKey.allowedIps).to.deep.equal(["127.0.0.2/32", "2001:db8::/32", "10.0.0.0/8"]);
      const got = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.getApiKey, { userId, keyId: actor.apiKey.id }, sut.admin));
      expect(got.apiKey?.allowedIps).to.deep.equal(["127.0.0.2/32", "2001:db8::/32", "10.0.0.0/8"]);
      const listed = await rest("127.0.0.1", `/api/v1/users/${userId}/api-keys`, sut.admin);
      expect((JSON.parse(listed.body) as { apiKeys: { allowedIps: string[] }[] }).apiKeys[0]!.allowedIps).to.deep.equal(["127.0.0.2/32", "2001:db8::/32", "10.0.0.0/8"]);

      const bad = await httpFrom("127.0.0.1", `${sut.server.httpUrl}/api/v1/users/${userId}/api-keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${sut.admin}`, "content-type": "application/json" },
        body: JSON.stringify({ rights: ["RIGHT_USER_INFO"], allowedIps: ["10.1.2.3/8", "example.com", "::1/129", "192.0.2.0/24"] }),
      });
      expect(bad.status).to.equal(400);
      const violations = (JSON.parse(bad.body) as { details: { fieldViolations?: { field: string; description: string }[] }[] }).details.flatMap((d) => d.fieldViolations ?? []);
      expect(violations.map((v) => v.field)).to.deep.equal(["allowed_ips[0]", "allowed_ips[1]", "allowed_ips[2]"]);
      expect(violations[0]!.description).to.contain("10.0.0.0/8");

      const tooMany = await sut.doors.call("connect", ApiKeyRegistry.method.createApiKey, {
        userId,
        rights: [Right.USER_INFO],
        allowedIps: Array.from({ length: 65 }, (_, i) => `192.0.2.${i}`),
      }, sut.admin);
      expect(tooMany.ok ? "ok" : `${tooMany.codeName} ${tooMany.message}`).to.match(/^InvalidArgument .*at most 64/);
    });

    it("refuses a key outside its networks on every door, naming the address seen; allows it inside", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      ok(await sut.doors.call("connect", ApiKeyRegistry.method.updateApiKey, {
        apiKey: { userId: actor.userId, id: actor.apiKey.id, allowedIps: [`${OTHER}/32`] },
        updateMask: { paths: ["allowed_ips"] },
      }, sut.admin));
      for (const door of DOORS) {
        const outcome = await sut.doors.call(door, AuthService.method.getAuthInfo, {}, actor.key);
        expect(outcome.ok ? "ok" : `${Code[outcome.code]} ${outcome.reason}`, door).to.equal("PermissionDenied API_KEY_IP_NOT_ALLOWED");
        expect(outcome.ok ? "" : outcome.message, door).to.contain("127.0.0.1");
      }
      const refused = await rest("127.0.0.1", "/api/v1/auth_info", actor.key);
      expect([refused.status, reasonOfBody(refused.body)]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      expect(refused.body).to.not.contain(actor.key.split(".")[2]);
      const allowed = await rest(OTHER, "/api/v1/auth_info", actor.key);
      expect(allowed.status).to.equal(200);

      // Clearing the list (an empty list in the mask) means anywhere again, at once.
      ok(await sut.doors.call("grpc", ApiKeyRegistry.method.updateApiKey, {
        apiKey: { userId: actor.userId, id: actor.apiKey.id, allowedIps: [] },
        updateMask: { paths: ["allowed_ips"] },
      }, sut.admin));
      expect((await rest("127.0.0.1", "/api/v1/auth_info", actor.key)).status).to.equal(200);
    });

    it("believes X-Forwarded-For and Forwarded only from a trusted proxy: a spoofed header from anyone else is ignored", async () => {
      const actor = await sut.fx.key(await sut.fx.user(), [Right.USER_INFO], { allowedIps: ["198.51.100.7"] });
      const spoofed = await rest(OTHER, "/api/v1/auth_info", actor.key, { "x-forwarded-for": "198.51.100.7" });
      expect([spoofed.status, reasonOfBody(spoofed.body)]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      expect(spoofed.body).to.contain(OTHER);
      const spoofedGrpc = await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, actor.key, { "x-forwarded-for": "198.51.100.7" });
      expect(spoofedGrpc.ok ? "ok" : spoofedGrpc.reason).to.equal("API_KEY_IP_NOT_ALLOWED");

      const viaProxy = await rest(PROXY, "/api/v1/auth_info", actor.key, { "x-forwarded-for": "198.51.100.7" });
      expect(viaProxy.status).to.equal(200);
      // A client-supplied entry left of the real client changes nothing: the proxy appended the real one.
      const prefixed = await rest(PROXY, "/api/v1/auth_info", actor.key, { "x-forwarded-for": "198.51.100.7, 203.0.113.5" });
      expect([prefixed.status, reasonOfBody(prefixed.body)]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      expect(prefixed.body).to.contain("203.0.113.5");
      const forwarded = await rest(PROXY, "/api/v1/auth_info", actor.key, { forwarded: 'for="198.51.100.7:4711";proto=https' });
      expect(forwarded.status).to.equal(200);
    });
    it("reads IPv4-mapped IPv6 networks as the IPv4 networks they map, so they match (::ffff:7f00:1 is 127.0.0.1)", async () => {
      const userId = await sut.fx.user();
      const actor = await sut.fx.key(userId, [Right.USER_INFO], { allowedIps: ["::ffff:7f00:1", "::ffff:10.0.0.0/104", "::ffff:127.0.0.1"] });
      expect(actor.apiKey.allowedIps).to.deep.equal(["127.0.0.1/32", "10.0.0.0/8"]);
      expect((await rest("127.0.0.1", "/api/v1/auth_info", actor.key)).status).to.equal(200);
      const other = await rest(OTHER, "/api/v1/auth_info", actor.key);
      expect([other.status, reasonOfBody(other.body)]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      // A proxy naming the client in the mapped spelling is read the same way.
      expect((await rest(PROXY, "/api/v1/auth_info", actor.key, { "x-forwarded-for": "::ffff:a01:203" })).status).to.equal(200);
    });

    it("fails closed behind a trusted proxy: an entry that is not an address leaves the client unknown, never the proxy itself", async () => {
      const userId = await sut.fx.user();
      const proxyOnly = await sut.fx.key(userId, [Right.USER_INFO], { allowedIps: [`${PROXY}/32`] });
      const anywhere = await sut.fx.key(userId, [Right.USER_INFO]);
      const obscured: Record<string, string>[] = [
        { "x-forwarded-for": "8.8.8.8, unknown" },
        { "x-forwarded-for": "8.8.8.8, _hidden" },
        { "x-forwarded-for": "8.8.8.8," },
        { forwarded: "for=unknown" },
        { forwarded: 'for="_hidden";proto=https' },
        // Both headers, naming different clients: neither is believed.
        { "x-forwarded-for": PROXY, forwarded: "for=8.8.8.8" },
        { "x-forwarded-for": "8.8.8.8", forwarded: `for=${PROXY}` },
      ];
      for (const headers of obscured) {
        const refused = await rest(PROXY, "/api/v1/auth_info", proxyOnly.key, headers);
        expect([refused.status, reasonOfBody(refused.body)], JSON.stringify(headers)).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
        expect(refused.body, JSON.stringify(headers)).to.contain("an unknown address");
        const gate = await rest(PROXY, "/api/v1/auth/check", proxyOnly.key, headers);
        expect([gate.status, gate.headers["x-keyward-reason"]], JSON.stringify(headers)).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
        expect((await rest(PROXY, "/api/v1/auth_info", anywhere.key, headers)).status, `a key without networks: ${JSON.stringify(headers)}`).to.equal(200);
      }
      // What the proxy's own request looks like (nothing forwarded), and the same client in both headers.
      expect((await rest(PROXY, "/api/v1/auth_info", proxyOnly.key)).status).to.equal(200);
      expect((await rest(PROXY, "/api/v1/auth_info", proxyOnly.key, { "x-forwarded-for": PROXY, forwarded: `for=${PROXY}` })).status).to.equal(200);

      // An unknown client's use is recorded without an address: last_used_ip stays empty, not the proxy's.
      let key;
      for (let i = 0; i < 30 && !key?.lastUsedAt; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        key = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.getApiKey, { userId, keyId: anywhere.apiKey.id }, sut.admin)).apiKey;
      }
      expect(key?.lastUsedAt, "last_used_at written within 6 s").to.not.equal(undefined);
      expect(key?.lastUsedIp).to.equal("");
    });
  });

  it("records the client address and User-Agent of a use beside last_used_at (once a minute, off the request path)", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    expect((await rest(OTHER, "/api/v1/auth_info", actor.key, { "user-agent": "billing-sync/2.1\t(linux)" })).status).to.equal(200);
    let key;
    for (let i = 0; i < 30 && !key?.lastUsedAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      key = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.getApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, sut.admin)).apiKey;
    }
    expect(key?.lastUsedAt, "last_used_at written within 6 s").to.not.equal(undefined);
    expect(key?.lastUsedIp).to.equal(OTHER);
    expect(key?.lastUsedUserAgent, "control characters dropped").to.equal("billing-sync/2.1(linux)");
  });

  describe("forward auth (/api/v1/auth/check)", () => {
    const check = (key: string | undefined, query = "", headers: Record<string, string> = {}, method = "GET", path = "/api/v1/auth/check") =>
      rest("127.0.0.1", `${path}${query}`, key, headers, method);

    it("answers 200 with the identity and effective rights in headers, on any method and any path below it", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
      for (const [method, path] of [["GET", "/api/v1/auth/check"], ["POST", "/api/v1/auth/check/orders/42"], ["DELETE", "/api/v1/auth/check/x"], ["PUT", "/api/v1/auth/check"]] as const) {
        const answer = await check(actor.key, "?rights=RIGHT_USER_INFO", {}, method, path);
        expect(answer.status, `${method} ${path}`).to.equal(200);
        expect(answer.headers["x-keyward-user-id"]).to.equal(actor.userId);
        expect(answer.headers["x-keyward-key-id"]).to.equal(actor.apiKey.id);
        expect(answer.headers["x-keyward-rights"]).to.equal("RIGHT_USER_INFO,RIGHT_USER_SETTINGS_BASIC");
        expect(JSON.stringify(answer.headers) + answer.body).to.not.contain(actor.key.split(".")[2]);
      }
      expect((await check(actor.key, "", { "x-keyward-required-rights": "USER_INFO, user_settings_basic" })).status).to.equal(200);
      expect((await check(actor.key)).status, "no rights named: any valid key").to.equal(200);
    });

    it("refuses with the reason in X-Keyward-Reason and a google.rpc.Status body: 401 with WWW-Authenticate, 403, 400 for unknown rights", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      const cases: [string | undefined, string, Record<string, string>, number, string][] = [
        [undefined, "", {}, 401, "CREDENTIALS_MISSING"],
        ["NNSXS.NOTAKEY", "", {}, 401, "CREDENTIALS_MALFORMED"],
        [actor.key.slice(0, -1) + (actor.key.endsWith("A") ? "B" : "A"), "", {}, 401, ""],
        [actor.key, "?rights=RIGHT_USER_SETTINGS_API_KEYS", {}, 403, "INSUFFICIENT_RIGHTS"],
        [actor.key, "", { "x-keyward-required-rights": "RIGHT_ADMIN_USERS_READ" }, 403, "INSUFFICIENT_RIGHTS"],
        [actor.key, "?rights=RIGHT_USER_INFO,RIGHT_NO_SUCH", {}, 400, "VALIDATION_FAILED"],
      ];
      for (const [key, query, headers, status, reason] of cases) {
        const answer = await check(key, query, headers);
        const label = `${reason || "wrong secret"} ${query}`;
        expect(answer.status, label).to.equal(status);
        const body = JSON.parse(answer.body) as { code: number; message: string };
        expect(body.code, label).to.be.a("number");
        if (reason !== "") expect(answer.headers["x-keyward-reason"], label).to.equal(reason);
        else expect(answer.headers["x-keyward-reason"], label).to.be.oneOf(["API_KEY_INVALID", "CREDENTIALS_MALFORMED"]);
        if (status === 401) expect(answer.headers["www-authenticate"], label).to.contain("Bearer");
        expect(answer.headers["x-keyward-user-id"], label).to.equal(undefined);
        if (key && key.length > 46) expect(answer.body + JSON.stringify(answer.headers), label).to.not.contain(key.slice(46));
      }
      const missing = await check(actor.key, "?rights=RIGHT_USER_DELETE");
      expect(JSON.parse(missing.body).message).to.contain("RIGHT_USER_DELETE");
    });

    it("refuses an unknown query parameter on its own path with 400, naming the one it takes: a typo never means any valid key", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      for (const query of ["?right=RIGHT_ALL", "?Rights=RIGHT_ALL", "?rights[]=RIGHT_ALL", "?rights=RIGHT_USER_INFO&right=RIGHT_ALL", "?=RIGHT_ALL", "?required_rights=ALL"]) {
        const answer = await check(actor.key, query);
        expect([answer.status, answer.headers["x-keyward-reason"]], query).to.deep.equal([400, "VALIDATION_FAILED"]);
        const body = JSON.parse(answer.body) as { message: string; details: { fieldViolations?: { field: string }[] }[] };
        expect(body.message, query).to.contain("unknown query parameter").and.contain("`rights`");
        expect(answer.headers["x-keyward-user-id"], query).to.equal(undefined);
      }
      const many = await check(actor.key, `?${Array.from({ length: 500 }, (_, i) => `k${i}=1`).join("&")}`);
      expect(many.status).to.equal(400);
      expect(JSON.parse(many.body).message).to.match(/; and 4\d\d more$/).and.have.length.below(2_000);
      // Below the path, Envoy appends the original request's path and query: its keys are the request's own.
      const envoy = await check(actor.key, "?page=2&right=x", { "x-keyward-required-rights": "RIGHT_USER_INFO" }, "GET", "/api/v1/auth/check/orders");
      expect(envoy.status).to.equal(200);
      const stricter = await check(actor.key, "?page=2&rights=RIGHT_USER_DELETE", {}, "GET", "/api/v1/auth/check/orders");
      expect([stricter.status, stricter.headers["x-keyward-reason"]], "a rights key below the path still counts").to.deep.equal([403, "INSUFFICIENT_RIGHTS"]);
    });

    it("applies the key's networks to the client the trusted proxy names", async () => {
      const actor = await sut.fx.key(await sut.fx.user(), [Right.USER_INFO], { allowedIps: ["192.0.2.0/24"] });
      const inside = await rest(PROXY, "/api/v1/auth/check", actor.key, { "x-forwarded-for": "192.0.2.44" });
      expect(inside.status).to.equal(200);
      const outside = await rest(PROXY, "/api/v1/auth/check", actor.key, { "x-forwarded-for": "203.0.113.9" });
      expect([outside.status, outside.headers["x-keyward-reason"]]).to.deep.equal([403, "API_KEY_IP_NOT_ALLOWED"]);
      expect(outside.body).to.contain("203.0.113.9");
    });

    it("refuses a disabled or deleted key at once", async () => {
      const actor = await sut.fx.actor([Right.USER_INFO]);
      expect((await check(actor.key)).status).to.equal(200);
      ok(await sut.doors.call("grpc", ApiKeyRegistry.method.deleteApiKey, { userId: actor.userId, keyId: actor.apiKey.id }, sut.admin));
      const after = await check(actor.key);
      expect([after.status, after.headers["x-keyward-reason"]]).to.deep.equal([401, "API_KEY_INVALID"]);
    });
  });
});
