/**
 * The REST gateway over real HTTP against the real server (ARCHITECTURE.md, "The API", "Credentials and errors" and "The REST gateway"): every RPC through
 * its `google.api.http` binding with plain `fetch`, the JSON shapes (camelCase, `response_body`
 * unwrapped, enums by name), both credential headers, the error statuses with `google.rpc.Status`
 * bodies, the secret only in create and regenerate answers, and the OpenAPI document and docs page
 * served from this process alone.
 */
import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { uniqueUserId } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

/** A parsed JSON body of any shape. */
type Json = Record<string, any>;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly json: Json;
}

interface CallOptions {
  /** `Authorization: Bearer <key>`. */
  readonly bearer?: string;
  /** `X-Authorization: ApiKey <key>`. */
  readonly apiKey?: string;
  /** Sent as JSON with `content-type: application/json`. */
  readonly json?: unknown;
  /** Sent as is. */
  readonly body?: string;
  readonly headers?: Record<string, string>;
}

describe("e2e: REST gateway", function () {
  const sut = useServer();
  /** Every response text of the run except create/regenerate answers: none may hold a secret. */
  const secretFreeTexts: string[] = [];

  async function call(method: string, path: string, options: CallOptions = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    if (options.apiKey !== undefined) headers["x-authorization"] = `ApiKey ${options.apiKey}`;
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      headers["content-type"] ??= "application/json";
    }
    const response = await fetch(`${sut.server.httpUrl}${path}`, { method, headers, body });
    const text = await response.text();
    let json: Json = {};
    try {
      json = JSON.parse(text) as Json;
    } catch {
      // not JSON (the docs page and its assets)
    }
    const reply = { status: response.status, headers: response.headers, text, json };
    if (!/\/api-keys(\/[^/]+:regenerate)?$/.test(path.split("?")[0]!) || method !== "POST") secretFreeTexts.push(text);
    return reply;
  }

  /** As the admin. */
  const admin = (method: string, path: string, options: CallOptions = {}) => call(method, path, { bearer: sut.admin, ...options });

  /** Asserts an error answer: HTTP status, numeric code, ErrorInfo reason; returns the Status JSON. */
  function expectError(reply: Reply, status: number, code: number, reason: string): Json {
    expect(reply.status, reply.text).to.equal(status);
    expect(reply.headers.get("content-type")).to.equal("application/json");
    expect(reply.json.code, reply.text).to.equal(code);
    expect(reply.json.message).to.be.a("string").and.not.match(/\n\s+at /);
    const info = (reply.json.details as Json[]).find((d) => d["@type"] === "type.googleapis.com/google.rpc.ErrorInfo");
    expect(info, reply.text).to.deep.include({ reason, domain: "keyward" });
    return reply.json;
  }

  async function createUser(options: { admin?: boolean } = {}): Promise<string> {
    const userId = uniqueUserId("rest");
    const reply = await admin("POST", "/api/v1/users", { json: { userId, name: `User ${userId}`, admin: options.admin ?? false } });
    expect(reply.status, reply.text).to.equal(200);
    return userId;
  }

  async function createKey(userId: string, rights: string[], name = "rest"): Promise<{ id: string; key: string; json: Json }> {
    const reply = await admin("POST", `/api/v1/users/${userId}/api-keys`, { json: { name, rights } });
    expect(reply.status, reply.text).to.equal(200);
    issuedKeys.add(reply.json.key as string);
    return { id: reply.json.apiKey.id as string, key: reply.json.key as string, json: reply.json };
  }

  describe("UserRegistry", () => {
    it("CreateUser: POST /api/v1/users, body `user` → 200 with the user in camelCase, defaults included", async () => {
      const userId = uniqueUserId("rest");
      const reply = await admin("POST", "/api/v1/users", { json: { user_id: userId, name: "Rest User", email: "rest@example.com" } });
      expect(reply.status, reply.text).to.equal(200);
      expect(reply.headers.get("content-type")).to.equal("application/json");
      expect(reply.headers.get("cache-control")).to.equal("no-store");
      const user = reply.json.user as Json;
      // `password` is input only (and `optional`): no response names it, not even empty.
      expect(Object.keys(user)).to.deep.equal(["userId", "name", "email", "admin", "state", "createdAt", "updatedAt", "hasPassword", "tenantId"]);
      expect(user).to.include({ userId, name: "Rest User", email: "rest@example.com", admin: false, state: "USER_STATE_ACTIVE" });
      expect(Date.parse(user.createdAt as string)).to.be.closeTo(Date.now(), 60_000);
      expectError(await admin("POST", "/api/v1/users", { json: { userId } }), 409, 6, "USER_ALREADY_EXISTS");
    });

    it("CreateUser refuses bad input with 400 naming each field", async () => {
      const json = expectError(await admin("POST", "/api/v1/users", { json: { userId: "Not Valid", email: "nope" } }), 400, 3, "VALIDATION_FAILED");
      const violations = (json.details as Json[]).find((d) => d["@type"] === "type.googleapis.com/google.rpc.BadRequest")!.fieldViolations as Json[];
      expect(violations.map((v) => v.field)).to.deep.equal(["user.user_id", "user.email"]);
      const unknown = expectError(await admin("POST", "/api/v1/users", { json: { userId: "x-y-z", nmae: "typo", admin: "yes" } }), 400, 3, "VALIDATION_FAILED");
      expect(unknown.message).to.equal("invalid request: user.nmae: unknown field of keyward.v1.User; user.admin: must be true or false");
    });

    it("GetUser: GET /api/v1/users/{user_id} → the user object itself (response_body)", async () => {
      const userId = await createUser();
      const reply = await admin("GET", `/api/v1/users/${userId}`);
      expect(reply.status).to.equal(200);
      expect(reply.json).to.include({ userId, name: `User ${userId}`, state: "USER_STATE_ACTIVE" });
      expect(reply.json).not.to.have.property("user");
      expectError(await admin("GET", "/api/v1/users/nobody-here"), 404, 5, "USER_NOT_FOUND");
    });

    it("ListUsers: GET /api/v1/users?pageSize= pages newest first with nextPageToken and totalSize", async () => {
      const older = await createUser();
      const newer = await createUser();
      const first = await admin("GET", "/api/v1/users?pageSize=1");
      expect(first.status).to.equal(200);
      expect((first.json.users as Json[]).map((u) => u.userId)).to.deep.equal([newer]);
      expect(first.json.totalSize).to.be.at.least(3);
      const second = await admin("GET", `/api/v1/users?page_size=1&pageToken=${encodeURIComponent(first.json.nextPageToken as string)}`);
      expect((second.json.users as Json[]).map((u) => u.userId)).to.deep.equal([older]);
      expectError(await admin("GET", "/api/v1/users?pageSize=5000"), 400, 3, "VALIDATION_FAILED");
    });

    it("UpdateUser: PATCH with ?update_mask, and with the mask inferred from the body's keys", async () => {
      const userId = await createUser();
      const masked = await admin("PATCH", `/api/v1/users/${userId}?update_mask=name`, { json: { name: "Renamed", email: "ignored@example.com" } });
      expect(masked.status, masked.text).to.equal(200);
      expect(masked.json.user).to.include({ name: "Renamed", email: "" });
      const inferred = await admin("PATCH", `/api/v1/users/${userId}`, { json: { userId, email: "new@example.com" } });
      expect(inferred.status, inferred.text).to.equal(200);
      expect(inferred.json.user).to.include({ userId, name: "Renamed", email: "new@example.com" });
      const readOnly = expectError(await admin("PATCH", `/api/v1/users/${userId}`, { json: { createdAt: "2020-01-01T00:00:00Z" } }), 400, 3, "VALIDATION_FAILED");
      expect(readOnly.message).to.contain("`created_at` cannot be changed");
      expectError(await admin("PATCH", `/api/v1/users/${userId}?update_mask=nope`, { json: {} }), 400, 3, "VALIDATION_FAILED");
    });

    it("DeleteUser: DELETE /api/v1/users/{user_id} → {} and the user is gone", async () => {
      const userId = await createUser();
      const reply = await admin("DELETE", `/api/v1/users/${userId}`);
      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({});
      expectError(await admin("GET", `/api/v1/users/${userId}`), 404, 5, "USER_NOT_FOUND");
    });
  });

  describe("ApiKeyRegistry", () => {
    it("CreateApiKey: POST /api/v1/users/{user_id}/api-keys, body `*` → the key's metadata and the full key once", async () => {
      const userId = await createUser();
      const { id, key, json } = await createKey(userId, ["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_API_KEYS"], "ci");
      expect(key).to.match(/^NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}$/);
      expect(key.split(".")[1]).to.equal(id);
      expect(json.apiKey).to.include({ userId, name: "ci", state: "API_KEY_STATE_ACTIVE" });
      expect(json.apiKey.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_API_KEYS"]);
      // The path names the owner; a user id in the body does not change it.
      const other = await admin("POST", `/api/v1/users/${userId}/api-keys`, { json: { userId: "admin", rights: [Right.USER_INFO] } });
      issuedKeys.add(other.json.key as string);
      expect(other.json.apiKey.userId).to.equal(userId);
      expectError(await admin("POST", `/api/v1/users/${userId}/api-keys`, { json: { rights: [] } }), 400, 3, "VALIDATION_FAILED");
      expectError(await admin("POST", "/api/v1/users/nobody-here/api-keys", { json: { rights: ["RIGHT_USER_INFO"] } }), 404, 5, "USER_NOT_FOUND");
    });

    it("GetApiKey: GET .../api-keys/{key_id} → the key object itself, without any secret", async () => {
      const userId = await createUser();
      const { id } = await createKey(userId, ["RIGHT_USER_INFO"]);
      const reply = await admin("GET", `/api/v1/users/${userId}/api-keys/${id}`);
      expect(reply.status).to.equal(200);
      expect(reply.json).to.include({ id, userId, name: "rest", state: "API_KEY_STATE_ACTIVE" });
      expect(reply.json).not.to.have.property("key");
      expect(reply.json).not.to.have.property("apiKey");
    });

    it("ListApiKeys: filters by state (enum name) and by name query, pages with pageSize", async () => {
      const userId = await createUser();
      const prod = await createKey(userId, ["RIGHT_USER_INFO"], "Production gateway");
      const staging = await createKey(userId, ["RIGHT_USER_INFO"], "staging");
      const disabled = await admin("PATCH", `/api/v1/users/${userId}/api-keys/${staging.id}`, { json: { state: "API_KEY_STATE_DISABLED" } });
      expect(disabled.status, disabled.text).to.equal(200);
      const all = await admin("GET", `/api/v1/users/${userId}/api-keys`);
      expect((all.json.apiKeys as Json[]).map((k) => k.id)).to.deep.equal([staging.id, prod.id]);
      expect(all.json.totalSize).to.equal(2);
      const byState = await admin("GET", `/api/v1/users/${userId}/api-keys?state=API_KEY_STATE_DISABLED`);
      expect((byState.json.apiKeys as Json[]).map((k) => k.id)).to.deep.equal([staging.id]);
      const byNumber = await admin("GET", `/api/v1/users/${userId}/api-keys?state=1`);
      expect((byNumber.json.apiKeys as Json[]).map((k) => k.id)).to.deep.equal([prod.id]);
      const byQuery = await admin("GET", `/api/v1/users/${userId}/api-keys?query=PRODUCTION`);
      expect((byQuery.json.apiKeys as Json[]).map((k) => k.id)).to.deep.equal([prod.id]);
      const paged = await admin("GET", `/api/v1/users/${userId}/api-keys?pageSize=1`);
      expect((paged.json.apiKeys as Json[]).map((k) => k.id)).to.deep.equal([staging.id]);
      expect(paged.json.nextPageToken).to.be.a("string").and.not.equal("");
      const bad = expectError(await admin("GET", `/api/v1/users/${userId}/api-keys?state=NOPE&color=red`), 400, 3, "VALIDATION_FAILED");
      expect(bad.message).to.contain("state: must be one of").and.contain("color: unknown query parameter");
    });

    it("UpdateApiKey: PATCH with an inferred mask disables a key at once; ?update_mask re-enables it", async () => {
      const userId = await createUser();
      const { id, key } = await createKey(userId, ["RIGHT_USER_INFO"]);
      expect((await call("GET", "/api/v1/auth_info", { bearer: key })).status).to.equal(200);
      const disable = await admin("PATCH", `/api/v1/users/${userId}/api-keys/${id}`, { json: { state: "API_KEY_STATE_DISABLED" } });
      expect(disable.status, disable.text).to.equal(200);
      expect(disable.json.apiKey).to.include({ id, state: "API_KEY_STATE_DISABLED", name: "rest" });
      const refused = await call("GET", "/api/v1/auth_info", { bearer: key });
      expectError(refused, 401, 16, "API_KEY_DISABLED");
      expect(refused.headers.get("www-authenticate")).to.equal('Bearer realm="keyward", error="invalid_token"');
      const enable = await admin("PATCH", `/api/v1/users/${userId}/api-keys/${id}?update_mask=state`, { json: { state: "API_KEY_STATE_ACTIVE", name: "not applied" } });
      expect(enable.json.apiKey).to.include({ state: "API_KEY_STATE_ACTIVE", name: "rest" });
      expect((await call("GET", "/api/v1/auth_info", { bearer: key })).status).to.equal(200);
      const rights = await admin("PATCH", `/api/v1/users/${userId}/api-keys/${id}`, { json: { rights: ["RIGHT_USER_INFO", "RIGHT_USER_DELETE"], expiresAt: "2099-01-01T00:00:00Z" } });
      expect(rights.json.apiKey).to.include({ expiresAt: "2099-01-01T00:00:00Z" });
      expect(rights.json.apiKey.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_DELETE"]);
    });

    it("DeleteApiKey: DELETE → {} and the key is refused from then on", async () => {
      const userId = await createUser();
      const { id, key } = await createKey(userId, ["RIGHT_USER_INFO"]);
      const reply = await admin("DELETE", `/api/v1/users/${userId}/api-keys/${id}`);
      expect(reply.status).to.equal(200);
      expect(reply.json).to.deep.equal({});
      expectError(await call("GET", "/api/v1/auth_info", { bearer: key }), 401, 16, "API_KEY_INVALID");
      expectError(await admin("GET", `/api/v1/users/${userId}/api-keys/${id}`), 404, 5, "API_KEY_NOT_FOUND");
    });

    it("RegenerateApiKey: POST .../{key_id}:regenerate → same id, new secret; the old one stops at once or after the grace period", async () => {
      const userId = await createUser();
      const first = await createKey(userId, ["RIGHT_USER_INFO"]);
      const reply = await admin("POST", `/api/v1/users/${userId}/api-keys/${first.id}:regenerate`, { json: {} });
      expect(reply.status, reply.text).to.equal(200);
      const second = reply.json.key as string;
      issuedKeys.add(second);
      expect(second.split(".")[1]).to.equal(first.id);
      expect(second).not.to.equal(first.key);
      expectError(await call("GET", "/api/v1/auth_info", { bearer: first.key }), 401, 16, "API_KEY_INVALID");
      expect((await call("GET", "/api/v1/auth_info", { bearer: second })).status).to.equal(200);

      const graced = await admin("POST", `/api/v1/users/${userId}/api-keys/${first.id}:regenerate`, { json: { gracePeriod: "600s" } });
      issuedKeys.add(graced.json.key as string);
      expect(Date.parse(graced.json.apiKey.previousSecretValidUntil as string)).to.be.closeTo(Date.now() + 600_000, 60_000);
      expect((await call("GET", "/api/v1/auth_info", { bearer: second })).status).to.equal(200);
      expect((await call("GET", "/api/v1/auth_info", { bearer: graced.json.key as string })).status).to.equal(200);
      expectError(await admin("POST", `/api/v1/users/${userId}/api-keys/${first.id}:regenerate`, { json: { gracePeriod: "1h" } }), 400, 3, "VALIDATION_FAILED");
      expectError(await admin("POST", `/api/v1/users/${userId}/api-keys/${first.id}:rotate`, { json: {} }), 404, 5, "ROUTE_NOT_FOUND");
    });
  });

  describe("AuthService and credentials", () => {
    it("GetAuthInfo: GET /api/v1/auth_info with Bearer or X-Authorization: ApiKey", async () => {
      const userId = await createUser();
      const { id, key } = await createKey(userId, ["RIGHT_USER_ALL"]);
      for (const reply of [await call("GET", "/api/v1/auth_info", { bearer: key }), await call("GET", "/api/v1/auth_info", { apiKey: key })]) {
        expect(reply.status, reply.text).to.equal(200);
        expect(reply.json.user).to.include({ userId });
        expect(reply.json.apiKey).to.include({ id, userId });
        expect(reply.json.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_BASIC", "RIGHT_USER_SETTINGS_API_KEYS", "RIGHT_USER_DELETE", "RIGHT_USER_ALL", "RIGHT_USER_EVENTS_READ"]);
      }
    });

    it("401 without credentials: WWW-Authenticate Bearer realm, no error= (RFC 6750)", async () => {
      const reply = await call("GET", "/api/v1/auth_info");
      expectError(reply, 401, 16, "CREDENTIALS_MISSING");
      expect(reply.headers.get("www-authenticate")).to.equal('Bearer realm="keyward"');
      const malformed = await call("GET", "/api/v1/users", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
      expectError(malformed, 401, 16, "CREDENTIALS_MALFORMED");
      expect(malformed.headers.get("www-authenticate")).to.equal('Bearer realm="keyward", error="invalid_token"');
    });

    it("403 for a key lacking the right, or a non-admin naming another user", async () => {
      const userId = await createUser();
      const { key } = await createKey(userId, ["RIGHT_USER_INFO"]);
      const list = expectError(await call("GET", "/api/v1/users", { bearer: key }), 403, 7, "INSUFFICIENT_RIGHTS");
      expect(list.message).to.contain("RIGHT_ADMIN_USERS_READ");
      expectError(await call("GET", "/api/v1/users/admin", { apiKey: key }), 403, 7, "INSUFFICIENT_RIGHTS");
      expect((await call("GET", `/api/v1/users/${userId}`, { apiKey: key })).status).to.equal(200);
    });

    it("404 for another user's key id under one's own path", async () => {
      const mine = await createUser();
      const theirs = await createUser();
      const { key } = await createKey(mine, ["RIGHT_USER_SETTINGS_API_KEYS"]);
      const other = await createKey(theirs, ["RIGHT_USER_INFO"]);
      expectError(await call("GET", `/api/v1/users/${mine}/api-keys/${other.id}`, { bearer: key }), 404, 5, "API_KEY_NOT_FOUND");
    });
  });

  describe("gateway errors", () => {
    it("404 for an unknown path, 405 with Allow for a known path with another method", async () => {
      expectError(await admin("GET", "/api/v1/nothing"), 404, 5, "ROUTE_NOT_FOUND");
      expectError(await admin("GET", "/api/v1/users/"), 404, 5, "ROUTE_NOT_FOUND");
      const wrong = await admin("PUT", "/api/v1/users/admin", { json: {} });
      expectError(wrong, 405, 12, "METHOD_NOT_ALLOWED");
      expect(wrong.headers.get("allow")).to.equal("DELETE, GET, PATCH");
      expect((await admin("DELETE", "/api/v1/auth_info")).headers.get("allow")).to.equal("GET");
    });

    it("400 for malformed JSON, a body where none is allowed, and a bad timeout header", async () => {
      const malformed = expectError(await admin("POST", "/api/v1/users", { body: '{"userId": ', headers: { "content-type": "application/json" } }), 400, 3, "MALFORMED_JSON");
      expect(malformed.message).to.match(/^request body is not valid JSON: /);
      const withBody = await admin("DELETE", "/api/v1/users/nobody-here", { json: { a: 1 } });
      expectError(withBody, 400, 3, "BODY_NOT_ALLOWED");
      expect(withBody.json.message).to.equal("DELETE /api/v1/users/{user_id} takes no request body");
      expectError(await admin("GET", "/api/v1/auth_info", { headers: { "x-server-timeout": "soon" } }), 400, 3, "VALIDATION_FAILED");
      expect((await admin("GET", "/api/v1/auth_info", { headers: { "x-server-timeout": "30" } })).status).to.equal(200);
    });

    it("400 when a query parameter tries to override the path", async () => {
      const reply = expectError(await admin("GET", "/api/v1/users/admin?user_id=someone-else"), 400, 3, "VALIDATION_FAILED");
      expect(reply.message).to.contain("`user_id` is set by the URL path and cannot be set from the query");
    });

    it("413 for a body over the limit (64 KiB by default), 415 for a body that is not JSON", async () => {
      const big = JSON.stringify({ userId: "big-body", name: "x".repeat(64 * 1024 + 10) });
      const tooLarge = await admin("POST", "/api/v1/users", { body: big, headers: { "content-type": "application/json" } });
      expectError(tooLarge, 413, 8, "BODY_TOO_LARGE");
      expect(tooLarge.headers.get("connection")).to.equal("close");
      const text = await admin("POST", "/api/v1/users", { body: "userId=x", headers: { "content-type": "text/plain" } });
      expectError(text, 415, 3, "UNSUPPORTED_MEDIA_TYPE");
      // The server is fine afterwards.
      expect((await admin("GET", "/api/v1/auth_info")).status).to.equal(200);
    });
  });

  describe("OpenAPI and docs", () => {
    it("GET /openapi.json: the OpenAPI 3.1 document of every route", async () => {
      const reply = await call("GET", "/openapi.json");
      expect(reply.status).to.equal(200);
      expect(reply.headers.get("content-type")).to.equal("application/json");
      expect(reply.json.openapi).to.equal("3.1.0");
      const operations = Object.values(reply.json.paths as Json).flatMap((methods) => Object.keys(methods as Json));
      // The services' 28 routes (ListEvents and WebhookRegistry's six among them; StreamEvents has none),
      // plus forward auth (/api/v1/auth/check).
      expect(operations).to.have.length(30); // self-rotation has its own path
      expect(Object.keys(reply.json.components.securitySchemes)).to.deep.equal(["bearer", "ApiKey"]);
    });

    it("GET /docs: swagger-ui from this server only, pointed at /openapi.json, with a strict CSP", async () => {
      const page = await call("GET", "/docs");
      expect(page.status).to.equal(200);
      expect(page.headers.get("content-type")).to.equal("text/html; charset=utf-8");
      expect(page.headers.get("x-content-type-options")).to.equal("nosniff");
      const csp = page.headers.get("content-security-policy")!;
      expect(csp).to.contain("default-src 'none'").and.contain("script-src 'self'").and.contain("connect-src 'self'");
      expect(csp).not.to.match(/https?:|\*/);
      const references = [...page.text.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
      expect(references).to.have.length(4);
      expect(page.text).not.to.match(/https?:\/\//);
      for (const reference of references) {
        expect(reference).to.match(/^\/docs\//);
        const asset = await call("GET", reference);
        expect(asset.status, reference).to.equal(200);
        expect(asset.text.length, reference).to.be.greaterThan(0);
      }
      const init = await call("GET", "/docs/keyward-docs.js");
      expect(init.text).to.contain('url: "/openapi.json"').and.contain("persistAuthorization: false").and.contain("validatorUrl: null");
      expect(init.text).not.to.match(/https?:\/\//);
      expect((await call("GET", "/docs/")).status).to.equal(200);
      expectError(await call("GET", "/docs/index.html"), 404, 5, "ROUTE_NOT_FOUND");
      const post = await call("POST", "/docs", { json: {} });
      expectError(post, 405, 12, "METHOD_NOT_ALLOWED");
      expect(post.headers.get("allow")).to.equal("GET, HEAD");
    });
  });

  // Last: mocha runs a suite's own tests before its nested suites.
  describe("secrets", () => {
    it("never shows a secret outside the create and regenerate answers", () => {
      expect(issuedKeys.size).to.be.greaterThan(10);
      const everything = secretFreeTexts.join("\n");
      expect(everything).to.contain('"apiKeys"').and.contain('"rights"'); // the texts are there to scan
      for (const key of issuedKeys) expect(everything).not.to.contain(key.split(".")[2]!);
    });
  });
});
