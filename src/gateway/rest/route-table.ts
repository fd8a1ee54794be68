/**
 * The REST route table: a trie of path templates, matched like vanguard-go's. A request path is split on
 * `/`; if its last segment holds a `:`, what follows the last `:` is the custom verb. Descent tries the
 * literal child first, then `*`, then `**` (which takes every remaining segment, or none), and backtracks,
 * so literal segments win over wildcards and a literal that has no route for the request's method falls
 * back to a wildcard that has. Empty segments (`//`, a trailing `/`) match no literal and no `*`.
 * A path that matches no template is a 404; one that matches only with other methods is a 405 whose
 * `Allow` lists them. Two routes with the same method and template shape conflict.
 */
import { decodeMultiSegment, decodeSegment, MalformedEscapeError } from "./path-escaping.js";
import { templateShape, type PathTemplate } from "./path-template.js";

/** The outcome of matching a request. `captures[i]` is the decoded value of `template.variables[i]`. */
export type RouteMatch<T> =
  | { readonly kind: "found"; readonly route: T; readonly template: PathTemplate; readonly captures: readonly string[] }
  | { readonly kind: "method-not-allowed"; readonly allowed: readonly string[] }
  | { readonly kind: "not-found" };

/** Two routes with the same HTTP method and template shape. */
export class RouteConflictError extends Error {
  override readonly name = "RouteConflictError";
}

interface Entry<T> {
  readonly route: T;
  readonly template: PathTemplate;
  readonly name: string;
}

/** Routes at one trie node, by verb key (see {@link verbKey}) and upper-case HTTP method. */
type Ends<T> = Map<string, Map<string, Entry<T>>>;

interface TrieNode<T> {
  readonly literals: Map<string, TrieNode<T>>;
  wildcard: TrieNode<T> | undefined;
  deep: TrieNode<T> | undefined;
  readonly ends: Ends<T>;
}

const newNode = <T>(): TrieNode<T> => ({ literals: new Map(), wildcard: undefined, deep: undefined, ends: new Map() });

/** `""` without a verb; `:verb` with one (a request path ending in `:` has the key `:`, which no template has). */
const verbKey = (verb: string | undefined) => (verb === undefined ? "" : `:${verb}`);

/** A request path split for matching. */
interface SplitPath {
  readonly raw: readonly string[];
  readonly decoded: readonly string[];
  readonly verbKey: string;
}

/** The route table. `T` is what a route carries (the gateway's transcoding plan; anything in tests). */
export class RouteTable<T> {
  private readonly root: TrieNode<T> = newNode();
  private readonly entries: Array<Entry<T> & { readonly httpMethod: string }> = [];

  /**
   * Adds a route. `name` identifies it in conflict errors (e.g. `keyward.v1.UserRegistry.GetUser`).
   * Throws {@link RouteConflictError} when `httpMethod` and the template's shape are taken.
   */
  add(httpMethod: string, template: PathTemplate, route: T, name: string): void {
    let node = this.root;
    for (const segment of template.segments) {
      if (segment.kind === "literal") {
        let next = node.literals.get(segment.value);
        if (!next) node.literals.set(segment.value, (next = newNode()));
        node = next;
      } else if (segment.kind === "wildcard") {
        node = node.wildcard ??= newNode();
      } else {
        node = node.deep ??= newNode();
      }
    }
    const key = verbKey(template.verb);
    let methods = node.ends.get(key);
    if (!methods) node.ends.set(key, (methods = new Map()));
    const method = httpMethod.toUpperCase();
    const existing = methods.get(method);
    if (existing) {
      throw new RouteConflictError(`${method} ${templateShape(template)} is bound twice: by ${existing.name} and by ${name}`);
    }
    const entry = { route, template, name };
    methods.set(method, entry);
    this.entries.push({ ...entry, httpMethod: method });
  }

  /** Every route, in the order added. */
  list(): ReadonlyArray<{ readonly httpMethod: string; readonly template: PathTemplate; readonly route: T }> {
    return this.entries;
  }

  /**
   * Matches a request. `rawPath` is the request target's path, still percent-encoded, without the query.
   * Throws {@link MalformedEscapeError} for a path that is not `/`-rooted or has a malformed escape.
   */
  match(httpMethod: string, rawPath: string): RouteMatch<T> {
    const path = splitPath(rawPath);
    const method = httpMethod; // case-sensitive (RFC 9110): `get` is not GET
    let found: Entry<T> | undefined;
    this.walk(this.root, path, 0, (methods) => {
      found = methods.get(method);
      return found !== undefined;
    });
    if (found) return { kind: "found", route: found.route, template: found.template, captures: capture(found.template, path.raw) };
    const allowed = new Set<string>();
    this.walk(this.root, path, 0, (methods) => {
      for (const m of methods.keys()) allowed.add(m);
      return false;
    });
    return allowed.size > 0 ? { kind: "method-not-allowed", allowed: [...allowed].sort() } : { kind: "not-found" };
  }

  /** Visits the route sets of every template matching `path`, most specific first, until `visit` returns true. */
  private walk(node: TrieNode<T>, path: SplitPath, i: number, visit: (methods: Map<string, Entry<T>>) => boolean): boolean {
    const atEnd = (n: TrieNode<T> | undefined) => {
      const methods = n?.ends.get(path.verbKey);
      return methods !== undefined && visit(methods);
    };
    if (i === path.raw.length) return atEnd(node) || atEnd(node.deep);
    const literal = node.literals.get(path.decoded[i]!);
    if (literal && this.walk(literal, path, i + 1, visit)) return true;
    if (node.wildcard && path.raw[i] !== "" && this.walk(node.wildcard, path, i + 1, visit)) return true;
    return atEnd(node.deep);
  }
}

function splitPath(rawPath: string): SplitPath {
  if (!rawPath.startsWith("/")) throw new MalformedEscapeError("the path must start with `/`");
  const raw = rawPath.slice(1).split("/");
  const last = raw[raw.length - 1]!;
  const colon = last.lastIndexOf(":");
  let verb: string | undefined;
  if (colon !== -1) {
    raw[raw.length - 1] = last.slice(0, colon);
    verb = decodeSegment(last.slice(colon + 1));
  }
  return { raw, decoded: raw.map(decodeSegment), verbKey: verbKey(verb) };
}

/** The decoded value of each variable of `template` in the matched `raw` segments. */
function capture(template: PathTemplate, raw: readonly string[]): string[] {
  return template.variables.map((variable) => {
    const segments = raw.slice(variable.start, variable.end ?? raw.length);
    const singleSegment = variable.end !== undefined && variable.end - variable.start === 1;
    return singleSegment ? decodeSegment(segments[0]!) : decodeMultiSegment(segments);
  });
}
