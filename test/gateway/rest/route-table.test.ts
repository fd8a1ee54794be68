/**
 * The REST route table (src/gateway/rest/route-table.ts): matching and capturing the way vanguard-go's
 * router tests and grpc-gateway's mux tests pin it — literal over wildcard, `**` taking the rest (or
 * nothing), verbs, percent-decoding of single- and multi-segment captures, trailing slashes, `:` in the
 * last segment, 404 vs 405 with the allowed methods, and conflicting routes.
 */
import { expect } from "chai";
import { MalformedEscapeError } from "../../../src/gateway/rest/path-escaping.js";
import { parsePathTemplate } from "../../../src/gateway/rest/path-template.js";
import { RouteConflictError, RouteTable, type RouteMatch } from "../../../src/gateway/rest/route-table.js";

/** vanguard-go's router test routes (minus nested variables, which the spec forbids), on GET and POST. */
const ROUTES = [
  "/foo/bar/baz/buzz",
  "/foo/bar/{name}",
  "/foo/bar/{name}/baz/{child}",
  "/foo/bar/{name}/baz/{child.id}/buzz/{child.thing.id}",
  "/foo/bar/*/{thing.id}/{cat=**}",
  "/foo/bar/*/{thing.id}/{cat=**}:do",
  "/foo/bar/*/{thing.id}/{cat=**}:cancel",
  "/foo%2Fbar/%2A/%2A%2a/{starstar=%2A%2a/**}:%2c",
  "/v1/{name=shelves/*}/books",
];

function table(routes: readonly string[] = ROUTES, methods = ["GET", "POST"]): RouteTable<string> {
  const t = new RouteTable<string>();
  for (const route of routes) for (const method of methods) t.add(method, parsePathTemplate(route), `${method} ${route}`, `${method} ${route}`);
  return t;
}

/** The matched route and its captures by field path, or the kind of miss. */
function found(match: RouteMatch<string>): { route: string; vars: Record<string, string> } | string {
  if (match.kind !== "found") return match.kind;
  const vars = Object.fromEntries(match.template.variables.map((v, i) => [v.fieldPath, match.captures[i]!]));
  return { route: match.route, vars };
}

describe("gateway/route-table", () => {
  const t = table();

  const cases: Array<[path: string, route: string | undefined, vars?: Record<string, string>]> = [
    ["/bob/lob/law", undefined],
    ["/foo/bar/baz", "/foo/bar/{name}", { name: "baz" }],
    ["/foo/bob/lob/law", undefined],
    ["/foo/bar/baz/buzz", "/foo/bar/baz/buzz", {}],
    ["/foo/bar/baz/baz/buzz", "/foo/bar/{name}/baz/{child}", { name: "baz", child: "buzz" }],
    ["/foo/bar/1/baz/2/buzz/3", "/foo/bar/{name}/baz/{child.id}/buzz/{child.thing.id}", { name: "1", "child.id": "2", "child.thing.id": "3" }],
    ["/foo/bar/baz/123", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "123", cat: "" }],
    ["/foo/bar/baz/123/buzz", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "123", cat: "buzz" }],
    ["/foo/bar/baz/123/buzz/buzz", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "123", cat: "buzz/buzz" }],
    ["/foo/bar/baz/123/buzz/buzz:do", "/foo/bar/*/{thing.id}/{cat=**}:do", { "thing.id": "123", cat: "buzz/buzz" }],
    ["/foo/bar/baz/123/fizz/buzz/frob/nitz:do", "/foo/bar/*/{thing.id}/{cat=**}:do", { "thing.id": "123", cat: "fizz/buzz/frob/nitz" }],
    ["/foo/bar/baz/123/buzz/buzz:cancel", "/foo/bar/*/{thing.id}/{cat=**}:cancel", { "thing.id": "123", cat: "buzz/buzz" }],
    ["/foo/bar/baz/123/buzz/buzz:blah", undefined],
    // Escapes: a single-segment capture is fully decoded, a multi-segment one keeps %2F (vanguard-go's case).
    ["/foo/bar/baz/%2f/%2A/%2f", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "/", cat: "*/%2F" }],
    ["/foo/bar/a%20b%2Fc", "/foo/bar/{name}", { name: "a b/c" }],
    // Literals compare decoded: %2F inside a literal segment is not a separator.
    ["/foo%2fbar/*/**/**/x/y:,", "/foo%2Fbar/%2A/%2A%2a/{starstar=%2A%2a/**}:%2c", { starstar: "**/x/y" }],
    ["/foo/bar/*/**/**:,", undefined],
    ["/foo%2Fbar/%2A/%2a%2A/%2A%2A:%2C", "/foo%2Fbar/%2A/%2A%2a/{starstar=%2A%2a/**}:%2c", { starstar: "**" }],
    // A multi-segment capture keeps its literals.
    ["/v1/shelves/s1/books", "/v1/{name=shelves/*}/books", { name: "shelves/s1" }],
    ["/v1/racks/s1/books", undefined],
    // `:` in the last segment starts the verb only when it is a real colon, not %3A.
    ["/foo/bar/a%3Ab", "/foo/bar/{name}", { name: "a:b" }],
    ["/foo/bar/a:b", undefined],
    ["/foo/bar/baz/123/x:", undefined],
    // A colon in an earlier segment is part of that segment.
    ["/foo/bar/a:b/baz/c", "/foo/bar/{name}/baz/{child}", { name: "a:b", child: "c" }],
    // Trailing slashes and empty segments match no literal and no `*`.
    ["/foo/bar/", undefined],
    ["/v1/shelves/s1/books/", undefined],
    ["/v1/shelves//books", undefined],
    // ... except inside a `**` capture, which takes whatever is left.
    ["/foo/bar/baz/buzz/", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "buzz", cat: "" }],
    ["/foo/bar/baz/buzz//x/", "/foo/bar/*/{thing.id}/{cat=**}", { "thing.id": "buzz", cat: "/x/" }],
    ["//foo/bar/baz", undefined],
    ["/foo//bar/baz", undefined],
    // Literals are case-sensitive.
    ["/FOO/bar/baz", undefined],
  ];
  for (const [path, route, vars] of cases) {
    it(`${path} → ${route ?? "404"}`, () => {
      for (const method of ["GET", "POST"]) {
        const match = t.match(method, path);
        if (route === undefined) expect(found(match)).to.equal("not-found");
        else expect(found(match)).to.deep.equal({ route: `${method} ${route}`, vars });
      }
    });
  }

  it("tries a wildcard when the literal has no route for the method (method-aware backtracking)", () => {
    const rt = new RouteTable<string>();
    rt.add("GET", parsePathTemplate("/v1/users/{id}"), "get", "get");
    rt.add("POST", parsePathTemplate("/v1/users/me"), "me", "me");
    expect(found(rt.match("GET", "/v1/users/me"))).to.deep.equal({ route: "get", vars: { id: "me" } });
    expect(found(rt.match("POST", "/v1/users/me"))).to.deep.equal({ route: "me", vars: {} });
    expect(rt.match("PUT", "/v1/users/me")).to.deep.equal({ kind: "method-not-allowed", allowed: ["GET", "POST"] });
    expect(rt.match("POST", "/v1/users/x")).to.deep.equal({ kind: "method-not-allowed", allowed: ["GET"] });
  });

  it("answers a known path with other methods 405, listing them sorted; methods are case-sensitive", () => {
    expect(t.match("DELETE", "/foo/bar/baz")).to.deep.equal({ kind: "method-not-allowed", allowed: ["GET", "POST"] });
    expect(t.match("get", "/foo/bar/baz")).to.deep.equal({ kind: "method-not-allowed", allowed: ["GET", "POST"] });
    expect(t.match("DELETE", "/nowhere").kind).to.equal("not-found");
  });

  it("refuses a malformed escape or a path that is not rooted", () => {
    expect(() => t.match("GET", "/foo/bar/%zz")).to.throw(MalformedEscapeError);
    expect(() => t.match("GET", "/foo/bar/%E2%82")).to.throw(MalformedEscapeError);
    expect(() => t.match("GET", "foo/bar")).to.throw(MalformedEscapeError);
    expect(() => t.match("GET", "*")).to.throw(MalformedEscapeError);
  });

  it("refuses two routes with the same method and shape, whatever their variable names", () => {
    const rt = table(["/v1/{a}"], ["GET"]);
    expect(() => rt.add("GET", parsePathTemplate("/v1/{b}"), "x", "second")).to.throw(RouteConflictError, "GET /v1/* is bound twice: by GET /v1/{a} and by second");
    expect(() => rt.add("get", parsePathTemplate("/v1/*"), "x", "third")).to.throw(RouteConflictError);
    expect(() => rt.add("GET", parsePathTemplate("/v1/%61"), "x", "literal a")).not.to.throw();
    expect(() => rt.add("GET", parsePathTemplate("/v1/a"), "x", "literal a again")).to.throw(RouteConflictError, "by literal a and by literal a again");
    // Different method, verb, or a literal `*`: no conflict.
    expect(() => rt.add("POST", parsePathTemplate("/v1/{b}"), "x", "post")).not.to.throw();
    expect(() => rt.add("GET", parsePathTemplate("/v1/{b}:do"), "x", "verb")).not.to.throw();
    expect(() => rt.add("GET", parsePathTemplate("/v1/%2A"), "x", "star literal")).not.to.throw();
    expect(found(rt.match("GET", "/v1/%2A"))).to.deep.equal({ route: "x", vars: {} });
    expect(rt.list().map((r) => r.route)).to.deep.equal(["GET /v1/{a}", "x", "x", "x", "x"]);
  });
});
