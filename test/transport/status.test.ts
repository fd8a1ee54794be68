import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { anyUnpack, DurationSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "chai";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { connectErrorToStatus, connectErrorToStatusJson, grpcStatusDetailsBin } from "../../src/transport/status.js";

const refused = () =>
  new ConnectError("invalid API key", Code.Unauthenticated, { "www-authenticate": 'Bearer realm="keyward"' }, [
    { desc: ErrorInfoSchema, value: { reason: "API_KEY_INVALID", domain: "keyward", metadata: { key_id: "ABC" } } },
  ]);

const invalid = () =>
  new ConnectError("user_id: must be 3 to 36 characters", Code.InvalidArgument, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "VALIDATION_FAILED", domain: "keyward" }) },
    { desc: BadRequestSchema, value: { fieldViolations: [{ field: "user_id", description: "must be 3 to 36 characters" }] } },
  ]);

describe("transport/status", () => {
  it("carries the code number, the raw message (no '[code]' prefix) and each detail as an Any", () => {
    const status = connectErrorToStatus(refused());
    expect(status.code).to.equal(16);
    expect(status.message).to.equal("invalid API key");
    expect(status.details.map((any) => any.typeUrl)).to.deep.equal(["type.googleapis.com/google.rpc.ErrorInfo"]);
    expect(anyUnpack(status.details[0]!, ErrorInfoSchema)).to.include({ reason: "API_KEY_INVALID", domain: "keyward" });
  });

  it("packs details given as messages or as init objects alike", () => {
    const details = connectErrorToStatus(invalid()).details;
    expect(anyUnpack(details[0]!, ErrorInfoSchema)?.reason).to.equal("VALIDATION_FAILED");
    expect(anyUnpack(details[1]!, BadRequestSchema)?.fieldViolations[0]).to.include({ field: "user_id", description: "must be 3 to 36 characters" });
  });

  it("keeps details received from elsewhere (type name and bytes) as they came", () => {
    const error = new ConnectError("upstream", Code.Unavailable);
    const bytes = toBinary(DurationSchema, create(DurationSchema, { seconds: 3n }));
    error.details.push({ type: "google.protobuf.Duration", value: bytes });
    const [any] = connectErrorToStatus(error).details;
    expect(any?.typeUrl).to.equal("type.googleapis.com/google.protobuf.Duration");
    expect(any?.value).to.deep.equal(bytes);
  });

  it("encodes the grpc-status-details-bin value as a binary google.rpc.Status", () => {
    const status = fromBinary(StatusSchema, grpcStatusDetailsBin(refused()));
    expect(status.code).to.equal(Code.Unauthenticated);
    expect(status.message).to.equal("invalid API key");
    expect(anyUnpack(status.details[0]!, ErrorInfoSchema)?.metadata).to.deep.equal({ key_id: "ABC" });
  });

  it("renders the REST error body: google.rpc.Status JSON with @type on each detail", () => {
    expect(connectErrorToStatusJson(refused())).to.deep.equal({
      code: 16,
      message: "invalid API key",
      details: [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "API_KEY_INVALID", domain: "keyward", metadata: { key_id: "ABC" } },
      ],
    });
    expect(connectErrorToStatusJson(invalid())).to.deep.equal({
      code: 3,
      message: "user_id: must be 3 to 36 characters",
      details: [
        { "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "VALIDATION_FAILED", domain: "keyward" },
        { "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field: "user_id", description: "must be 3 to 36 characters" }] },
      ],
    });
  });

  it("renders details of any type it was given the schema of, and leaves out relayed ones it cannot render", () => {
    const error = new ConnectError("slow down", Code.ResourceExhausted, undefined, [{ desc: DurationSchema, value: { seconds: 2n } }]);
    error.details.push({ type: "acme.v1.Unknown", value: new Uint8Array([8, 1]) });
    expect(connectErrorToStatusJson(error)).to.deep.equal({
      code: 8,
      message: "slow down",
      details: [{ "@type": "type.googleapis.com/google.protobuf.Duration", value: "2s" }],
    });
  });

  it("omits empty details in JSON", () => {
    expect(connectErrorToStatusJson(new ConnectError("no route for GET /x", Code.NotFound))).to.deep.equal({ code: 5, message: "no route for GET /x" });
  });
});
