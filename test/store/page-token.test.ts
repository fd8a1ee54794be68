// The shared page-token codec and page cutting, independent of any backend.
import { expect } from "chai";
import fc from "fast-check";
import { decodePageToken, encodePageToken } from "../../src/store/page-token.js";
import { apiKeyListScope, toPage } from "../../src/store/pagination.js";
import { isStoreError } from "../../src/store/store.js";

const sortKey = fc.record({
  createdAt: fc.date({ noInvalidDate: true }),
  id: fc.string({ minLength: 1 }),
});

describe("store: page tokens", () => {
  it("decodes what it encodes, for the same scope (property)", () => {
    fc.assert(
      fc.property(fc.string(), sortKey, (scope, key) => {
        const decoded = decodePageToken(scope, encodePageToken(scope, key));
        expect(decoded?.id).to.equal(key.id);
        expect(decoded?.createdAt.getTime()).to.equal(key.createdAt.getTime());
      }),
    );
  });

  it("reads the empty token as the first page", () => {
    expect(decodePageToken("users", "")).to.equal(undefined);
  });

  it("rejects a token for another scope with invalid_argument (property)", () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), sortKey, (scope, other, key) => {
        fc.pre(scope !== other);
        expect(() => decodePageToken(other, encodePageToken(scope, key))).to.throw().that.satisfies(isInvalid);
      }),
    );
  });

  it("never accepts arbitrary non-empty strings: only invalid_argument (property)", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (token) => {
        expect(() => decodePageToken("users", token)).to.throw().that.satisfies(isInvalid);
      }),
    );
  });

  it("rejects a valid token with characters appended or changed", () => {
    const token = encodePageToken("users", { createdAt: new Date(5), id: "alice" });
    for (const tampered of [`${token}A`, `${token}=`, `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`, ` ${token}`]) {
      expect(() => decodePageToken("users", tampered), tampered).to.throw().that.satisfies(isInvalid);
    }
  });

  it("binds key-list tokens to the user and the filter", () => {
    const scopes = [
      apiKeyListScope("alice", { state: undefined, nameContains: undefined }),
      apiKeyListScope("bob", { state: undefined, nameContains: undefined }),
      apiKeyListScope("alice", { state: "active", nameContains: undefined }),
      apiKeyListScope("alice", { state: undefined, nameContains: "x" }),
      apiKeyListScope("alice", { state: "active", nameContains: "x" }),
    ];
    expect(new Set(scopes).size).to.equal(scopes.length);
  });
});

describe("store: page cutting", () => {
  const item = (n: number) => ({ createdAt: new Date(n), id: `i${n}` });

  it("shows pageSize items and points the token at the last one when more were fetched", () => {
    const page = toPage([item(3), item(2), item(1)], 2, 7, "s", (x) => x);
    expect(page.items).to.deep.equal([item(3), item(2)]);
    expect(page.totalSize).to.equal(7);
    expect(decodePageToken("s", page.nextPageToken)).to.deep.equal(item(2));
  });

  it("ends the list when no extra item was fetched", () => {
    expect(toPage([item(3), item(2)], 2, 2, "s", (x) => x).nextPageToken).to.equal("");
    expect(toPage([], 2, 0, "s", (x) => x)).to.deep.equal({ items: [], nextPageToken: "", totalSize: 0 });
  });
});

function isInvalid(error: unknown): boolean {
  return isStoreError(error, "invalid_argument");
}
