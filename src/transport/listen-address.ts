/**
 * `host:port` listen addresses, shared by both listeners. IPv6 hosts are bracketed (`[::1]:9090`), as
 * in URLs; port 0 asks the OS for a free port, so listeners report the address they actually bound.
 */

/** A parsed listen address; `host` is unbracketed. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` / `[v6host]:port`. Throws a TypeError naming the address when it is not one. */
export function parseListenAddress(address: string): ListenAddress {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const host = match?.[1] ?? match?.[2];
  const port = Number(match?.[3]);
  if (host === undefined || !Number.isInteger(port) || port > 65535) {
    throw new TypeError(`invalid listen address "${address}": expected host:port, e.g. 127.0.0.1:8080 or [::1]:0`);
  }
  return { host, port };
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatListenAddress({ host, port }: ListenAddress): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
