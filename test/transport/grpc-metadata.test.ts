import { Metadata } from "@grpc/grpc-js";
import { expect } from "chai";
import { headersToMetadata, metadataToHeaders, MetadataHeaders } from "../../src/transport/grpc-metadata.js";

/** Metadata as a client sends it, and the Headers an eager copy of it makes. */
function sample(): { metadata: Metadata; copy: Headers } {
  const metadata = new Metadata();
  metadata.add("authorization", "Bearer k");
  metadata.add("x-multi", "a");
  metadata.add("x-multi", "b");
  metadata.add("x-id-bin", Buffer.from([1, 2, 255]));
  const copy = new Headers();
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    for (const value of values) copy.append(key, typeof value === "string" ? value : value.toString("base64"));
  }
  return { metadata, copy };
}

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

  it("answers get and has from the metadata exactly as a copied Headers would, any case, absent names too", () => {
    const { metadata, copy } = sample();
    const view = metadataToHeaders(metadata);
    for (const name of ["authorization", "Authorization", "x-multi", "x-id-bin", "X-ID-BIN", "cookie", "x-absent"]) {
      expect(view.get(name), name).to.equal(copy.get(name));
      expect(view.has(name), name).to.equal(copy.has(name));
    }
  });

  it("copies the metadata on any other use, so every Headers method sees every entry", () => {
    const read: Record<string, (h: Headers) => unknown> = {
      keys: (h) => [...h.keys()],
      values: (h) => [...h.values()],
      entries: (h) => [...h.entries()],
      iterator: (h) => [...h],
      forEach: (h) => {
        const seen: string[] = [];
        h.forEach((value, key) => seen.push(`${key}=${value}`));
        return seen;
      },
      getSetCookie: (h) => h.getSetCookie(),
      "new Headers(view)": (h) => [...new Headers(h)],
    };
    for (const [what, use] of Object.entries(read)) {
      const { metadata, copy } = sample();
      expect(use(metadataToHeaders(metadata)), what).to.deep.equal(use(copy));
    }
    const writes: Record<string, (h: Headers) => void> = {
      append: (h) => h.append("x-multi", "c"),
      set: (h) => h.set("authorization", "Bearer other"),
      delete: (h) => h.delete("x-multi"),
    };
    for (const [what, write] of Object.entries(writes)) {
      const { metadata, copy } = sample();
      const view = metadataToHeaders(metadata);
      write(view);
      write(copy);
      expect([...view], what).to.deep.equal([...copy]);
      expect(view.get("authorization"), what).to.equal(copy.get("authorization"));
      expect(view.get("x-multi"), what).to.equal(copy.get("x-multi"));
    }
  });

  it("overrides every method of Headers.prototype, so none reads the unfilled copy", () => {
    const inherited = Reflect.ownKeys(Headers.prototype).filter((key) => {
      const descriptor = Object.getOwnPropertyDescriptor(Headers.prototype, key)!;
      return key !== "constructor" && typeof descriptor.value === "function" && !Object.prototype.hasOwnProperty.call(MetadataHeaders.prototype, key);
    });
    expect(inherited.map(String)).to.deep.equal([]);
    expect(Object.prototype.hasOwnProperty.call(MetadataHeaders.prototype, "getSetCookie")).to.equal(true);
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
