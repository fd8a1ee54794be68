import { Metadata } from "@grpc/grpc-js";
import { expect } from "chai";
import { headersToMetadata, metadataToHeaders } from "../../src/transport/grpc-metadata.js";

describe("transport/grpc-metadata", () => {
  it("turns metadata into headers, keeping every value and base64-encoding binary entries", () => {
    const metadata = new Metadata();
    metadata.add("authorization", "Bearer k");
    metadata.add("x-multi", "a");
    metadata.add("x-multi", "b");
    metadata.add("x-id-bin", Buffer.from([1, 2, 255]));
    const headers = metadataToHeaders(metadata);
    expect([...headers.keys()].sort()).to.deep.equal(["authorization", "x-id-bin", "x-multi"]);
    expect(headers.get("authorization")).to.equal("Bearer k");
    expect(headers.get("x-multi")).to.equal("a, b");
    expect(headers.get("x-id-bin")).to.equal(Buffer.from([1, 2, 255]).toString("base64"));
  });

  it("turns headers into metadata, decoding -bin values and dropping what gRPC cannot or must not carry", () => {
    const headers = new Headers({
      "www-authenticate": 'Bearer realm="keyward"',
      "x-id-bin": Buffer.from([1, 2, 255]).toString("base64"),
      "content-type": "application/json",
      "grpc-status": "0",
      te: "trailers",
      "x-odd!": "illegal key",
      "x-latin": "caf\u00e9",
    });
    const metadata = headersToMetadata(headers);
    expect(Object.keys(metadata.getMap()).sort()).to.deep.equal(["www-authenticate", "x-id-bin"]);
    expect(metadata.get("www-authenticate")).to.deep.equal(['Bearer realm="keyward"']);
    expect(metadata.get("x-id-bin")).to.deep.equal([Buffer.from([1, 2, 255])]);
  });

  it("adds to the metadata it is given", () => {
    const into = new Metadata();
    into.set("grpc-status-details-bin", Buffer.from([0]));
    headersToMetadata(new Headers({ "x-a": "1" }), into);
    expect(Object.keys(into.getMap()).sort()).to.deep.equal(["grpc-status-details-bin", "x-a"]);
  });
});
