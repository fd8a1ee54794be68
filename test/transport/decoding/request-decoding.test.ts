/**
 * The one strict decoder (src/transport/decoding/request-decoding.ts) as every door uses it: JSON (REST, Connect
 * JSON, gRPC-Web JSON) and binary (gRPC, Connect binary, gRPC-Web) refuse the same inputs, name each
 * field in proto path form, and bound the work and the error whatever the input.
 */
import { create, equals, fromBinary, toBinary, toJson, type DescMessage } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { expect } from "chai";
import fc from "fast-check";
import { CreateApiKeyRequestSchema, ListApiKeysRequestSchema, RegenerateApiKeyRequestSchema, UpdateApiKeyRequestSchema } from "../../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { CreateSessionRequestSchema } from "../../../gen/keyward/v1/session_pb.js";
import { KeywardError, type FieldViolation } from "../../../src/errors/errors.js";
import { MAX_ERROR_MESSAGE_BYTES, MAX_FIELD_VIOLATIONS, MAX_REQUEST_DEPTH, MAX_REQUEST_FIELDS } from "../../../src/request-limits.js";
import { decodeRequest, type BodyFormat } from "../../../src/transport/decoding/request-decoding.js";

const utf8 = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => utf8(JSON.stringify(value));

/** The refusal of `bytes`: its reason and violations as `field: description` lines. */
function refusal(schema: DescMessage, bytes: Uint8Array, format: BodyFormat): { reason: string; lines: string[]; error: KeywardError } {
  try {
    decodeRequest(schema, bytes, format);
  } catch (error) {
    expect(error).to.be.instanceOf(KeywardError);
    const e = error as KeywardError;
    expect(e.code).to.equal("invalid_argument");
    return { reason: e.reason, lines: e.violations.map((v: FieldViolation) => `${v.field}: ${v.description}`), error: e };
  }
  return expect.fail("expected the request to be refused");
}

/** The fields of a refusal's violations. */
const fieldsOf = (schema: DescMessage, bytes: Uint8Array, format: BodyFormat) => refusal(schema, bytes, format).lines.map((line) => line.split(": ")[0]);

/** A binary CreateApiKeyRequest with `extra` fields appended (`[field number, wire type, write]`). */
function binary(init: Parameters<typeof create<typeof CreateApiKeyRequestSchema>>[1], extra: (writer: BinaryWriter) => void = () => {}): Uint8Array {
  const writer = new BinaryWriter();
  extra(writer);
  return new Uint8Array([...toBinary(CreateApiKeyRequestSchema, create(CreateApiKeyRequestSchema, init)), ...writer.finish()]);
}

describe("transport/request-decoding", () => {
  describe("JSON and binary refuse the same inputs, naming the field", () => {
    it("an unknown field: a typo such as allowedIPs never yields a key usable from anywhere", () => {
      expect(refusal(CreateApiKeyRequestSchema, json({ userId: "a", rights: ["RIGHT_USER_INFO"], allowedIPs: ["10.0.0.0/8"] }), "json").lines).to.deep.equal([
        "allowedIPs: unknown field of keyward.v1.CreateApiKeyRequest",
      ]);
      const withUnknown = binary({ userId: "a", rights: [Right.USER_INFO] }, (w) => w.tag(99, WireType.LengthDelimited).string("10.0.0.0/8"));
      expect(refusal(CreateApiKeyRequestSchema, withUnknown, "binary").lines).to.deep.equal(["#99: unknown field of keyward.v1.CreateApiKeyRequest"]);
      const nested = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(new BinaryWriter().tag(40, WireType.Varint).int32(1).finish()).finish();
      expect(fieldsOf(UpdateApiKeyRequestSchema, nested, "binary")).to.deep.equal(["api_key.#40"]);
      expect(fieldsOf(UpdateApiKeyRequestSchema, json({ apiKey: { nmae: "x" } }), "json")).to.deep.equal(["api_key.nmae"]);
    });

    it("an enum name or number the enum lacks (proto3 enums are open, the decoders take any number)", () => {
      expect(fieldsOf(CreateApiKeyRequestSchema, json({ userId: "a", rights: ["RIGHT_USER_INFO", "RIGHT_USER_BOGUS"] }), "json")).to.deep.equal(["rights[1]"]);
      expect(fieldsOf(CreateApiKeyRequestSchema, json({ userId: "a", rights: [1, 999] }), "json")).to.deep.equal(["rights[1]"]);
      expect(fieldsOf(CreateApiKeyRequestSchema, binary({ userId: "a", rights: [Right.USER_INFO, 999 as Right] }), "binary")).to.deep.equal(["rights[1]"]);
      // Unpacked, as an older encoder writes it.
      const unpacked = binary({ userId: "a" }, (w) => w.tag(3, WireType.Varint).int32(1).tag(3, WireType.Varint).int32(-7));
      expect(fieldsOf(CreateApiKeyRequestSchema, unpacked, "binary")).to.deep.equal(["rights[1]"]);
      expect(fieldsOf(ListApiKeysRequestSchema, json({ userId: "a", state: 7 }), "json")).to.deep.equal(["state"]);
    });

    it("an impossible timestamp: a date that does not exist, or seconds or nanos out of range", () => {
      for (const expiresAt of ["2030-02-30T00:00:00Z", "2031-02-29T00:00:00Z", "0000-01-01T00:00:00Z", "2030-01-01T24:00:00Z"]) {
        expect(fieldsOf(CreateApiKeyRequestSchema, json({ userId: "a", expiresAt }), "json"), expiresAt).to.deep.equal(["expires_at"]);
      }
      for (const expiresAt of [{ seconds: 253_402_300_800n }, { seconds: -62_135_596_801n }, { seconds: 1n, nanos: -1 }, { seconds: 1n, nanos: 1_000_000_000 }]) {
        expect(fieldsOf(CreateApiKeyRequestSchema, binary({ userId: "a", expiresAt }), "binary"), String(expiresAt.seconds)).to.deep.equal(["expires_at"]);
      }
      expect(decodeRequest(CreateApiKeyRequestSchema, binary({ userId: "a", expiresAt: { seconds: 253_402_300_799n, nanos: 999_999_999 } }), "binary").expiresAt?.seconds).to.equal(253_402_300_799n);
      expect(fieldsOf(RegenerateApiKeyRequestSchema, new BinaryWriter().tag(3, WireType.LengthDelimited).bytes(new BinaryWriter().tag(1, WireType.Varint).int64(1n).tag(2, WireType.Varint).int32(-1).finish()).finish(), "binary")).to.deep.equal(["grace_period"]);
    });

    it("a field given twice: under its two spellings, twice under one, or twice on the wire", () => {
      expect(refusal(ListApiKeysRequestSchema, utf8('{"pageSize":1,"page_size":2}'), "json").lines).to.deep.equal([
        "page_size: given more than once (as `pageSize` and `page_size`); give each field once",
      ]);
      expect(refusal(ListApiKeysRequestSchema, utf8('{"pageSize":1,"pageSize":2}'), "json").lines).to.deep.equal([
        "page_size: given more than once (`pageSize` twice); give each field once",
      ]);
      expect(fieldsOf(ListApiKeysRequestSchema, utf8('{"pageSize":1,"\\u0070ageSize":2}'), "json")).to.deep.equal(["page_size"]);
      expect(fieldsOf(UpdateApiKeyRequestSchema, utf8('{"apiKey":{"name":"a","name":"b"}}'), "json")).to.deep.equal(["api_key.name"]);
      expect(fieldsOf(CreateApiKeyRequestSchema, utf8('{"allowedIps":["a"],"allowed_ips":["b"]}'), "json")).to.deep.equal(["allowed_ips"]);
      expect(refusal(CreateApiKeyRequestSchema, binary({ userId: "a" }, (w) => w.tag(1, WireType.LengthDelimited).string("b")), "binary").lines).to.deep.equal([
        "user_id: given more than once (field 1 occurs twice); give each field once",
      ]);
      // A repeated field may occur any number of times.
      const twice = binary({ userId: "a", allowedIps: ["10.0.0.0/8"] }, (w) => w.tag(5, WireType.LengthDelimited).string("::1"));
      expect(decodeRequest(CreateApiKeyRequestSchema, twice, "binary").allowedIps).to.deep.equal(["10.0.0.0/8", "::1"]);
    });

    it("binary only: a wrong wire type, a string that is not UTF-8, bytes that are no message", () => {
      expect(refusal(CreateApiKeyRequestSchema, new Uint8Array([0x08, 0x01]), "binary").lines).to.deep.equal(["user_id: must be a string (wire type 2, not 0)"]);
      expect(refusal(CreateApiKeyRequestSchema, new Uint8Array([0x0a, 0x02, 0xff, 0xfe]), "binary").lines).to.deep.equal(["user_id: must be valid UTF-8"]);
      expect(refusal(CreateApiKeyRequestSchema, new Uint8Array([0x0a, 0x05, 0x61]), "binary").reason).to.equal("MALFORMED_MESSAGE");
      expect(refusal(CreateApiKeyRequestSchema, utf8("{}"), "binary").reason).to.equal("MALFORMED_MESSAGE");
      expect(refusal(CreateApiKeyRequestSchema, utf8("{"), "json").reason).to.equal("MALFORMED_JSON");
    });
  });

  describe("bounded work and bounded answers", () => {
    it("refuses a body past the field count before building it, however cheap each field", () => {
      const fields = `{${Array.from({ length: 60_000 }, (_, i) => `"f${i}":1`).join(",")}}`;
      expect(fields.length).to.be.greaterThan(600_000);
      const { reason, error } = refusal(CreateSessionRequestSchema, utf8(fields), "json");
      expect(reason).to.equal("REQUEST_TOO_COMPLEX");
      expect(error.message).to.contain(`${MAX_REQUEST_FIELDS} fields`);
      const items = json({ allowedIps: Array.from({ length: 50_000 }, () => "x") });
      expect(refusal(CreateApiKeyRequestSchema, items, "json").reason).to.equal("REQUEST_TOO_COMPLEX");
      const writer = new BinaryWriter();
      for (let i = 0; i < 60_000; i++) writer.tag(5, WireType.LengthDelimited).string("x");
      expect(refusal(CreateApiKeyRequestSchema, writer.finish(), "binary").reason).to.equal("REQUEST_TOO_COMPLEX");
      const packed = new BinaryWriter().tag(3, WireType.LengthDelimited).fork();
      for (let i = 0; i < 60_000; i++) packed.int32(1);
      expect(refusal(CreateApiKeyRequestSchema, packed.join().finish(), "binary").reason).to.equal("REQUEST_TOO_COMPLEX");
      // At the limit, still decoded.
      expect(decodeRequest(CreateApiKeyRequestSchema, json({ allowedIps: Array.from({ length: MAX_REQUEST_FIELDS - 1 }, () => "x") }), "json").allowedIps).to.have.length(MAX_REQUEST_FIELDS - 1);
    });

    it("refuses nesting past the depth limit, in any JSON or in messages", () => {
      const deep = (n: number) => "[".repeat(n) + "]".repeat(n);
      expect(refusal(CreateSessionRequestSchema, utf8(`{"x":${deep(MAX_REQUEST_DEPTH)}}`), "json").reason).to.equal("REQUEST_TOO_COMPLEX");
      expect(refusal(CreateSessionRequestSchema, utf8(deep(100_000)), "json").reason).to.equal("REQUEST_TOO_COMPLEX");
      // UpdateApiKeyRequest.api_key.expires_at: three messages deep is fine.
      expect(decodeRequest(UpdateApiKeyRequestSchema, json({ apiKey: { expiresAt: "2030-01-01T00:00:00Z" } }), "json").apiKey?.expiresAt?.seconds).to.equal(1_893_456_000n);
    });

    it("reports at most 20 violations and an 'and N more', in a message of at most 4 KiB", () => {
      const unknown = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`field_number_${i}_${"x".repeat(200)}`, 1]));
      const { reason, error } = refusal(CreateSessionRequestSchema, json(unknown), "json");
      expect(reason).to.equal("VALIDATION_FAILED");
      expect(error.violations.length).to.be.at.most(MAX_FIELD_VIOLATIONS + 1);
      expect(error.violations.at(-1)).to.deep.include({ field: "" });
      expect(error.violations.at(-1)!.description).to.match(/^and \d+ more$/);
      const kept = error.violations.length - 1;
      expect(error.violations.at(-1)!.description).to.equal(`and ${900 - kept} more`);
      expect(new TextEncoder().encode(error.message).length).to.be.at.most(MAX_ERROR_MESSAGE_BYTES);
      for (const violation of error.violations) expect(violation.field.length).to.be.at.most(128);
    });
  });

  describe("properties", () => {
    const rights = fc.constantFrom(...Object.values(Right).filter((v): v is Right => typeof v === "number"));
    const request = fc.record({
      userId: fc.string({ maxLength: 20 }),
      name: fc.string({ maxLength: 20 }),
      rights: fc.array(rights, { maxLength: 5 }),
      allowedIps: fc.array(fc.string({ maxLength: 10 }), { maxLength: 5 }),
      expiresAt: fc.option(fc.record({ seconds: fc.bigInt(-62_135_596_800n, 253_402_300_799n), nanos: fc.integer({ min: 0, max: 999_999_999 }) }), { nil: undefined }),
    });

    it("every valid message round-trips through JSON (either spelling) and binary", () => {
      fc.assert(
        fc.property(request, fc.boolean(), (init, protoNames) => {
          const message = create(CreateApiKeyRequestSchema, init);
          const asJson = toJson(CreateApiKeyRequestSchema, message, { useProtoFieldName: protoNames });
          expect(equals(CreateApiKeyRequestSchema, decodeRequest(CreateApiKeyRequestSchema, json(asJson), "json"), message)).to.equal(true);
          expect(equals(CreateApiKeyRequestSchema, decodeRequest(CreateApiKeyRequestSchema, toBinary(CreateApiKeyRequestSchema, message), "binary"), message)).to.equal(true);
        }),
      );
    });

    it("any JSON object with a key that names no field is refused, naming that key", () => {
      const names = new Set(CreateApiKeyRequestSchema.fields.flatMap((f) => [f.name, f.jsonName]));
      const unknownKey = fc.string({ minLength: 1, maxLength: 30 }).filter((key) => !names.has(key) && key !== "__proto__");
      fc.assert(
        fc.property(request, unknownKey, fc.jsonValue(), (init, key, value) => {
          const body = { ...(toJson(CreateApiKeyRequestSchema, create(CreateApiKeyRequestSchema, init)) as object), [key]: value };
          const { reason, lines } = refusal(CreateApiKeyRequestSchema, json(body), "json");
          expect(reason).to.equal("VALIDATION_FAILED");
          expect(lines.some((line) => line.endsWith("unknown field of keyward.v1.CreateApiKeyRequest"))).to.equal(true);
        }),
      );
    });

    it("any binary message with a field number the schema lacks is refused", () => {
      const known = new Set(CreateApiKeyRequestSchema.fields.map((f) => f.number));
      fc.assert(
        fc.property(request, fc.integer({ min: 1, max: 536_870_911 }).filter((n) => !known.has(n)), fc.nat(), (init, no, value) => {
          const bytes = binary(init, (w) => w.tag(no, WireType.Varint).uint32(value));
          expect(refusal(CreateApiKeyRequestSchema, bytes, "binary").lines).to.deep.equal([`#${no}: unknown field of keyward.v1.CreateApiKeyRequest`]);
        }),
      );
    });

    it("never throws anything but a KeywardError on arbitrary bytes, and is never fooled into keeping unknown fields", () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 64 }), fc.constantFrom<BodyFormat>("json", "binary"), (bytes, format) => {
          try {
            const message = decodeRequest(CreateApiKeyRequestSchema, bytes, format);
            expect((message as { $unknown?: unknown[] }).$unknown ?? []).to.have.length(0);
            if (format === "binary") expect(equals(CreateApiKeyRequestSchema, message, fromBinary(CreateApiKeyRequestSchema, bytes))).to.equal(true);
          } catch (error) {
            expect(error).to.be.instanceOf(KeywardError);
          }
        }),
      );
    });
  });
});
