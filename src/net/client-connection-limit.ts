/**
 * A cap on the connections one client holds open on a listener (`--max-connections-per-client`), so one
 * client's idle or slow connections cannot take every slot of the listener's global cap and lock
 * everyone else out. A connection over the cap is closed as soon as it is accepted, before any byte of
 * it is read, as Node closes connections over `server.maxConnections`.
 *
 * A client is the connection's peer address, an IPv6 peer by its network (`--client-ipv6-prefix`: one
 * host usually holds a whole /64). Trusted proxies (`--trusted-proxies`) are not capped: many clients reach Keyward through each of
 * them, so only the global cap bounds them.
 */
import type { Server } from "node:net";
import type { Socket } from "node:net";
import { canonicalAddress, clientGroupOf, NetworkList } from "./networks.js";

/** What the cap applies to. */
export interface ClientConnectionLimitOptions {
  /** Most open connections per client. */
  readonly maxPerClient: number;
  /** Canonical CIDRs of peers that are not capped (the trusted proxies). */
  readonly uncapped?: readonly string[] | undefined;
  /** IPv6 peers are counted by their network of this many bits. */
  readonly ipv6PrefixLength: number;
}

/** Counts each client's open connections on one or more servers and closes those over the cap. */
export class ClientConnectionLimit {
  private readonly open = new Map<string, number>();
  private readonly uncapped: NetworkList;

  constructor(private readonly options: ClientConnectionLimitOptions) {
    this.uncapped = new NetworkList(options.uncapped ?? []);
  }

  /** Caps `server`'s connections from now on (its raw TCP connections: before TLS, before HTTP). */
  watch(server: Server): void {
    server.on("connection", (socket: Socket) => this.admit(socket));
  }

  /** Counts `socket` against its client, or closes it when the client already holds its cap; whether it stays open. */
  admit(socket: Socket): boolean {
    const address = canonicalAddress(socket.remoteAddress ?? "");
    // No address: the socket is already gone. A trusted proxy: bounded by the global cap only.
    if (address === "" || this.uncapped.includes(address)) return true;
    const client = clientGroupOf(address, this.options.ipv6PrefixLength);
    const count = this.open.get(client) ?? 0;
    if (count >= this.options.maxPerClient) {
      socket.destroy();
      return false;
    }
    this.open.set(client, count + 1);
    socket.once("close", () => {
      const left = (this.open.get(client) ?? 1) - 1;
      if (left === 0) this.open.delete(client);
      else this.open.set(client, left);
    });
    return true;
  }

  /** Open connections counted for the client of `address` (for tests). */
  openFrom(address: string): number {
    return this.open.get(clientGroupOf(canonicalAddress(address), this.options.ipv6PrefixLength)) ?? 0;
  }
}
