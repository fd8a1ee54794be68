/**
 * Request building (src/gateway/rest/transcode-request.ts, url-fields.ts, transport/json-decoding.ts): body `*`, body
 * field and no body; path variables over the body; query parameters by JSON or proto name, dotted, with
 * repeated keys, enums by name or number, timestamps, durations and field masks; refused keys named; the
 * inferred update mask; strict JSON naming every bad field.
 */
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyState, ListApiKeysRequestSchema, RegenerateApiKeyRequestSchema, UpdateApiKeyRequestSchema, type ApiKey } from "../../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { UserSchema, type User } from "../../../gen/keyward/v1/user_pb.js";
import { KeywardError } from "../../../src/errors/errors.js";
import type { RestRoute } from "../../../src/gateway/rest/http-rules.js";
import { transcodeRequest } from "../../../src/gateway/rest/transcode-request.js";
import { customRoute, getRoute, keywardRoute } from "../support/routes.js";

type Fields = Record<string, unknown>;

function build(route: RestRoute, options: { captures?: string[]; query?: string; body?: unknown } = {}): Fields {
  return transcodeRequest(route, {
    captures: options.captures ?? [],
    query: new URLSearchParams(options.query ?? ""),
    body: options.body as never,
  }) as unknown as Fields;
}

/** The violations of a refused build, as `field: description` lines. */
function refusal(route: RestRoute, options: Parameters<typeof build>[1]): string[] {
  try {
    build(route, options);
  } catch (error) {
    expect(error).to.be.instanceOf(KeywardError);
    const e = error as KeywardError;
    expect(e.reason).to.equal("VALIDATION_FAILED");
    return e.violations.map((v) => `${v.field}: ${v.description}`);
  }
  return expect.fail("expected the request to be refused");
}

describe("gateway/transcode-request", () => {
  describe("body", () => {
    it("body `user`: the JSON goes into that field, JSON or proto names", () => {
      const route = keywardRoute("UserRegistry_CreateUser");
      expect((build(route, { body: { userId: "alice", name: "Alice", admin: true } }).user as User).userId).to.equal("alice");
      const user = build(route, { body: { user_id: "bob", email: "b@example.com" } }).user as User;
      expect([user.userId, user.email]).to.deep.equal(["bob", "b@example.com"]);
    });

    it("body `*`: the JSON is the whole message, and path variables override it", () => {
      const route = keywardRoute("ApiKeyRegistry_CreateApiKey");
      const request = build(route, {
        captures: ["alice"],
        body: { userId: "mallory", name: "ci", rights: ["RIGHT_USER_INFO", 3], expiresAt: "2030-01-31T12:00:00Z" },
      });
      expect(request.userId).to.equal("alice");
      expect(request.name).to.equal("ci");
      expect(request.rights).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]);
      expect(timestampDate(request.expiresAt as never).toISOString()).to.equal("2030-01-31T12:00:00.000Z");
    });

    it("a route with a body and none sent gets an empty message plus the path", () => {
      const request = build(keywardRoute("ApiKeyRegistry_RegenerateApiKey"), { captures: ["alice", "KEYID"] });
      expect([request.userId, request.keyId, request.gracePeriod]).to.deep.equal(["alice", "KEYID", undefined]);
    });

    it("refuses unknown fields, wrong types and bad enum names, naming each field in proto form", () => {
      const route = keywardRoute("ApiKeyRegistry_UpdateApiKey");
      expect(
        refusal(route, {
          captures: ["alice", "KEYID"],
          query: "updateMask=name",
          body: { nmae: "x", name: 5, rights: ["RIGHT_NOPE"], expiresAt: "tomorrow", state: true },
        }),
      ).to.deep.equal([
        "api_key.nmae: unknown field of keyward.v1.ApiKey",
        "api_key.name: must be a string",
        "api_key.rights[0]: must be one of RIGHT_INVALID, RIGHT_USER_INFO, RIGHT_USER_SETTINGS_BASIC, RIGHT_USER_SETTINGS_API_KEYS, RIGHT_USER_DELETE, RIGHT_USER_EVENTS_READ, RIGHT_USER_ALL, RIGHT_ADMIN_USERS_READ, RIGHT_ADMIN_USERS_WRITE, RIGHT_ADMIN_API_KEYS, RIGHT_ADMIN_TENANTS, RIGHT_ADMIN_EVENTS_READ, RIGHT_ADMIN_WEBHOOKS, RIGHT_ADMIN_ALL, RIGHT_ALL",
        'api_key.expires_at: must be an RFC 3339 timestamp such as "2030-01-31T12:00:00Z"',
        "api_key.state: must be one of API_KEY_STATE_UNSPECIFIED, API_KEY_STATE_ACTIVE, API_KEY_STATE_DISABLED",
      ]);
    });

    it("refuses a body that is not an object, or a duration without its unit", () => {
      expect(refusal(keywardRoute("ApiKeyRegistry_CreateApiKey"), { captures: ["alice"], body: ["x"] })).to.deep.equal([
        "body: must be a JSON object (keyward.v1.CreateApiKeyRequest)",
      ]);
      expect(refusal(keywardRoute("UserRegistry_CreateUser"), { body: "alice" })).to.deep.equal(["user: must be a JSON object (keyward.v1.User)"]);
      expect(refusal(keywardRoute("ApiKeyRegistry_RegenerateApiKey"), { captures: ["a", "b"], body: { gracePeriod: "1h" } })).to.deep.equal([
        'grace_period: must be a duration in seconds with an "s" suffix, such as "3600s"',
      ]);
    });

    it("takes null as the field's default", () => {
      const request = build(keywardRoute("ApiKeyRegistry_CreateApiKey"), { captures: ["alice"], body: { name: null, expiresAt: null } });
      expect([request.name, request.expiresAt]).to.deep.equal(["", undefined]);
    });
  });

  describe("query parameters", () => {
    const list = keywardRoute("ApiKeyRegistry_ListApiKeys");

    it("set fields by JSON or proto name, enums by name or number", () => {
      const byJson = build(list, { captures: ["alice"], query: "pageSize=10&pageToken=t&state=API_KEY_STATE_DISABLED&query=prod" });
      expect([byJson.userId, byJson.pageSize, byJson.pageToken, byJson.state, byJson.query]).to.deep.equal(["alice", 10, "t", ApiKeyState.DISABLED, "prod"]);
      const byProto = build(list, { captures: ["alice"], query: "page_size=7&state=1&query=a+b%20c" });
      expect([byProto.pageSize, byProto.state, byProto.query]).to.deep.equal([7, ApiKeyState.ACTIVE, "a b c"]);
    });

    it("reach nested fields by dotted paths; repeated keys append; timestamps, masks and durations parse", () => {
      const route = getRoute(UpdateApiKeyRequestSchema, "/v1/keys");
      const request = build(route, {
        query: "apiKey.name=x&apiKey.rights=RIGHT_USER_INFO&apiKey.rights=3&apiKey.expires_at=2030-01-01T00:00:00Z&update_mask=name, expires_at,rights",
      });
      const key = request.apiKey as ApiKey;
      expect(key.name).to.equal("x");
      expect(key.rights).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]);
      expect(timestampDate(key.expiresAt!).toISOString()).to.equal("2030-01-01T00:00:00.000Z");
      expect((request.updateMask as { paths: string[] }).paths).to.deep.equal(["name", "expires_at", "rights"]);
      const regenerate = build(getRoute(RegenerateApiKeyRequestSchema, "/v1/regenerate"), { query: "gracePeriod=3600s" });
      expect((regenerate.gracePeriod as { seconds: bigint }).seconds).to.equal(3600n);
    });

    it("parse booleans as true or false only", () => {
      const route = getRoute(UserSchema, "/v1/users");
      expect(build(route, { query: "admin=true" }).admin).to.equal(true);
      expect(build(route, { query: "admin=false" }).admin).to.equal(false);
      expect(refusal(route, { query: "admin=yes" })).to.deep.equal(["admin: must be true or false"]);
    });

    it("refuse, naming each key: unknown keys, bad values, repeats of a singular field", () => {
      expect(refusal(list, { captures: ["alice"], query: "pageSize=abc&state=NOPE&foo=1&query=a&query=b" })).to.deep.equal([
        "pageSize: must be a 32-bit integer",
        "state: must be one of API_KEY_STATE_UNSPECIFIED, API_KEY_STATE_ACTIVE, API_KEY_STATE_DISABLED",
        "foo: unknown query parameter; this route takes pageSize, pageToken, state, query",
        "query: given more than once, but the field takes one value",
      ]);
      expect(refusal(getRoute(RegenerateApiKeyRequestSchema, "/v1/r"), { query: "gracePeriod=1h&grace_period.seconds=1" })).to.deep.equal([
        'gracePeriod: must be a duration in seconds with an "s" suffix, such as "3600s"',
        "grace_period.seconds: unknown query parameter; this route takes userId, keyId, gracePeriod",
      ]);
    });

    it("refuse a field given under both spellings, singular or repeated, rather than keeping the last", () => {
      expect(refusal(list, { captures: ["alice"], query: "pageSize=1&page_size=2" })).to.deep.equal([
        "page_size: given more than once (as `pageSize` and `page_size`); give each field once",
      ]);
      const update = getRoute(UpdateApiKeyRequestSchema, "/v1/keys");
      expect(refusal(update, { query: "update_mask=state&updateMask=name" })).to.deep.equal([
        "update_mask: given more than once (as `update_mask` and `updateMask`); give each field once",
      ]);
      expect(refusal(update, { query: "apiKey.rights=RIGHT_USER_INFO&api_key.rights=3" })).to.deep.equal([
        "api_key.rights: given more than once (as `apiKey.rights` and `api_key.rights`); give each field once",
      ]);
    });

    it("refuse an enum number the enum does not have, as a JSON body would", () => {
      expect(refusal(list, { captures: ["alice"], query: "state=99" })).to.deep.equal([
        "state: must be one of API_KEY_STATE_UNSPECIFIED, API_KEY_STATE_ACTIVE, API_KEY_STATE_DISABLED",
      ]);
    });

    it("cannot override the path: a key naming a path-bound field is refused, not applied", () => {
      expect(refusal(list, { captures: ["alice"], query: "user_id=bob" })).to.deep.equal([
        "user_id: `user_id` is set by the URL path and cannot be set from the query",
      ]);
      const update = keywardRoute("ApiKeyRegistry_UpdateApiKey");
      expect(refusal(update, { captures: ["alice", "K"], query: "apiKey.userId=bob", body: {} })).to.deep.equal([
        "apiKey.userId: `api_key.user_id` is set by the URL path and cannot be set from the query",
      ]);
    });

    it("cannot set what the body carries; a `body: \"*\"` route takes no query parameters at all", () => {
      const update = keywardRoute("UserRegistry_UpdateUser");
      expect(refusal(update, { captures: ["alice"], query: "user.name=x", body: {} })).to.deep.equal([
        "user.name: `user` is set by the JSON body and cannot be set from the query",
      ]);
      expect(refusal(keywardRoute("ApiKeyRegistry_CreateApiKey"), { captures: ["alice"], query: "name=x", body: {} })).to.deep.equal([
        "name: unknown query parameter: POST /api/v1/users/{user_id}/api-keys takes every field from the JSON body",
      ]);
    });

    it("set a path variable into an enum field by name or number, and name it when refused", () => {
      const route = getRoute(ListApiKeysRequestSchema, "/v1/keys/{state}");
      expect(build(route, { captures: ["API_KEY_STATE_ACTIVE"] }).state).to.equal(ApiKeyState.ACTIVE);
      expect(build(route, { captures: ["2"] }).state).to.equal(ApiKeyState.DISABLED);
      expect(refusal(route, { captures: ["bogus"] })).to.deep.equal([
        "state: must be one of API_KEY_STATE_UNSPECIFIED, API_KEY_STATE_ACTIVE, API_KEY_STATE_DISABLED",
      ]);
    });
  });

  describe("update mask", () => {
    const updateKey = keywardRoute("ApiKeyRegistry_UpdateApiKey");
    const updateUser = keywardRoute("UserRegistry_UpdateUser");
    const paths = (request: Fields) => (request.updateMask as { paths: string[] } | undefined)?.paths;

    it("comes from `update_mask` as a comma list, each path as written (the service takes JSON or proto names)", () => {
      expect(paths(build(updateKey, { captures: ["a", "K"], query: "update_mask=name,expiresAt", body: { name: "n" } }))).to.deep.equal(["name", "expiresAt"]);
      expect(paths(build(updateKey, { captures: ["a", "K"], query: "update_mask=NAME, expires_at", body: { name: "n" } }))).to.deep.equal(["NAME", "expires_at"]);
      expect(paths(build(updateKey, { captures: ["a", "K"], query: "updateMask=rights", body: { name: "n" } }))).to.deep.equal(["rights"]);
    });

    it("is inferred on PATCH from the body's top-level keys, in proto names, leaving out path-bound keys", () => {
      const request = build(updateKey, { captures: ["alice", "KEYID"], body: { userId: "alice", name: "n", expires_at: null, rights: ["RIGHT_USER_INFO"] } });
      expect(paths(request)).to.deep.equal(["name", "expires_at", "rights"]);
      expect((request.apiKey as ApiKey).userId).to.equal("alice");
      expect((request.apiKey as ApiKey).id).to.equal("KEYID");
      expect(paths(build(updateUser, { captures: ["alice"], body: { user_id: "alice", email: "a@example.com", createdAt: null } }))).to.deep.equal([
        "email",
        "created_at",
      ]);
    });

    it("is not inferred when given, when there is no body, or on other methods", () => {
      expect(paths(build(updateUser, { captures: ["alice"], query: "update_mask=name", body: { name: "A", email: "e@x" } }))).to.deep.equal(["name"]);
      expect(paths(build(updateUser, { captures: ["alice"] }))).to.equal(undefined);
      const post = customRoute(UpdateApiKeyRequestSchema, { pattern: { case: "post", value: "/v1/keys" }, body: "api_key" });
      expect(paths(build(post, { body: { name: "n" } }))).to.equal(undefined);
    });
  });

  it("leaves the request message untouched by fields it was not given", () => {
    const request = build(keywardRoute("UserRegistry_GetUser"), { captures: ["alice"] });
    expect(request).to.deep.include({ userId: "alice" });
    expect(create(UserSchema).userId).to.equal("");
  });
});
