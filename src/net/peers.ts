/**
 * The {@link Peer} of a call, as each listener knows it: the socket's remote address and whether the
 * connection is TLS. Doors pass it to the invoker, and the authorization interceptor decides what it
 * means.
 */
import type { IncomingMessage } from "node:http";
import type { Peer } from "./peer.js";

/** The peer of an HTTP request (REST, Connect, gRPC-Web). */
export function httpPeer(request: IncomingMessage): Peer {
  const socket = request.socket as IncomingMessage["socket"] & { encrypted?: boolean };
  return { address: socket.remoteAddress ?? "", secure: socket.encrypted === true };
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
