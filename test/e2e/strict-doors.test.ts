/**
 * Every door is equally strict: REST, Connect (JSON and binary), gRPC-Web
 * (binary, text and JSON) and gRPC refuse unknown fields, enum names and numbers the enum lacks,
 * impossible timestamps and a field given twice, with INVALID_ARGUMENT / VALIDATION_FAILED naming the
 * field, before any credential is checked, and nothing is stored. Bodies are sent as raw bytes, as a
 * client with a typo or an older or newer schema would send them.
 */
import { create, toBinary, type DescMessage, type MessageInitShape } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { expect } from "chai";
import { ApiKeyRegistry, CreateApiKeyRequestSchema } from "../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { ListUsersRequestSchema, UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { ok, uniqueUserId } from "./support/fixtures.js";
import { BINARY_DOORS, callRaw, JSON_DOORS, type RawAnswer } from "./support/raw-doors.js";
import { useServer } from "./support/server-process.js";
import { reasonOfBody } from "../support/error-reasons.js";

const utf8 = (text: string) => new TextEncoder().encode(text);

/** A binary message with raw fields appended after it. */
function binary<D extends DescMessage>(schema: D, init: MessageInitShape<D>, extra: (writer: BinaryWriter) => void = () => {}): Uint8Array {
  const writer = new BinaryWriter();
  extra(writer);
  return new Uint8Array([...toBinary(schema, create(schema, init)), ...writer.finish()]);
}

/** What a REST answer says, in the shape the other doors' answers are read into. */
async function rest(url: string, init: RequestInit): Promise<RawAnswer & { status: number }> {
  const response = await fetch(url, init);
  const text = await response.text();
  const json = JSON.parse(text) as { code?: number; details?: { reason?: string; fieldViolations?: { field: string; description: string }[] }[] };
  return {
    status: response.status,
    code: json.code ?? 0,
    reason: reasonOfBody(json),
    violations: json.details?.flatMap((d) => d.fieldViolations ?? []) ?? [],
    size: text.length,
  };
}

function expectRefused(answer: RawAnswer, fields: string[], label: string): void {
  expect(answer.code, `${label}: ${JSON.stringify(answer)}`).to.equal(3);
  expect(answer.reason, label).to.equal("VALIDATION_FAILED");
  expect(answer.violations.map((v) => v.field), label).to.deep.equal(fields);
}

describe("e2e: every door is equally strict", function () {
  this.timeout(60_000);
  const sut = useServer();
  let userId: string;
  before(async () => {
    userId = await sut.fx.user();
  });

  const base = () => sut.server;
  const json = (body: unknown) => utf8(typeof body === "string" ? body : JSON.stringify(body));
  const restCall = (method: string, path: string, body?: string, key: string | undefined = sut.admin, type: string | null = "application/json") =>
    rest(`${sut.server.httpUrl}${path}`, {
      method,
      headers: { ...(key === undefined ? {} : { authorization: `Bearer ${key}` }), ...(type === null ? {} : { "content-type": type }) },
      body: body === undefined ? undefined : new Blob([body]), // a Blob without a type: fetch adds no Content-Type
    });
  const keysOf = async (user: string) => ok(await sut.doors.call("grpc", ApiKeyRegistry.method.listApiKeys, { userId: user }, sut.admin)).totalSize;

  it("refuses a mistyped field (allowedIPs) on every door, with or without credentials, and creates no key", async () => {
    const typo = { userId, rights: ["RIGHT_USER_INFO"], allowedIPs: ["10.0.0.0/8"] };
    for (const key of [sut.admin, undefined]) {
      for (const door of JSON_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, json(typo), key), ["allowedIPs"], door);
      const { userId: _, ...body } = typo;
      const viaRest = await restCall("POST", `/api/v1/users/${userId}/api-keys`, JSON.stringify(body), key);
      expect(viaRest.status).to.equal(400);
      expectRefused(viaRest, ["allowedIPs"], "rest");
      // A field number the schema does not have: a typo's binary twin, or a client built from another schema.
      const unknown = binary(CreateApiKeyRequestSchema, { userId, rights: [Right.USER_INFO] }, (w) => w.tag(99, WireType.LengthDelimited).string("10.0.0.0/8"));
      for (const door of BINARY_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, unknown, key), ["#99"], door);
    }
    expect(await keysOf(userId)).to.equal(0);
  });

  it("refuses an enum name or number the enum lacks (RIGHT_USER_BOGUS, 999) instead of dropping or keeping it", async () => {
    const bogus = { userId, rights: ["RIGHT_USER_INFO", "RIGHT_USER_BOGUS"] };
    for (const door of JSON_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, json(bogus), sut.admin), ["rights[1]"], door);
    expectRefused(await restCall("POST", `/api/v1/users/${userId}/api-keys`, JSON.stringify({ rights: ["RIGHT_USER_INFO", 999] })), ["rights[1]"], "rest");
    const number = binary(CreateApiKeyRequestSchema, { userId, rights: [Right.USER_INFO, 999 as Right] });
    for (const door of BINARY_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, number, sut.admin), ["rights[1]"], door);
    expect(await keysOf(userId)).to.equal(0);
  });

  it("refuses impossible timestamps: 2030-02-30 in JSON, seconds or nanos out of range in binary", async () => {
    const rolled = { userId, rights: ["RIGHT_USER_INFO"], expiresAt: "2030-02-30T00:00:00Z" };
    for (const door of JSON_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, json(rolled), sut.admin), ["expires_at"], door);
    expectRefused(await restCall("POST", `/api/v1/users/${userId}/api-keys`, JSON.stringify({ rights: ["RIGHT_USER_INFO"], expiresAt: "2030-02-30T00:00:00Z" })), ["expires_at"], "rest");
    for (const expiresAt of [{ seconds: 253_402_300_800n }, { seconds: 1_900_000_000n, nanos: -1 }]) {
      const body = binary(CreateApiKeyRequestSchema, { userId, rights: [Right.USER_INFO], expiresAt });
      for (const door of BINARY_DOORS) expectRefused(await callRaw(door, base(), ApiKeyRegistry.method.createApiKey, body, sut.admin), ["expires_at"], door);
    }
    expect(await keysOf(userId)).to.equal(0);
  });

  it("refuses a field given twice: two spellings in a JSON body or the query, a singular key repeated, a field twice on the wire", async () => {
    for (const body of ['{"pageSize":1,"page_size":2}', '{"pageSize":1,"pageSize":2}']) {
      for (const door of JSON_DOORS) expectRefused(await callRaw(door, base(), UserRegistry.method.listUsers, json(body), sut.admin), ["page_size"], `${door} ${body}`);
    }
    for (const query of ["pageSize=1&page_size=2", "pageSize=1&pageSize=2"]) {
      const answer = await restCall("GET", `/api/v1/users?${query}`);
      expect(answer.status).to.equal(400);
      expect(answer.violations, query).to.have.length(1);
      expect(answer.violations[0]!.description, query).to.match(/given more than once/);
    }
    const created = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.createApiKey, { userId, name: "before", rights: [Right.USER_INFO] }, sut.admin));
    const keyPath = `/api/v1/users/${userId}/api-keys/${created.apiKey!.id}`;
    expectRefused(await restCall("PATCH", `${keyPath}?update_mask=state&updateMask=name`, JSON.stringify({ name: "after", state: "API_KEY_STATE_DISABLED" })), ["update_mask"], "rest mask");
    expectRefused(await restCall("POST", "/api/v1/users", JSON.stringify({ userId: "strict-a", user_id: "strict-b" })), ["user.user_id"], "rest body");
    const twice = binary(ListUsersRequestSchema, { pageSize: 1 }, (w) => w.tag(1, WireType.Varint).int32(2));
    for (const door of BINARY_DOORS) expectRefused(await callRaw(door, base(), UserRegistry.method.listUsers, twice, sut.admin), ["page_size"], door);
    const key = ok(await sut.doors.call("grpc", ApiKeyRegistry.method.getApiKey, { userId, keyId: created.apiKey!.id }, sut.admin)).apiKey!;
    expect([key.name, key.state]).to.deep.equal(["before", created.apiKey!.state]);
    expect((await restCall("GET", "/api/v1/users/strict-a")).status).to.equal(404);
    expect((await restCall("GET", "/api/v1/users/strict-b")).status).to.equal(404);
  });

  it("answers a body without a content type 415 on REST and on the Connect paths: nothing guesses JSON", async () => {
    const id = uniqueUserId("no-type");
    const answer = await restCall("POST", "/api/v1/users", JSON.stringify({ userId: id }), sut.admin, null);
    expect(answer.status).to.equal(415);
    expect(answer.reason).to.equal("UNSUPPORTED_MEDIA_TYPE");
    const connect = await fetch(`${sut.server.httpUrl}/keyward.v1.UserRegistry/CreateUser`, {
      method: "POST",
      headers: { authorization: `Bearer ${sut.admin}` },
      body: new Blob([JSON.stringify({ user: { userId: id } })]),
    });
    expect(connect.status).to.equal(415);
    expect((await restCall("GET", `/api/v1/users/${id}`)).status).to.equal(404);
  });
});
