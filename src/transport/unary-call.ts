/**
 * The objects of one call through the invoker: its request, the implementation's handler context and
 * its response. Classes rather than object literals: every call makes one of each, and a literal with
 * getters or methods allocates a closure per accessor per call, where a class shares its prototype.
 * Whatever a call may not need (the abort signal, response headers and trailers) is created when first
 * read.
 */
import type { DescMethodServerStreaming, DescMethodUnary, DescService, MessageShape } from "@bufbuild/protobuf";
import { createContextKey, type ContextKey, type ContextValues, type HandlerContext, type StreamRequest, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { kPeer } from "../net/peer.js";
import type { CallInit } from "./call-init.js";

/** The protocol of the current call, for the handler context. */
const kProtocolName = createContextKey<string>("unknown", { description: "protocol name" });

/** The protocol a call came in by, as an interceptor sees it: `grpc`, `rest`, `connect` or `grpc-web` (its door says). */
export function callProtocol(request: UnaryRequest | StreamRequest): string {
  return request.contextValues.get(kProtocolName);
}

/**
 * Context values with their methods on a prototype (connect's `createContextValues` makes three closures
 * per call): what a door passes as a call's {@link CallInit.contextValues}.
 */
export class CallValues implements ContextValues {
  [id: symbol]: unknown;

  get<T>(key: ContextKey<T>): T {
    return key.id in this ? (this[key.id] as T) : key.defaultValue;
  }

  set<T>(key: ContextKey<T>, value: T): this {
    this[key.id] = value;
    return this;
  }

  delete(key: ContextKey<unknown>): this {
    delete this[key.id];
    return this;
  }
}

/** The context values a call starts with: the door's, its protocol and its peer. */
export function callValuesOf(init: CallInit): ContextValues {
  return (init.contextValues ?? new CallValues()).set(kProtocolName, init.protocolName).set(kPeer, init.peer);
}

/** The request the interceptor chain receives; the door's signal is read through, so a lazy one stays lazy. */
export class CallRequest implements UnaryRequest {
  readonly stream = false;
  readonly service: DescService;
  readonly requestMethod: string;
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: ContextValues;

  constructor(
    readonly method: DescMethodUnary,
    readonly message: MessageShape<DescMethodUnary["input"]>,
    private readonly init: CallInit,
  ) {
    this.service = method.parent;
    this.requestMethod = init.requestMethod;
    this.url = init.url;
    this.header = init.header;
    this.contextValues = callValuesOf(init);
  }

  get signal(): AbortSignal {
    return this.init.end.signal;
  }
}

/**
 * The handler context of one call, built here rather than by connect's `createHandlerContext`, which
 * per call creates two AbortControllers (a deadline signal, and a controller linked to the request
 * signal so that its own `abort()` can fire) and copies the request headers into a new `Headers`. An
 * AbortController is not cheap in Node 20; in profiles, these and the gRPC door's own AbortController
 * were a visible share of a GetAuthInfo call (docs/performance.md). Nothing here ever aborts the context on its
 * own and no timeout is passed, so the request signal itself has exactly the linked signal's behaviour,
 * and the request headers were made for this call by the door. The response headers and trailers are
 * created when first read: most calls set none. The protocol name travels in the context values (a
 * UnaryRequest has no field for it).
 */
export class CallContext implements HandlerContext {
  readonly protocolName: string;
  readonly requestMethod: string;
  readonly url: string;
  readonly requestHeader: Headers;
  readonly values: ContextValues;
  /** The response headers, if anything read them. */
  headerIfCreated: Headers | undefined;
  /** The response trailers, if anything read them. */
  trailerIfCreated: Headers | undefined;

  constructor(
    readonly service: DescService,
    /** A unary method, or a server-streaming one (stream-call.ts). */
    readonly method: DescMethodUnary | DescMethodServerStreaming,
    private readonly request: UnaryRequest | StreamRequest,
  ) {
    this.protocolName = request.contextValues.get(kProtocolName);
    this.requestMethod = request.requestMethod;
    this.url = request.url;
    this.requestHeader = request.header;
    this.values = request.contextValues;
  }

  get signal(): AbortSignal {
    return this.request.signal;
  }

  timeoutMs(): number | undefined {
    return undefined;
  }

  get responseHeader(): Headers {
    return (this.headerIfCreated ??= new Headers());
  }

  get responseTrailer(): Headers {
    return (this.trailerIfCreated ??= new Headers());
  }
}

/** The innermost response: its headers and trailers are the context's, created only if someone reads them. */
export class CallResponse implements UnaryResponse {
  readonly stream = false;
  readonly service: DescService;
  readonly method: DescMethodUnary;

  constructor(
    readonly context: CallContext,
    readonly message: MessageShape<DescMethodUnary["output"]>,
  ) {
    this.service = context.service;
    this.method = context.method as DescMethodUnary;
  }

  get header(): Headers {
    return this.context.responseHeader;
  }

  get trailer(): Headers {
    return this.context.responseTrailer;
  }
}
