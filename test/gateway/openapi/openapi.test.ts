/**
 * The OpenAPI document (src/gateway/openapi/openapi-document.ts): valid OpenAPI 3.1 by a real validator, one operation
 * per route of the table and nothing else, descriptions from the proto comments, required rights, the
 * two security schemes, and `google.rpc.Status` errors.
 */
import { Validator } from "@seriousme/openapi-schema-validator";
import { expect } from "chai";
import { buildOpenApiDocument, openApiPath } from "../../../src/gateway/openapi/openapi-document.js";
import { KEYWARD_ROUTES } from "../support/routes.js";

/** A parsed JSON document of any shape, read by path. */
type Json = Record<string, any>;

describe("gateway/openapi", () => {
  const doc = buildOpenApiDocument(KEYWARD_ROUTES) as Json;
  const op = (method: string, path: string): Json => {
    const operation = doc.paths[path]?.[method];
    if (!operation) expect.fail(`no operation ${method} ${path}`);
    return operation as Json;
  };

  async function validate(document: unknown): Promise<{ valid: boolean; version: string; errors: unknown }> {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(document) as never);
    return { valid: result.valid, version: validator.version, errors: result.errors };
  }

  it("validates as OpenAPI 3.1 — and the validator does refuse a broken copy", async () => {
    const result = await validate(doc);
    expect(result.errors).to.equal(undefined);
    expect(result).to.deep.include({ valid: true, version: "3.1" });
    const broken = structuredClone(doc);
    broken.paths["/api/v1/users"].get.responses = { "200": { content: {} } }; // a response needs a description
    expect((await validate(broken)).valid).to.equal(false);
  });

  it("has exactly one operation per route of the route table", () => {
    const documented = Object.entries(doc.paths as Json).flatMap(([path, methods]) => Object.keys(methods as Json).map((m) => `${m.toUpperCase()} ${path}`));
    // Forward auth is the one operation outside the route table (it answers any method and path below it).
    const routed = [...KEYWARD_ROUTES.map((r) => `${r.httpMethod} ${openApiPath(r)}`), "GET /api/v1/auth/check"];
    expect(documented.sort()).to.deep.equal(routed.sort());
    expect(new Set(documented.map((d) => op(d.split(" ")[0]!.toLowerCase(), d.split(" ")[1]!).operationId)).size).to.equal(18);
    expect(openApiPath(KEYWARD_ROUTES.find((r) => r.operationId === "ApiKeyRegistry_RegenerateApiKey")!)).to.equal(
      "/api/v1/users/{user_id}/api-keys/{key_id}:regenerate",
    );
  });

  it("renders self-rotation's {key_id=self} binding as its literal path, with no key parameter and no rights required", () => {
    const route = KEYWARD_ROUTES.find((r) => r.operationId === "ApiKeyRegistry_RegenerateApiKey_1")!;
    expect(openApiPath(route)).to.equal("/api/v1/api-keys/self:regenerate");
    const self = op("post", "/api/v1/api-keys/self:regenerate");
    expect(self.parameters).to.deep.equal([]);
    expect(self.summary).to.equal("Gives the calling API key a new secret (self-rotation).");
    expect(self.description).to.contain("**Rights required:** none; the call must be made with an API key's current secret");
    expect(self["x-keyward-access"]).to.deep.equal({ public: false, selfKey: true });
    const body = self.requestBody.content["application/json"].schema;
    expect(Object.keys(body.properties)).to.deep.equal(["userId", "gracePeriod"]); // key_id is the path's `self`
  });

  it("declares the bearer and ApiKey (X-Authorization) schemes and requires one on protected operations", () => {
    expect(doc.components.securitySchemes).to.deep.include({
      bearer: { type: "http", scheme: "bearer", bearerFormat: "NNSXS API key", description: "`Authorization: Bearer <API key>`" },
    });
    expect(doc.components.securitySchemes.ApiKey).to.include({ type: "apiKey", in: "header", name: "X-Authorization" });
    expect(doc.components.securitySchemes.ApiKey.description).to.contain("ApiKey <key>");
    for (const methods of Object.values(doc.paths as Json)) {
      for (const operation of Object.values(methods as Json)) {
        // Signing in (CreateSession) is the one public operation: it needs no credentials.
        const wanted = operation.operationId === "SessionRegistry_CreateSession" ? [] : [{ bearer: [] }, { ApiKey: [] }];
        expect(operation.security, operation.operationId).to.deep.equal(wanted);
      }
    }
  });

  it("names each operation's required rights, in the description and as x-keyward-access", () => {
    const list = op("get", "/api/v1/users");
    expect(list.description).to.contain("**Rights required:** `RIGHT_ADMIN_USERS_READ`.");
    expect(list["x-keyward-access"]).to.deep.equal({ public: false, otherUserRights: ["RIGHT_ADMIN_USERS_READ"] });
    const get = op("get", "/api/v1/users/{user_id}");
    expect(get.description).to.contain("`RIGHT_USER_INFO` when `user_id` is the caller's own user; `RIGHT_ADMIN_USERS_READ` for any other user");
    expect(get["x-keyward-access"]).to.deep.equal({ public: false, userField: "user_id", ownUserRights: ["RIGHT_USER_INFO"], otherUserRights: ["RIGHT_ADMIN_USERS_READ"] });
    expect(op("get", "/api/v1/auth_info").description).to.contain("**Rights required:** any valid API key.");
  });

  it("takes descriptions from the proto comments", () => {
    expect(doc.tags.map((t: Json) => t.name)).to.deep.equal(["UserRegistry", "ApiKeyRegistry", "AuthService", "SessionRegistry", "ForwardAuth"]);
    expect(doc.tags[0].description).to.match(/^UserRegistry keeps Keyward's users/);
    const get = op("get", "/api/v1/users/{user_id}");
    expect(get.summary).to.equal("Returns one user.");
    expect(get.parameters[0]).to.include({ name: "user_id", in: "path", required: true, description: "The user to return." });
    const user = doc.components.schemas["keyward.v1.User"];
    expect(user.description).to.equal("User is the owner of API keys.");
    expect(user.properties.userId.description).to.contain("Unique id chosen at creation").and.contain("Set on creation; cannot be changed.");
    expect(user.properties.createdAt).to.deep.equal({ type: "string", format: "date-time", examples: ["2030-01-31T12:00:00Z"], readOnly: true, description: "When the user was created." });
    const state = doc.components.schemas["keyward.v1.UserState"];
    expect(state.enum).to.deep.equal(["USER_STATE_UNSPECIFIED", "USER_STATE_ACTIVE", "USER_STATE_SUSPENDED"]);
    expect(state.description).to.contain("- `USER_STATE_SUSPENDED`: The user's keys are kept but refused");
  });

  it("describes bodies, path and query parameters and unwrapped responses as the gateway handles them", () => {
    const create = op("post", "/api/v1/users/{user_id}/api-keys");
    const body = create.requestBody.content["application/json"].schema;
    // user_id comes from the path
    expect(Object.keys(body.properties)).to.deep.equal(["name", "rights", "expiresAt", "allowedIps", "rateLimit", "remainingUses", "refill", "metadata"]);
    expect(body.properties.rateLimit.$ref).to.equal("#/components/schemas/keyward.v1.RateLimit");
    expect(body.properties.metadata).to.deep.include({ type: "object", additionalProperties: { type: "string" } });
    expect(body.properties.rights).to.deep.include({ type: "array", items: { $ref: "#/components/schemas/keyward.v1.Right" } });
    expect(body.required).to.deep.equal(["rights"]);
    const list = op("get", "/api/v1/users/{user_id}/api-keys");
    expect(list.parameters.map((p: Json) => `${p.in} ${p.name}`)).to.deep.equal(["path user_id", "query pageSize", "query pageToken", "query state", "query query"]);
    expect(list.parameters[3].schema.$ref).to.equal("#/components/schemas/keyward.v1.ApiKeyState");
    expect(op("get", "/api/v1/users/{user_id}").responses["200"].content["application/json"].schema.$ref).to.equal("#/components/schemas/keyward.v1.User");
    expect(op("get", "/api/v1/users/{user_id}/api-keys/{key_id}").responses["200"].content["application/json"].schema.$ref).to.equal(
      "#/components/schemas/keyward.v1.ApiKey",
    );
    const update = op("patch", "/api/v1/users/{api_key.user_id}/api-keys/{api_key.id}");
    expect(update.parameters.map((p: Json) => `${p.in} ${p.name}`)).to.deep.equal(["path api_key.user_id", "path api_key.id", "query updateMask"]);
    expect(update.parameters[2].description).to.contain("Without `updateMask`, the mask is the body's top-level keys (except `user_id`, `id`, which the path sets).");
    expect(update.requestBody.content["application/json"].schema.$ref).to.equal("#/components/schemas/keyward.v1.ApiKey");
    expect(doc.components.schemas["keyward.v1.RegenerateApiKeyRequest"]).to.equal(undefined); // body "*" schemas are inline
  });

  it("answers errors with google.rpc.Status, 401 with WWW-Authenticate", () => {
    const responses = op("delete", "/api/v1/users/{user_id}").responses;
    expect(Object.keys(responses)).to.deep.equal(["200", "400", "401", "403", "404", "default"]);
    const unauthenticated = doc.components.responses.Unauthenticated;
    expect(unauthenticated.content["application/json"].schema.$ref).to.equal("#/components/schemas/google.rpc.Status");
    expect(unauthenticated.headers["WWW-Authenticate"].schema).to.deep.equal({ type: "string" });
    const status = doc.components.schemas["google.rpc.Status"];
    expect(Object.keys(status.properties)).to.deep.equal(["code", "message", "details"]);
    expect(status.properties.details.items.properties["@type"].type).to.equal("string");
  });

  it("has no dangling $ref", () => {
    const refs: string[] = [];
    const walk = (value: unknown) => {
      if (Array.isArray(value)) value.forEach(walk);
      else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) (k === "$ref" ? refs.push(v as string) : walk(v));
      }
    };
    walk(doc);
    expect(refs.length).to.be.greaterThan(20);
    for (const ref of refs) {
      const target = ref.slice(2).split("/").reduce<Json | undefined>((node, key) => node?.[key], doc);
      expect(target, ref).to.be.an("object");
    }
  });
});
