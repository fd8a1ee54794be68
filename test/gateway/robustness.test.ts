/**
 * Nothing a client sends crashes the gateway or gets a 5xx: arbitrary methods, paths (real
 * route segments, escapes good and bad, verbs, empty segments), query strings, headers (credentials
 * good and bad, content types, timeouts) and bodies (JSON shaped like the API's, any JSON, garbage,
 * oversized), sent over real HTTP to the real services. Every error answer is `google.rpc.Status` JSON
 * without a stack trace, and nothing is logged as an internal error.
 */
import * as http from "node:http";
import { expect } from "chai";
import fc from "fast-check";
import { startInProcessServer, type InProcessServer } from "./support/in-process-server.js";

interface Sent {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

function send(server: InProcessServer, request: Sent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: server.url.hostname, port: server.url.port, method: request.method, path: request.path, headers: request.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    // The server may answer (413, 400) and close before an oversized body is fully sent.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? resolve({ status: 0, contentType: undefined, body: "" }) : reject(error)));
    req.end(request.body);
  });
}

const SEGMENTS = ["api", "v1", "users", "api-keys", "auth_info", "admin", "alice", "bob", "", "..", ".", "docs", "openapi.json", "%2F", "%2f", "%zz", "%E2%82", "%00", "a%20b", "k:regenerate", ":regenerate", "x:", "keyward.v1.UserRegistry", "GetUser", "*", "**"];
const QUERY_KEYS = ["pageSize", "page_size", "pageToken", "state", "query", "update_mask", "updateMask", "user_id", "userId", "apiKey.name", "api_key.rights", "user.name", "gracePeriod", "foo", "", "a.b.c", "__proto__", "constructor"];
const QUERY_VALUES = ["1", "0", "-1", "1001", "99999999999", "abc", "API_KEY_STATE_ACTIVE", "2", "name,rights", "expiresAt", "", "%", "%zz", "true", "3600s", "NaN"];

const pathArb = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom(...SEGMENTS), fc.stringMatching(/^[A-Za-z0-9._~%:-]{0,12}$/)), { minLength: 0, maxLength: 7 }),
    fc.option(fc.constantFrom(":regenerate", ":", ":x", "%3Aregenerate")),
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...QUERY_KEYS), fc.stringMatching(/^[A-Za-z_.]{1,10}$/)), fc.oneof(fc.constantFrom(...QUERY_VALUES), fc.string({ maxLength: 8 }))), { maxLength: 4 }),
  )
  .map(([segments, verb, query]) => {
    const q = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    return `/${segments.join("/")}${verb ?? ""}${q ? `?${q}` : ""}`;
  });

/** Requests on real routes, with the query keys each takes, so bodies and queries reach the transcoder and the services. */
const ROUTE_CASES: ReadonlyArray<readonly [method: string, path: string, keys: readonly string[]]> = [
  ["GET", "/api/v1/users", ["pageSize", "page_size", "pageToken"]],
  ["POST", "/api/v1/users", []],
  ["GET", "/api/v1/users/alice", []],
  ["PATCH", "/api/v1/users/alice", ["update_mask", "updateMask"]],
  ["DELETE", "/api/v1/users/bob", []],
  ["POST", "/api/v1/users/alice/api-keys", []],
  ["GET", "/api/v1/users/alice/api-keys", ["pageSize", "page_size", "pageToken", "state", "query"]],
  ["GET", "/api/v1/users/alice/api-keys/AAAA", []],
  ["PATCH", "/api/v1/users/alice/api-keys/AAAA", ["update_mask", "updateMask"]],
  ["DELETE", "/api/v1/users/alice/api-keys/AAAA", []],
  ["POST", "/api/v1/users/alice/api-keys/AAAA:regenerate", []],
  ["GET", "/api/v1/auth_info", []],
];
const QUERY_VALUES_BY_KEY: Readonly<Record<string, readonly string[]>> = {
  pageSize: ["1", "0", "1000", "1001", "-1", "x"],
  page_size: ["2", "50", "abc"],
  pageToken: ["", "bogus", "eyJ0IjoxfQ"],
  state: ["API_KEY_STATE_ACTIVE", "API_KEY_STATE_DISABLED", "1", "2", "9", "NOPE"],
  query: ["prod", "", "%"],
  update_mask: ["name", "name,rights", "expiresAt", "admin,state", "nope", "created_at", ""],
  updateMask: ["name,email", "state"],
};
const routeRequestArb = fc.constantFrom(...ROUTE_CASES).chain(([method, path, keys]) =>
  fc.tuple(
    fc.constant(method),
    fc.constant(path),
    keys.length === 0
      ? fc.constant([] as Array<[string, string]>)
      : fc.array(fc.constantFrom(...keys).chain((k) => fc.tuple(fc.constant(k), fc.constantFrom(...(QUERY_VALUES_BY_KEY[k] ?? [""])))), { maxLength: 3 }),
  ),
);

const RIGHTS = ["RIGHT_USER_INFO", "RIGHT_USER_ALL", "RIGHT_ADMIN_ALL", "RIGHT_ALL", "RIGHT_INVALID", "RIGHT_NOPE", 3, 99, -1, null];
const apiShapedBody = fc
  .record(
    {
      userId: fc.oneof(fc.constantFrom("alice", "bob", "admin", "Bad Id", "", "a"), fc.string({ maxLength: 40 })),
      user_id: fc.constantFrom("alice", 5),
      name: fc.oneof(fc.string({ maxLength: 60 }), fc.integer()),
      email: fc.constantFrom("a@example.com", "nope", ""),
      admin: fc.oneof(fc.boolean(), fc.constant("yes")),
      state: fc.constantFrom("USER_STATE_SUSPENDED", "API_KEY_STATE_DISABLED", 1, 7, "X"),
      rights: fc.oneof(fc.array(fc.constantFrom(...RIGHTS), { maxLength: 4 }), fc.constant("RIGHT_ALL")),
      expiresAt: fc.constantFrom("2099-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "tomorrow", 5, null),
      gracePeriod: fc.constantFrom("60s", "1h", "-5s", "999999999s", 3),
      user: fc.constantFrom({ userId: "carol", name: "C" }, "x", [], null),
      nmae: fc.string({ maxLength: 5 }),
    },
    { requiredKeys: [] },
  )
  .map((o) => JSON.stringify(o));
const bodyArb = fc.option(
  fc.oneof(
    apiShapedBody,
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 40 }),
    fc.constantFrom("", "{", "[]", "null", '{"user":{"userId":"dave"}}', "\uFEFF{}", "x".repeat(5000), `{"name":"${"a".repeat(5000)}"}`),
  ),
  { nil: undefined },
);

describe("gateway: nothing a client sends gets a 5xx or crashes the server", function () {
  this.timeout(120_000);
  let server: InProcessServer;
  before(async () => (server = await startInProcessServer({ bodyLimit: 4096 })));
  after(() => server.stop());

  const headersArb = (admin: () => string) =>
    fc
      .record(
        {
          authorization: fc.constantFrom("admin", "Bearer garbage", "Basic abc", "Bearer ", "bearer admin", "NNSXS.x.y"),
          "x-authorization": fc.constantFrom("ApiKey admin", "ApiKey nope", "Bearer admin"),
          "content-type": fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "application/problem+json", "", "application/grpc"),
          "x-server-timeout": fc.constantFrom("5", "abc", "-1", "1e3", "30.5", ""),
          "connect-protocol-version": fc.constant("1"),
        },
        { requiredKeys: [] },
      )
      .map((headers) => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(headers)) out[name] = value.replace("admin", admin()).replace(/^Bearer admin$/, `Bearer ${admin()}`);
        return out;
      });

  function check(sent: Sent, answer: Answer): void {
    const what = `${sent.method} ${sent.path} → ${answer.status} ${answer.body.slice(0, 300)}`;
    expect(answer.status, what).to.be.below(500);
    expect(answer.body, what).not.to.match(/\n\s+at /);
    if (answer.status >= 400 && answer.body !== "" && answer.contentType === "application/json") {
      const status = JSON.parse(answer.body) as { code: unknown; message: unknown; details?: Array<{ reason?: string }> };
      expect(status.code, what).to.be.a("number");
      expect(status.message, what).to.be.a("string");
      expect(status.details?.some((d) => typeof d.reason === "string"), `${what}: every error carries an ErrorInfo reason`).to.equal(true);
    }
  }

  it("arbitrary requests anywhere", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "get", "TRACE"),
        pathArb,
        headersArb(() => server.adminKey),
        bodyArb,
        async (method, path, headers, body) => {
          const sent = { method, path, headers, body };
          check(sent, await send(server, sent));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("arbitrary requests on real routes, mostly authorized, reaching the transcoder and the services", async () => {
    await fc.assert(
      fc.asyncProperty(
        routeRequestArb,
        fc.constantFrom("application/json", "application/json; charset=utf-8", "text/plain"),
        fc.constantFrom("Bearer admin", "ApiKey admin", "none"),
        bodyArb,
        async ([method, path, query], contentType, credential, maybeBody) => {
          const headers: Record<string, string> = { "content-type": contentType };
          if (credential === "Bearer admin") headers.authorization = `Bearer ${server.adminKey}`;
          if (credential === "ApiKey admin") headers["x-authorization"] = `ApiKey ${server.adminKey}`;
          const q = query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
          // GET and DELETE take no body: send one only now and then.
          const body = method === "GET" || method === "DELETE" ? (maybeBody?.length === 5000 ? maybeBody : undefined) : maybeBody;
          const sent = { method, path: q === "" ? path : `${path}?${q}`, headers, body };
          check(sent, await send(server, sent));
        },
      ),
      { numRuns: 400 },
    );
  });

  it("is still serving afterwards, and logged no internal error", async () => {
    const answer = await send(server, { method: "GET", path: "/api/v1/auth_info", headers: { authorization: `Bearer ${server.adminKey}` }, body: undefined });
    expect(answer.status).to.equal(200);
    expect(server.logLines.filter((line) => line.includes('"level":"error"'))).to.deep.equal([]);
  });
});
