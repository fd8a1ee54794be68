/**
 * What a door knows about the connection a call came on: the peer's address and whether the connection
 * itself is encrypted. Every door (grpc-js, connect-node, the REST gateway) puts one into the call's
 * context values, so the authorization interceptor resolves the client address in one place.
 */
import { createContextKey } from "@connectrpc/connect";

/** The connection of one call. */
export interface Peer {
  /** The socket's remote address as Node reports it (`127.0.0.1`, `::1`, `::ffff:192.0.2.1`); "" if unknown. */
  readonly address: string;
  /** Whether the connection is TLS. */
  readonly secure: boolean;
}

/** An unknown connection: never trusted as a proxy, never loopback, not encrypted. */
export const UNKNOWN_PEER: Peer = Object.freeze({ address: "", secure: false });

/** Context value holding the call's connection; set by every door. */
export const kPeer = createContextKey<Peer>(UNKNOWN_PEER, { description: "the connection's peer" });
