/**
 * The google.api.http template grammar (src/gateway/rest/path-template.ts), with the cases grpc-gateway's
 * and vanguard-go's parser tests cover: literals, `{field}`, `{field=pattern}`, `*`, `**`, nested
 * field paths, verbs, escapes, and the templates both refuse.
 */
import { expect } from "chai";
import { parsePathTemplate, templateShape, TemplateSyntaxError } from "../../../src/gateway/rest/path-template.js";

describe("gateway/path-template", () => {
  it("parses literals, variables and a verb into segments and captures", () => {
    const t = parsePathTemplate("/api/v1/users/{user_id}/api-keys/{key_id}:regenerate");
    expect(t.segments).to.deep.equal([
      { kind: "literal", value: "api" },
      { kind: "literal", value: "v1" },
      { kind: "literal", value: "users" },
      { kind: "wildcard" },
      { kind: "literal", value: "api-keys" },
      { kind: "wildcard" },
    ]);
    expect(t.verb).to.equal("regenerate");
    expect(t.variables).to.deep.equal([
      { fieldPath: "user_id", start: 3, end: 4 },
      { fieldPath: "key_id", start: 5, end: 6 },
    ]);
  });

  it("takes nested field paths", () => {
    const t = parsePathTemplate("/api/v1/users/{api_key.user_id}/api-keys/{api_key.id}");
    expect(t.variables.map((v) => v.fieldPath)).to.deep.equal(["api_key.user_id", "api_key.id"]);
  });

  it("reads {field=pattern} as a capture of several segments, literals included", () => {
    const t = parsePathTemplate("/v1/{name=shelves/*/books/*}");
    expect(t.segments.map((s) => s.kind)).to.deep.equal(["literal", "literal", "wildcard", "literal", "wildcard"]);
    expect(t.variables).to.deep.equal([{ fieldPath: "name", start: 1, end: 5 }]);
  });

  it("lets a ** capture run to the end, before a verb", () => {
    const t = parsePathTemplate("/foo/bar/*/{thing.id}/{cat=**}:do");
    expect(t.segments.map((s) => s.kind)).to.deep.equal(["literal", "literal", "wildcard", "wildcard", "deep-wildcard"]);
    expect(t.variables).to.deep.equal([
      { fieldPath: "thing.id", start: 3, end: 4 },
      { fieldPath: "cat", start: 4, end: undefined },
    ]);
    expect(t.verb).to.equal("do");
  });

  it("keeps literals and verbs percent-decoded and prints them canonically", () => {
    const t = parsePathTemplate("/foo%2Fbar/%2A/%2A%2a/{starstar=%2A%2a/**}:%2c");
    expect(t.segments.slice(0, 3)).to.deep.equal([
      { kind: "literal", value: "foo/bar" },
      { kind: "literal", value: "*" },
      { kind: "literal", value: "**" },
    ]);
    expect(t.verb).to.equal(",");
    expect(templateShape(t)).to.equal("/foo%2Fbar/%2A/%2A%2A/%2A%2A/**:,");
    expect(templateShape(parsePathTemplate("/a-b/{x}"))).to.equal(templateShape(parsePathTemplate("/a%2Db/{y}")));
  });

  const refused: Array<[string, string]> = [
    ["", "expected `/`"],
    ["api/v1", "expected `/`"],
    ["/", "expected a segment"],
    ["/v1/", "expected a segment"],
    ["/v1//users", "expected a segment"],
    ["/v1/**/users", "`**` must be the last segment"],
    ["/v1/{name=**}/x", "`**` must be the last segment"],
    ["/v1/{a}/{a}", "field `a` is bound twice"],
    ["/v1/{a={b}}", "must not contain another variable"],
    ["/v1/{a", "expected `}`"],
    ["/v1/{}", "expected a field name"],
    ["/v1/{1a}", "expected a field name"],
    ["/v1/{a.}", "expected a field name"],
    ["/v1/x:", "expected a verb"],
    ["/v1/x:a:b", "unexpected `:`"],
    ["/v1/a%zz", "malformed percent-encoding"],
    ["/v1/a%", "malformed percent-encoding"],
    ["/v1/a b", "unexpected ` `"],
    ["/v1/a?b", "unexpected `?`"],
    ["/v1/***", "unexpected `*`"],
  ];
  for (const [template, problem] of refused) {
    it(`refuses ${JSON.stringify(template)}: ${problem}`, () => {
      expect(() => parsePathTemplate(template)).to.throw(TemplateSyntaxError, problem);
    });
  }
});
