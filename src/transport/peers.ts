/**
 * The {@link Peer} of a call, as each listener knows it: the socket's remote address and whether the
 * connection is TLS. Doors pass it to the invoker (or, for connect-node, as context values), and the
 * authorization interceptor decides what it means.
 */
import type { IncomingMessage } from "node:http";
import { createContextValues, type ContextValues } from "@connectrpc/connect";
import { kPeer, type Peer } from "../auth/peer.js";

/** The peer of an HTTP request (REST, Connect, gRPC-Web). */
export function httpPeer(request: IncomingMessage): Peer {
  const socket = request.socket as IncomingMessage["socket"] & { encrypted?: boolean };
  return { address: socket.remoteAddress ?? "", secure: socket.encrypted === true };
}

/** connect-node's `contextValues` hook: every Connect and gRPC-Web call gets its peer. */
export function httpPeerValues(request: IncomingMessage): ContextValues {
  return createContextValues().set(kPeer, httpPeer(request));
}

/** The peer of a grpc-js call on a listener that is (`secure`) or is not TLS. */
export function grpcPeer(call: { getPeer(): string }, secure: boolean): Peer {
  return { address: hostOfPeer(call.getPeer()), secure };
}

/** grpc-js writes `${remoteAddress}:${remotePort}` (IPv6 unbracketed) or "unknown". */
function hostOfPeer(peer: string): string {
  if (peer === "unknown") return "";
  const colon = peer.lastIndexOf(":");
  return colon === -1 ? peer : peer.slice(0, colon);
}
