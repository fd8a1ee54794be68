/**
 * The client address of a call, as its front door saw the connection's peer (no proxy header is trusted).
 * Sign-in throttles by it and sessions record it (DESIGN §11). A protocol-neutral context value: the doors
 * set it, auth and services read it. Leaf module.
 */
import { createContextKey, type ContextValues } from "@connectrpc/connect";

/** `""` when the door does not know it. */
export const kClientAddress = createContextKey<string>("", { description: "client address" });

/** The address of `context`'s call. */
export function clientAddressOf(context: { readonly values: ContextValues }): string {
  return context.values.get(kClientAddress);
}

/**
 * A socket's remote address without the IPv4-mapped IPv6 prefix (`::ffff:127.0.0.1` is `127.0.0.1`), so
 * one client is one throttling subject whichever way it connected.
 */
export function normalizeAddress(address: string | undefined): string {
  if (address === undefined) return "";
  return address.startsWith("::ffff:") && address.includes(".") ? address.slice(7) : address;
}

/** The host of a grpc-js peer string (`ipv4:127.0.0.1:5000`, `ipv6:[::1]:5000`, `127.0.0.1:5000`). */
export function addressOfGrpcPeer(peer: string): string {
  const bare = peer.replace(/^(ipv4|ipv6):/, "");
  const bracketed = /^\[([^\]]+)\]/.exec(bare);
  if (bracketed) return normalizeAddress(bracketed[1]);
  const colon = bare.lastIndexOf(":");
  return normalizeAddress(colon === -1 ? bare : bare.slice(0, colon));
}
