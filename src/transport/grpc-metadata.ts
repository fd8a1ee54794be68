/**
 * gRPC metadata ⇄ Fetch `Headers`. Interceptors and implementations only see `Headers` (as on the Connect
 * door), so the grpc-js listener converts at its edges. Binary (`-bin`) entries travel as base64 text, the
 * way they appear on the HTTP/2 wire.
 */
import { Metadata } from "@grpc/grpc-js";

const BINARY_SUFFIX = "-bin";

/** What grpc-js accepts as a metadata key / text value; anything else would make it throw. */
const LEGAL_KEY = /^[0-9a-z_.-]+$/;
const LEGAL_TEXT_VALUE = /^[ -~]*$/;

/**
 * Headers the HTTP/2 transport owns: an implementation's or an error's headers must not override them.
 * grpc-js already removes these from incoming metadata.
 */
const TRANSPORT_HEADERS = new Set(["content-type", "content-length", "te", "connection", "transfer-encoding", "keep-alive", "upgrade", "host"]);

/**
 * Incoming metadata as request headers; multiple values of a key are all kept. The headers are a view:
 * `get` and `has` (all the interceptors use) read the metadata, and the copy into the `Headers` is made
 * only when something else is asked of them. Copying every entry through undici's validating `append`
 * was most of the door's own per-call work after the invoker (`npm run bench:door`; figures in
 * docs/performance.md), for headers that grpc-js has already validated.
 */
export function metadataToHeaders(metadata: Metadata): Headers {
  return new MetadataHeaders(metadata);
}

/** Headers' own methods, which the view calls on itself once it is filled. */
const HEADERS = Headers.prototype;

/** A metadata value as its header text: binary values travel as base64, as on the wire. */
function headerText(value: string | Buffer): string {
  return typeof value === "string" ? value : value.toString("base64");
}

/**
 * `Headers` over a call's metadata: `get` and `has` answer from the metadata until the copy is made;
 * every other method of `Headers.prototype` (found by listing it, so a method a later Node adds is
 * covered too) makes the copy first, then runs as on any `Headers`.
 */
export class MetadataHeaders extends Headers {
  #metadata: Metadata | undefined;

  constructor(metadata: Metadata) {
    super();
    this.#metadata = metadata;
  }

  /** Copies the metadata into the `Headers`, once; from then on it is a plain `Headers`. */
  static #fill(headers: MetadataHeaders): void {
    const metadata = headers.#metadata;
    if (metadata === undefined) return;
    headers.#metadata = undefined;
    // toJSON() lists every key with all its values in one pass; getMap() would copy each binary value
    // just to name the keys, and get() per key would look each one up again.
    for (const [key, values] of Object.entries(metadata.toJSON())) {
      for (const value of values) HEADERS.append.call(headers, key, headerText(value));
    }
  }

  static #get(headers: MetadataHeaders, name: string): string | null {
    const metadata = headers.#metadata;
    if (metadata === undefined) return HEADERS.get.call(headers, name);
    // grpc-js lowercases the key, as Headers does; several values are joined with ", " as Headers joins them.
    const values = metadata.get(name);
    if (values.length === 0) return null;
    return values.length === 1 ? headerText(values[0]!) : values.map(headerText).join(", ");
  }

  static #has(headers: MetadataHeaders, name: string): boolean {
    const metadata = headers.#metadata;
    return metadata === undefined ? HEADERS.has.call(headers, name) : metadata.get(name).length > 0;
  }

  // Node's type declarations (undici-types) declare Headers' methods as readonly properties, which a
  // TypeScript subclass cannot override with methods; so the overrides go onto the prototype here.
  static {
    const prototype = MetadataHeaders.prototype as unknown as Record<PropertyKey, unknown>;
    const define = (key: PropertyKey, value: (this: MetadataHeaders, ...args: never[]) => unknown) =>
      Object.defineProperty(prototype, key, { value, writable: true, configurable: true, enumerable: false });
    for (const key of Reflect.ownKeys(HEADERS)) {
      const inherited = Object.getOwnPropertyDescriptor(HEADERS, key)?.value as unknown;
      if (key === "constructor" || typeof inherited !== "function") continue;
      define(key, function (this: MetadataHeaders, ...args: never[]) {
        MetadataHeaders.#fill(this);
        return Reflect.apply(inherited, this, args) as unknown;
      });
    }
    define("get", function (this: MetadataHeaders, name: string) {
      return MetadataHeaders.#get(this, name);
    });
    define("has", function (this: MetadataHeaders, name: string) {
      return MetadataHeaders.#has(this, name);
    });
  }
}

/**
 * Response headers or trailers as metadata. Entries gRPC could not carry (transport-owned names,
 * `grpc-*`, illegal keys or values) are dropped rather than failing the call.
 */
export function headersToMetadata(headers: Headers, into: Metadata = new Metadata()): Metadata {
  headers.forEach((value, key) => {
    if (!isForwardable(key)) return;
    if (key.endsWith(BINARY_SUFFIX)) {
      into.add(key, Buffer.from(value, "base64"));
    } else if (LEGAL_TEXT_VALUE.test(value)) {
      into.add(key, value);
    }
  });
  return into;
}

function isForwardable(key: string): boolean {
  return LEGAL_KEY.test(key) && !key.startsWith("grpc-") && !TRANSPORT_HEADERS.has(key);
}
