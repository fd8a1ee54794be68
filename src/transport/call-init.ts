/**
 * What a front door (grpc-js, the HTTP listener's Connect and gRPC-Web handler, the REST gateway, forward
 * auth) hands the invoker about one incoming call.
 */
import type { ContextValues } from "@connectrpc/connect";
import type { Peer } from "../net/peer.js";

/**
 * Where a call's abort signal comes from. A door passes an instance of a class with a `signal` getter,
 * never an object literal with a getter: each evaluation of a literal with an accessor makes a new
 * accessor pair in V8's old generation, which keeps the call's objects alive until a major GC
 * (docs/performance.md has the measurement).
 */
export interface CallEnd {
  readonly signal: AbortSignal;
}

/** What a front door knows about the incoming call. */
export interface CallInit {
  /** "grpc" for the grpc-js listener, "rest" for the gateway. */
  readonly protocolName: string;
  /** Request headers (gRPC metadata or HTTP headers); `authorization` is read from here. */
  readonly header: Headers;
  /**
   * The call's end: its `signal` aborts when the client goes away or its deadline passes. Read only when
   * an interceptor or implementation uses it, so a door's `signal` getter may create it on first use.
   */
  readonly end: CallEnd;
  readonly requestMethod: string;
  readonly url: string;
  /** The connection the call came on; the authorization interceptor resolves the client from it. */
  readonly peer: Peer;
  readonly contextValues?: ContextValues;
}
