/** Node's request headers as Fetch `Headers`, what interceptors read credentials from. */
import type { IncomingMessage } from "node:http";
import { RequestTooComplex } from "../errors/errors.js";
import { MAX_REQUEST_HEADERS } from "../request-limits.js";

/**
 * The request's headers in arrival order; a header Fetch cannot hold is left out (no interceptor needs
 * it). Throws `REQUEST_TOO_COMPLEX` past {@link MAX_REQUEST_HEADERS}: Node drops headers past its own
 * count without a word, and a request must never be judged on part of its headers.
 */
export function headersOf(request: IncomingMessage): Headers {
  if (request.rawHeaders.length > 2 * MAX_REQUEST_HEADERS) {
    throw RequestTooComplex.create({ problem: `has more than ${MAX_REQUEST_HEADERS} header lines`, limit: String(MAX_REQUEST_HEADERS) });
  }
  return new RequestHeaders(request.rawHeaders);
}

/** What Fetch accepts as a header name (RFC 9110's token). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Fetch `Headers` over Node's raw header lines, filled only when something other than `get` reads them.
 * Every interceptor reads a handful of headers by name, once each; building Fetch's list validates and
 * copies every line, which showed in every call's profile. `get` answers from the raw lines exactly as
 * the filled list would: names compared without case, repeated lines joined with ", " in arrival order.
 * Node's HTTP/1.1 parser has already refused every line Fetch would (a name that is not a token, a
 * control character in a value) and trimmed the values, so each line is one Fetch holds as it is. Any
 * other use (iteration, `has`, changes) fills the list first.
 */
class RequestHeaders extends Headers {
  #raw: readonly string[] | undefined;

  constructor(raw: readonly string[]) {
    super();
    this.#raw = raw;
  }

  /** `get` from the raw lines while the list is unfilled. */
  #getRaw(raw: readonly string[], name: string): string | null {
    const wanted = String(name).toLowerCase();
    if (!TOKEN.test(wanted)) return fetchGet.call(this, name); // Fetch's own TypeError
    let value: string | null = null;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const line = raw[i]!;
      if (line.length !== wanted.length || line.toLowerCase() !== wanted) continue;
      value = value === null ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
    }
    return value;
  }

  /** Puts every raw line Fetch accepts into the list, once; from then on the list is the headers. */
  #fill(): void {
    const raw = this.#raw;
    if (raw === undefined) return;
    this.#raw = undefined;
    for (let i = 0; i + 1 < raw.length; i += 2) fetchAppend.call(this, raw[i]!, raw[i + 1]!);
  }

  // Defined on the prototype here rather than declared as overrides: Node's typings declare Headers'
  // methods as properties, which a subclass cannot override as methods.
  static {
    Object.defineProperty(RequestHeaders.prototype, "get", {
      value(this: RequestHeaders, name: string): string | null {
        const raw = this.#raw;
        return raw === undefined ? fetchGet.call(this, name) : this.#getRaw(raw, name);
      },
      writable: true,
      configurable: true,
    });
    // Every other method reads or changes the list: it is filled first.
    for (const name of ["has", "append", "set", "delete", "getSetCookie", "forEach", "entries", "keys", "values", Symbol.iterator] as const) {
      const inherited = Headers.prototype[name] as (this: Headers, ...args: unknown[]) => unknown;
      Object.defineProperty(RequestHeaders.prototype, name, {
        value(this: RequestHeaders, ...args: unknown[]) {
          this.#fill();
          return inherited.apply(this, args);
        },
        writable: true,
        configurable: true,
      });
    }
  }
}

const fetchGet = Headers.prototype.get as (this: Headers, name: string) => string | null;
const fetchAppend = Headers.prototype.append as (this: Headers, name: string, value: string) => void;
