/**
 * Passwords and sessions (ARCHITECTURE.md, "Sessions and passwords") on a real server over REST: the first password of a fresh install,
 * the cookie's flags, the same-origin rule for cookie sessions, session-over-key precedence, expiry,
 * suspension and password changes ending sessions, throttling, and the one answer for an unknown user
 * and a wrong password. Every response body is kept and checked for passwords and hashes at the end.
 */
import { request as httpsRequest } from "node:https";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { testTlsPair } from "../transport/support/tls-test-pair.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";
import { reasonOfBody } from "../support/error-reasons.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Reply {
  status: number;
  headers: Headers;
  json: Json;
  text: string;
}

/** Every password any test sends: none may appear in any response. */
const passwordsSent = new Set<string>();
const texts: string[] = [];

async function call(base: string, method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(base + path, { method, headers, body: options.json === undefined ? undefined : JSON.stringify(options.json) });
  const text = await response.text();
  texts.push(text);
  return { status: response.status, headers: response.headers, json: text === "" ? {} : (JSON.parse(text) as Json), text };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function expectRefused(reply: Reply, status: number, reason: string): void {
  expect(reply.status, reply.text).to.equal(status);
  expect(reasonOfBody(reply.json), reply.text).to.equal(reason);
}

/** A REST client of one server, acting with the admin key unless told otherwise. */
class Api {
  constructor(
    readonly base: string,
    readonly admin: string,
  ) {}

  call(method: string, path: string, options: { json?: unknown; headers?: Record<string, string> } = {}): Promise<Reply> {
    return call(this.base, method, path, options);
  }

  async user(userId: string, password?: string, admin = false): Promise<void> {
    if (password) passwordsSent.add(password);
    const reply = await this.call("POST", "/api/v1/users", { json: { userId, admin, ...(password ? { password } : {}) }, headers: bearer(this.admin) });
    expect(reply.status, reply.text).to.equal(200);
  }

  async key(userId: string, rights: Right[]): Promise<string> {
    const reply = await this.call("POST", `/api/v1/users/${userId}/api-keys`, { json: { rights }, headers: bearer(this.admin) });
    expect(reply.status, reply.text).to.equal(200);
    issuedKeys.add(reply.json.key);
    return reply.json.key as string;
  }

  signIn(userId: string, password: string, setCookie = false): Promise<Reply> {
    passwordsSent.add(password);
    return this.call("POST", "/api/v1/sessions", { json: { userId, password, setCookie } });
  }

  async token(userId: string, password: string): Promise<string> {
    const reply = await this.signIn(userId, password);
    expect(reply.status, reply.text).to.equal(200);
    issuedKeys.add(reply.json.token);
    return reply.json.token as string;
  }

  setPassword(userId: string, credential: Record<string, string>, body: Json): Promise<Reply> {
    for (const value of [body.newPassword, body.currentPassword]) if (typeof value === "string" && value !== "") passwordsSent.add(value);
    return this.call("PUT", `/api/v1/users/${userId}/password`, { json: body, headers: credential });
  }

  whoAmI(headers: Record<string, string>): Promise<Reply> {
    return this.call("GET", "/api/v1/auth_info", { headers });
  }
}

const cookieOf = (reply: Reply) => reply.headers.get("set-cookie") ?? "";
const tokenInCookie = (setCookie: string) => /keyward_session=([^;]*)/.exec(setCookie)?.[1] ?? "";
const sameOrigin = { "sec-fetch-site": "same-origin" };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("e2e: passwords and sessions", function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let api: Api;

  before(async () => {
    // A low free-failure count keeps the throttling test short; each test signs in as its own users.
    server = await startServer({ args: ["--login-free-failures", "3", "--login-free-failures-per-address", "1000"] });
    api = new Api(server.httpUrl, server.adminKey());
    issuedKeys.add(api.admin);
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      expect(server.output()).to.not.match(/ONSXG\.[A-Z2-7]{39}\.[A-Z2-7]{52}/);
      for (const password of passwordsSent) expect(server.output()).to.not.include(password);
      removeDataDir(server.dataDir);
    }
  });

  it("a fresh install: the admin.key sets the admin's first password (no current one), then the admin signs in", async () => {
    const before = await api.whoAmI(bearer(api.admin));
    expect(before.json.user.hasPassword).to.equal(false);
    expectRefused(await api.signIn("admin", "a first admin password"), 401, "LOGIN_FAILED");
    const set = await api.setPassword("admin", bearer(api.admin), { newPassword: "a first admin password" });
    expect(set.status, set.text).to.equal(200);
    expect((await api.whoAmI(bearer(api.admin))).json.user.hasPassword).to.equal(true);
    const token = await api.token("admin", "a first admin password");
    expect(token).to.match(/^ONSXG\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/);
    const me = await api.whoAmI(bearer(token));
    expect(me.status, me.text).to.equal(200);
    expect(me.json.user.userId).to.equal("admin");
    expect(me.json.session.id).to.equal(token.split(".")[1]);
    expect(me.json).to.not.have.property("apiKey");
    // The whole universe: an admin's session holds every right.
    expect(me.json.rights).to.include.members(["RIGHT_ADMIN_USERS_WRITE", "RIGHT_USER_SETTINGS_API_KEYS"]);
  });

  it("a first password needs a credential holding the user's whole universe: a narrow key cannot mint sessions", async () => {
    await api.user("first-pw");
    const narrow = await api.key("first-pw", [Right.USER_INFO, Right.USER_SETTINGS_BASIC]);
    expectRefused(await api.setPassword("first-pw", bearer(narrow), { newPassword: "narrow key password" }), 403, "INSUFFICIENT_RIGHTS");
    expectRefused(await api.signIn("first-pw", "narrow key password"), 401, "LOGIN_FAILED");
    const whole = await api.key("first-pw", [Right.USER_ALL]);
    expect((await api.setPassword("first-pw", bearer(whole), { newPassword: "whole key password" })).status).to.equal(200);
    await api.token("first-pw", "whole key password");
  });

  it("enforces the policy (12 to 256 characters, not the user id) on CreateUser and UpdatePassword", async () => {
    const short = await api.call("POST", "/api/v1/users", { json: { userId: "short-pw", password: "too short" }, headers: bearer(api.admin) });
    expectRefused(short, 400, "VALIDATION_FAILED");
    expect(short.text).to.include("user.password").and.include("at least 12");
    const sameAsId = await api.call("POST", "/api/v1/users", { json: { userId: "same-as-id-pw", password: "same-as-id-pw" }, headers: bearer(api.admin) });
    expectRefused(sameAsId, 400, "VALIDATION_FAILED");
    expect(sameAsId.text).to.include("must not be the user id");
    expect((await api.call("GET", "/api/v1/users/short-pw", { headers: bearer(api.admin) })).status).to.equal(404);
    await api.user("policy-pw", "policy password one");
    expectRefused(await api.setPassword("policy-pw", bearer(api.admin), { newPassword: "x".repeat(257) }), 400, "VALIDATION_FAILED");
    // An update mask may not name the password: it has its own RPC, which checks the current one.
    const masked = await api.call("PATCH", "/api/v1/users/policy-pw?update_mask=password", { json: { password: "policy password two" }, headers: bearer(api.admin) });
    expectRefused(masked, 400, "VALIDATION_FAILED");
    await api.token("policy-pw", "policy password one");
  });

  it("on one's own user the current password is required, whatever the credential; an admin sets another's without it", async () => {
    await api.user("own-pw", "own password number 1");
    const session = await api.token("own-pw", "own password number 1");
    const missing = await api.setPassword("own-pw", bearer(session), { newPassword: "own password number 2" });
    expectRefused(missing, 400, "VALIDATION_FAILED");
    expect(missing.text).to.include("current_password");
    const wrong = await api.setPassword("own-pw", bearer(session), { currentPassword: "not my password at all", newPassword: "own password number 2" });
    expectRefused(wrong, 400, "VALIDATION_FAILED");
    const right = await api.setPassword("own-pw", bearer(session), { currentPassword: "own password number 1", newPassword: "own password number 2" });
    expect(right.status, right.text).to.equal(200);
    // The admin's own key on its own user needs the current password too.
    expectRefused(await api.setPassword("admin", bearer(api.admin), { newPassword: "another admin password" }), 400, "VALIDATION_FAILED");
    // Another user's password: the admin needs none.
    expect((await api.setPassword("own-pw", bearer(api.admin), { newPassword: "own password number 3" })).status).to.equal(200);
    expectRefused(await api.signIn("own-pw", "own password number 2"), 401, "LOGIN_FAILED");
    await api.token("own-pw", "own password number 3");
  });

  it("sets an HttpOnly, SameSite=Strict, Path=/ cookie (not Secure over plain HTTP) and keeps the token out of the body", async () => {
    await api.user("cookie-pw", "cookie password 123");
    const reply = await api.signIn("cookie-pw", "cookie password 123", true);
    expect(reply.status, reply.text).to.equal(200);
    expect(reply.json.token).to.equal("");
    expect(reply.json.session.userId).to.equal("cookie-pw");
    const cookie = cookieOf(reply);
    const attributes = cookie.split(";").map((a) => a.trim());
    expect(attributes).to.include.members(["HttpOnly", "SameSite=Strict", "Path=/"]);
    expect(attributes).to.not.include("Secure");
    expect(tokenInCookie(cookie)).to.match(/^ONSXG\./);
    issuedKeys.add(tokenInCookie(cookie));
  });

  it("a cookie session authenticates same-origin requests only: a cross-origin request with the cookie is not authenticated", async () => {
    await api.user("csrf-pw", "csrf password 1234");
    const cookie = `keyward_session=${tokenInCookie(cookieOf(await api.signIn("csrf-pw", "csrf password 1234", true)))}`;
    const host = new URL(api.base).host;
    expect((await api.whoAmI({ cookie, ...sameOrigin })).json.user.userId).to.equal("csrf-pw");
    expect((await api.whoAmI({ cookie, origin: `http://${host}` })).json.user.userId).to.equal("csrf-pw");
    expectRefused(await api.whoAmI({ cookie, "sec-fetch-site": "cross-site", origin: "https://evil.example" }), 401, "SESSION_INVALID");
    expectRefused(await api.whoAmI({ cookie, "sec-fetch-site": "same-site" }), 401, "SESSION_INVALID");
    expectRefused(await api.whoAmI({ cookie, origin: "https://evil.example" }), 401, "SESSION_INVALID");
    expectRefused(await api.whoAmI({ cookie, origin: `https://${host}` }), 401, "SESSION_INVALID");
    expectRefused(await api.whoAmI({ cookie }), 401, "SESSION_INVALID");
    // A forged cross-site write does nothing.
    const forged = await api.call("DELETE", "/api/v1/users/csrf-pw", { headers: { cookie, "sec-fetch-site": "cross-site" } });
    expectRefused(forged, 401, "SESSION_INVALID");
    expect((await api.call("GET", "/api/v1/users/csrf-pw", { headers: bearer(api.admin) })).status).to.equal(200);
    // A cross-origin request with an explicit API key is judged by the key, not the cookie.
    const key = await api.key("admin", [Right.USER_INFO]);
    const byKey = await api.whoAmI({ cookie, "sec-fetch-site": "cross-site", ...bearer(key) });
    expect(byKey.json.user.userId).to.equal("admin");
    expect(byKey.json.apiKey.id).to.equal(key.split(".")[1]);
  });

  it("a session takes precedence over an API key on the same call (cookie or header)", async () => {
    await api.user("prec-pw", "precedence password");
    const key = await api.key("admin", [Right.USER_INFO]);
    const token = await api.token("prec-pw", "precedence password");
    const viaCookie = await api.whoAmI({ cookie: `keyward_session=${token}`, ...sameOrigin, ...bearer(key) });
    expect(viaCookie.json.user.userId).to.equal("prec-pw");
    expect(viaCookie.json.session.id).to.equal(token.split(".")[1]);
    const viaHeader = await api.whoAmI({ ...bearer(token), "x-authorization": `ApiKey ${key}` });
    expect(viaHeader.json.user.userId).to.equal("prec-pw");
    expect(viaHeader.json.apiKey).to.equal(undefined);
    // A bad session is not rescued by a good key.
    expectRefused(await api.whoAmI({ cookie: `keyward_session=${token.slice(0, -4)}AAAA`, ...sameOrigin, ...bearer(key) }), 401, "CREDENTIALS_MALFORMED");
  });

  it("suspension ends the user's sessions at once, and reactivation does not bring them back", async () => {
    await api.user("susp-pw", "suspension password");
    const token = await api.token("susp-pw", "suspension password");
    expect((await api.whoAmI(bearer(token))).status).to.equal(200);
    const suspend = await api.call("PATCH", "/api/v1/users/susp-pw", { json: { state: "USER_STATE_SUSPENDED" }, headers: bearer(api.admin) });
    expect(suspend.status, suspend.text).to.equal(200);
    expect((await api.whoAmI(bearer(token))).status).to.equal(401);
    expectRefused(await api.signIn("susp-pw", "suspension password"), 401, "LOGIN_FAILED");
    await api.call("PATCH", "/api/v1/users/susp-pw", { json: { state: "USER_STATE_ACTIVE" }, headers: bearer(api.admin) });
    expectRefused(await api.whoAmI(bearer(token)), 401, "SESSION_INVALID");
    expect((await api.call("GET", "/api/v1/users/susp-pw/sessions", { headers: bearer(api.admin) })).json.totalSize).to.equal(0);
  });

  it("deleting the user ends its sessions; DeleteSession signs out and clears the cookie", async () => {
    await api.user("del-pw", "deletion password");
    const first = await api.token("del-pw", "deletion password");
    const second = await api.token("del-pw", "deletion password");
    const listed = await api.call("GET", "/api/v1/users/del-pw/sessions", { headers: bearer(first) });
    expect(listed.json.totalSize).to.equal(2);
    expect(listed.json.sessions[0]).to.have.all.keys("id", "userId", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "address");
    expect(listed.json.sessions[0].address).to.equal("127.0.0.1");
    const out = await api.call("DELETE", `/api/v1/users/del-pw/sessions/${second.split(".")[1]}`, { headers: bearer(second) });
    expect(out.status, out.text).to.equal(200);
    expect(cookieOf(out)).to.match(/^keyward_session=; .*Max-Age=0/);
    expectRefused(await api.whoAmI(bearer(second)), 401, "SESSION_INVALID");
    expectRefused(await api.call("DELETE", `/api/v1/users/del-pw/sessions/${second.split(".")[1]}`, { headers: bearer(first) }), 404, "SESSION_NOT_FOUND");
    expect((await api.call("DELETE", "/api/v1/users/del-pw", { headers: bearer(api.admin) })).status).to.equal(200);
    expectRefused(await api.whoAmI(bearer(first)), 401, "SESSION_INVALID");
  });

  it("a password change with revoke_all_sessions ends every other session of the user, and keeps the caller's", async () => {
    await api.user("revoke-pw", "revoke password one");
    const mine = await api.token("revoke-pw", "revoke password one");
    const others = [await api.token("revoke-pw", "revoke password one"), await api.token("revoke-pw", "revoke password one")];
    const changed = await api.setPassword("revoke-pw", bearer(mine), {
      currentPassword: "revoke password one",
      newPassword: "revoke password two",
      revokeAllSessions: true,
    });
    expect(changed.status, changed.text).to.equal(200);
    for (const other of others) expectRefused(await api.whoAmI(bearer(other)), 401, "SESSION_INVALID");
    expect((await api.whoAmI(bearer(mine))).status).to.equal(200);
    // Without the flag, sessions survive a change.
    const kept = await api.token("revoke-pw", "revoke password two");
    await api.setPassword("revoke-pw", bearer(api.admin), { newPassword: "revoke password three" });
    expect((await api.whoAmI(bearer(kept))).status).to.equal(200);
    // An admin's change with the flag ends them all.
    await api.setPassword("revoke-pw", bearer(api.admin), { newPassword: "revoke password four", revokeAllSessions: true });
    for (const token of [mine, kept]) expectRefused(await api.whoAmI(bearer(token)), 401, "SESSION_INVALID");
  });

  it("an unknown user and a wrong password get the same answer", async () => {
    await api.user("same-pw", "the right password");
    const unknown = await api.signIn("nobody-at-all", "the right password");
    const wrong = await api.signIn("same-pw", "the wrong password");
    const noPassword = await api.signIn("first-pw-none", "the right password");
    for (const reply of [unknown, wrong, noPassword]) expectRefused(reply, 401, "LOGIN_FAILED");
    expect(wrong.text).to.equal(unknown.text).and.equal(noPassword.text);
    expect(wrong.headers.get("www-authenticate")).to.equal(unknown.headers.get("www-authenticate"));
  });

  it("throttles repeated failures for a user id: RESOURCE_EXHAUSTED / LOGIN_THROTTLED with RetryInfo and Retry-After, before checking the password", async () => {
    await api.user("throttle-pw", "throttle password");
    // The third failure uses up the allowance and starts a wait; until it passes even the right password is not checked.
    for (let i = 0; i < 3; i++) expectRefused(await api.signIn("throttle-pw", `wrong password ${i}!`), 401, "LOGIN_FAILED");
    const throttled = await api.signIn("throttle-pw", "throttle password");
    expectRefused(throttled, 429, "LOGIN_THROTTLED");
    expect(Number(throttled.headers.get("retry-after"))).to.be.within(1, 2);
    const retry = (throttled.json.details as Json[]).find((d) => d["@type"] === "type.googleapis.com/google.rpc.RetryInfo");
    expect(retry?.retryDelay).to.match(/^\d+(\.\d+)?s$/);
    // Unknown user ids are throttled alike, so throttling tells nothing about who exists.
    for (let i = 0; i < 3; i++) await api.signIn("throttle-nobody", `wrong password ${i}!`);
    expectRefused(await api.signIn("throttle-nobody", "anything at all"), 429, "LOGIN_THROTTLED");
    // Other users are not affected, and after the wait the right password works.
    await api.user("throttle-other", "other throttle password");
    await api.token("throttle-other", "other throttle password");
    await sleep(Number(throttled.headers.get("retry-after")) * 1000 + 100);
    await api.token("throttle-pw", "throttle password");
  });

  it("no response carries a password or a password hash", () => {
    expect(texts.length).to.be.greaterThan(50);
    for (const text of texts) {
      expect(text).to.not.match(/\$argon2/);
      for (const password of passwordsSent) expect(text, text).to.not.include(password);
    }
  });
});

describe("e2e: session expiry (idle and absolute, short flag values)", function () {
  this.timeout(30_000);
  let server: ServerProcess;
  let api: Api;

  before(async () => {
    server = await startServer({ args: ["--session-idle-timeout", "1500ms", "--session-lifetime", "3s"] });
    api = new Api(server.httpUrl, server.adminKey());
    issuedKeys.add(api.admin);
    await api.user("expiry-pw", "expiry password 12");
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  it("ends a session unused for the idle timeout", async () => {
    const token = await api.token("expiry-pw", "expiry password 12");
    expect((await api.whoAmI(bearer(token))).status).to.equal(200);
    await sleep(1_800);
    expectRefused(await api.whoAmI(bearer(token)), 401, "SESSION_EXPIRED");
  });

  it("ends a session in use at its absolute end, and lists only live sessions", async () => {
    const token = await api.token("expiry-pw", "expiry password 12");
    const started = Date.now();
    // Used every 500 ms, well within the idle timeout, it still ends at 3 s.
    while (Date.now() - started < 2_500) {
      expect((await api.whoAmI(bearer(token))).status).to.equal(200);
      await sleep(500);
    }
    const live = await api.call("GET", "/api/v1/users/expiry-pw/sessions", { headers: bearer(api.admin) });
    expect(live.json.totalSize).to.equal(1);
    await sleep(Math.max(0, 3_200 - (Date.now() - started)));
    expectRefused(await api.whoAmI(bearer(token)), 401, "SESSION_EXPIRED");
    expect((await api.call("GET", "/api/v1/users/expiry-pw/sessions", { headers: bearer(api.admin) })).json.totalSize).to.equal(0);
  });
});

describe("e2e: the session cookie over TLS", function () {
  this.timeout(30_000);
  let server: ServerProcess;

  before(async () => {
    const support = fileURLToPath(new URL("../transport/support/", import.meta.url));
    server = await startServer({
      args: ["--tls-cert", `${support}tls-test-cert.pem`, "--tls-key", `${support}tls-test-key.pem`],
    });
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  it("is Secure when the server is served over TLS", async () => {
    const admin = server.adminKey();
    issuedKeys.add(admin);
    const send = (path: string, method: string, body: unknown, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((resolve, reject) => {
        const payload = JSON.stringify(body);
        const req = httpsRequest(
          `${server.httpUrl}${path}`,
          { method, ca: testTlsPair.cert, headers: { "content-type": "application/json", "content-length": Buffer.byteLength(payload), ...headers } },
          (res) => {
            res.resume();
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
          },
        );
        req.on("error", reject);
        req.end(payload);
      });
    expect((await send("/api/v1/users/admin/password", "PUT", { newPassword: "tls admin password" }, bearer(admin))).status).to.equal(200);
    const signedIn = await send("/api/v1/sessions", "POST", { userId: "admin", password: "tls admin password", setCookie: true });
    expect(signedIn.status).to.equal(200);
    const cookie = String(signedIn.headers["set-cookie"]);
    issuedKeys.add(tokenInCookie(cookie));
    expect(cookie.split(";").map((a) => a.trim())).to.include.members(["HttpOnly", "SameSite=Strict", "Path=/", "Secure"]);
  });
});

describe("e2e: sessions behind a TLS-terminating proxy (--trusted-proxies)", function () {
  this.timeout(30_000);
  let server: ServerProcess;
  let api: Api;

  before(async () => {
    server = await startServer({ args: ["--trusted-proxies", "127.0.0.1/32", "--login-free-failures", "100", "--login-free-failures-per-address", "2"] });
    api = new Api(server.httpUrl, server.adminKey());
    issuedKeys.add(api.admin);
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  it("the cookie is Secure when the proxy says the client came over https, and the https origin is same-origin", async () => {
    await api.user("proxied-pw", "behind the proxy, signed in");
    const viaHttps = { "x-forwarded-proto": "https", "x-forwarded-for": "198.51.100.7" };
    const signedIn = await api.call("POST", "/api/v1/sessions", { json: { userId: "proxied-pw", password: "behind the proxy, signed in", setCookie: true }, headers: viaHttps });
    expect(signedIn.status, signedIn.text).to.equal(200);
    const setCookie = cookieOf(signedIn);
    issuedKeys.add(tokenInCookie(setCookie));
    expect(setCookie.split(";").map((a) => a.trim())).to.include.members(["HttpOnly", "SameSite=Strict", "Secure"]);
    const cookie = `keyward_session=${tokenInCookie(setCookie)}`;
    const host = new URL(server.httpUrl).host;
    // A browser without fetch metadata: its Origin is the https one the proxy serves.
    expect((await api.whoAmI({ cookie, origin: `https://${host}`, ...viaHttps })).status).to.equal(200);
    expectRefused(await api.whoAmI({ cookie, origin: `http://${host}`, ...viaHttps }), 401, "SESSION_INVALID");
    // Sessions record the client the proxy names, not the proxy.
    const sessions = await api.call("GET", "/api/v1/users/proxied-pw/sessions", { headers: bearer(api.admin) });
    expect(sessions.json.sessions.map((s: Json) => s.address)).to.deep.equal(["198.51.100.7"]);
  });

  it("throttles sign-ins by the client the proxy names, so one client's failures do not lock out the others", async () => {
    await api.user("proxied-throttle", "the right password here");
    const from = (address: string) => ({ "x-forwarded-for": address });
    const attempt = (address: string, password: string) =>
      api.call("POST", "/api/v1/sessions", { json: { userId: "proxied-throttle", password }, headers: from(address) });
    passwordsSent.add("a wrong password here");
    // Two attempts per address, then a wait; the user id allows many more, so only the address is throttled.
    for (let i = 0; i < 2; i++) expectRefused(await attempt("203.0.113.1", "a wrong password here"), 401, "LOGIN_FAILED");
    expectRefused(await attempt("203.0.113.1", "a wrong password here"), 429, "LOGIN_THROTTLED");
    expect((await attempt("203.0.113.2", "the right password here")).status).to.equal(200);
  });
});
