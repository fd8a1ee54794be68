/**
 * The `google.api.http` path template grammar (google/api/http.proto):
 *
 *     Template = "/" Segments [ Verb ] ;
 *     Segments = Segment { "/" Segment } ;
 *     Segment  = "*" | "**" | LITERAL | Variable ;
 *     Variable = "{" FieldPath [ "=" Segments ] "}" ;
 *     FieldPath = IDENT { "." IDENT } ;
 *     Verb     = ":" LITERAL ;
 *
 * `{field}` is `{field=*}`; `*` matches one segment, `**` zero or more and must be the last segment;
 * a variable must not contain another variable (the spec's rule; vanguard-go's nested variables are an
 * extension we leave out), and no field may be bound twice. Literals may be percent-encoded and are
 * kept decoded, so `/a%2Db` and `/a-b` are the same template.
 */

/** One segment of a template. Literals are stored percent-decoded. */
export type TemplateSegment =
  | { readonly kind: "literal"; readonly value: string }
  | { readonly kind: "wildcard" }
  | { readonly kind: "deep-wildcard" };

/** A `{field.path=...}` capture: the segments `[start, end)` it covers; `end` undefined means "to the end" (`**`). */
export interface TemplateVariable {
  readonly fieldPath: string;
  readonly start: number;
  readonly end: number | undefined;
}

/** A parsed template. */
export interface PathTemplate {
  readonly source: string;
  readonly segments: readonly TemplateSegment[];
  /** The custom verb after `:` (decoded), e.g. `regenerate`; undefined when there is none. */
  readonly verb: string | undefined;
  readonly variables: readonly TemplateVariable[];
}

/** A template that does not follow the grammar; the message names the template and the position. */
export class TemplateSyntaxError extends Error {
  override readonly name = "TemplateSyntaxError";
}

/** RFC 3986 unreserved characters and the sub-delimiters the grammar does not use. */
const LITERAL_CHAR = /[A-Za-z0-9\-._~!$&'()+,;@]/;
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parses `template`; throws {@link TemplateSyntaxError} when it does not follow the grammar. */
export function parsePathTemplate(template: string): PathTemplate {
  const parser = new Parser(template);
  return parser.parse();
}

/**
 * The template with variables reduced to their patterns and literals canonically encoded, e.g.
 * `/api/v1/users/{user_id}` gives `/api/v1/users/*`. Two routes with the same shape and method conflict.
 */
export function templateShape(template: PathTemplate): string {
  const segments = template.segments.map((s) => (s.kind === "literal" ? encodeLiteral(s.value) : s.kind === "wildcard" ? "*" : "**"));
  return `/${segments.join("/")}${template.verb === undefined ? "" : `:${encodeLiteral(template.verb)}`}`;
}

/** A decoded literal in canonical form: unreserved characters as they are, everything else percent-encoded. */
export function encodeLiteral(value: string): string {
  const encode = (c: string) => [...Buffer.from(c)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  return [...value].map((c) => (LITERAL_CHAR.test(c) ? c : encode(c))).join("");
}

class Parser {
  private pos = 0;
  private readonly segments: TemplateSegment[] = [];
  private readonly variables: TemplateVariable[] = [];
  private inVariable = false;

  constructor(private readonly source: string) {}

  parse(): PathTemplate {
    this.expect("/");
    this.parseSegments();
    let verb: string | undefined;
    if (this.peek() === ":") {
      this.pos++;
      verb = this.parseLiteral("verb");
    }
    if (this.pos < this.source.length) this.fail(`unexpected \`${this.source[this.pos]}\``);
    const deep = this.segments.findIndex((s) => s.kind === "deep-wildcard");
    if (deep !== -1 && deep !== this.segments.length - 1) this.fail("`**` must be the last segment", false);
    return { source: this.source, segments: this.segments, verb, variables: this.variables };
  }

  private parseSegments(): void {
    this.parseSegment();
    while (this.peek() === "/") {
      this.pos++;
      this.parseSegment();
    }
  }

  private parseSegment(): void {
    const c = this.peek();
    if (c === "*") {
      this.pos++;
      if (this.peek() === "*") {
        this.pos++;
        this.segments.push({ kind: "deep-wildcard" });
      } else {
        this.segments.push({ kind: "wildcard" });
      }
    } else if (c === "{") {
      this.parseVariable();
    } else {
      this.segments.push({ kind: "literal", value: this.parseLiteral("segment") });
    }
  }

  private parseVariable(): void {
    if (this.inVariable) this.fail("a variable must not contain another variable");
    this.expect("{");
    const fieldPath = this.parseFieldPath();
    if (this.variables.some((v) => v.fieldPath === fieldPath)) this.fail(`field \`${fieldPath}\` is bound twice`, false);
    const start = this.segments.length;
    if (this.peek() === "=") {
      this.pos++;
      this.inVariable = true;
      this.parseSegments();
      this.inVariable = false;
    } else {
      this.segments.push({ kind: "wildcard" });
    }
    this.expect("}");
    const deep = this.segments.slice(start).some((s) => s.kind === "deep-wildcard");
    this.variables.push({ fieldPath, start, end: deep ? undefined : this.segments.length });
  }

  private parseFieldPath(): string {
    const idents: string[] = [];
    do {
      if (idents.length > 0) this.pos++; // the "."
      const match = IDENT.exec(this.source.slice(this.pos));
      if (!match) this.fail("expected a field name");
      idents.push(match[0]);
      this.pos += match[0].length;
    } while (this.peek() === ".");
    return idents.join(".");
  }

  /** A LITERAL: unreserved characters or percent-encodings; returns it decoded. */
  private parseLiteral(what: string): string {
    const start = this.pos;
    while (this.pos < this.source.length) {
      const c = this.source[this.pos]!;
      if (c === "%") {
        if (!/^%[0-9A-Fa-f]{2}/.test(this.source.slice(this.pos, this.pos + 3))) this.fail("malformed percent-encoding");
        this.pos += 3;
      } else if (LITERAL_CHAR.test(c)) {
        this.pos++;
      } else {
        break;
      }
    }
    if (this.pos === start) this.fail(`expected a ${what}`);
    try {
      return decodeURIComponent(this.source.slice(start, this.pos));
    } catch {
      return this.fail("percent-encoding is not UTF-8");
    }
  }

  private peek(): string | undefined {
    return this.source[this.pos];
  }

  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected \`${c}\``);
    this.pos++;
  }

  private fail(problem: string, at = true): never {
    const where = at ? ` at position ${this.pos}` : "";
    throw new TemplateSyntaxError(`path template \`${this.source}\`: ${problem}${where}`);
  }
}
