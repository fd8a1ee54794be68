/**
 * Which addresses Keyward may connect to on its own initiative: webhook receivers (ARCHITECTURE.md,
 * "Events"). A webhook's URL is chosen by an admin, a tenant's too, and `TestWebhook` reports what the
 * receiver answered, so an unrestricted URL would let a customer probe the server's own network (its
 * loopback services, the cloud metadata address, the private networks it sits in). By default only public
 * unicast addresses are allowed; the operator lists further networks (`--webhook-target-networks`, e.g.
 * `127.0.0.1/32` for a receiver on the same machine), which are allowed whatever they contain.
 */
import { canonicalAddress, isAddress, nat64Target, NetworkList } from "./networks.js";

/** The networks that are not the public internet, each with what it is, as a refusal names it. */
const NON_PUBLIC: readonly (readonly [cidr: string, what: string])[] = [
  ["0.0.0.0/8", "an unspecified (\"this network\") address"],
  ["10.0.0.0/8", "a private address (RFC 1918)"],
  ["100.64.0.0/10", "a carrier-grade NAT address (RFC 6598)"],
  ["127.0.0.0/8", "a loopback address"],
  ["169.254.0.0/16", "a link-local address (cloud metadata lives here)"],
  ["172.16.0.0/12", "a private address (RFC 1918)"],
  ["192.0.0.0/24", "an IETF protocol address (RFC 6890)"],
  ["192.0.2.0/24", "a documentation address"],
  ["192.168.0.0/16", "a private address (RFC 1918)"],
  ["198.18.0.0/15", "a benchmarking address (RFC 2544)"],
  ["198.51.100.0/24", "a documentation address"],
  ["203.0.113.0/24", "a documentation address"],
  ["224.0.0.0/4", "a multicast address"],
  ["240.0.0.0/4", "a reserved or broadcast address"],
  ["::/128", "the unspecified address"],
  ["::1/128", "a loopback address"],
  ["64:ff9b:1::/48", "a local NAT64 address (RFC 8215)"],
  ["100::/64", "a discard-only address (RFC 6666)"],
  // Transition forms that tunnel to an IPv4 address of their own: judged by nobody, so refused.
  ["2001::/32", "a Teredo address"],
  ["2001:db8::/32", "a documentation address"],
  ["2002::/16", "a 6to4 address"],
  ["fc00::/7", "a unique-local address"],
  ["fe80::/10", "a link-local address"],
  ["fec0::/10", "a site-local address"],
  ["ff00::/8", "a multicast address"],
];

const NON_PUBLIC_LISTS = NON_PUBLIC.map(([cidr, what]) => ({ list: new NetworkList([cidr]), what }));

/** The outbound policy of one process: public unicast addresses, and the networks the operator listed. */
export class OutboundTargets {
  readonly #listed: NetworkList;

  /** `listed`: canonical CIDRs (as the settings give them) allowed beyond the public internet. */
  constructor(listed: readonly string[]) {
    this.#listed = new NetworkList(listed);
  }

  /**
   * Why `address` may not be connected to (`"127.0.0.1 is a loopback address"`), or undefined when it
   * may. An IPv4-mapped IPv6 address is its IPv4 address; a NAT64 address (`64:ff9b::/96`) is the IPv4
   * address it translates to; text that is not an address is refused.
   */
  refusal(address: string): string | undefined {
    if (!isAddress(address)) return `${address} is not an IP address`;
    const judged = nat64Target(address) ?? address;
    if (this.#listed.includes(address) || this.#listed.includes(judged)) return undefined;
    const shown = canonicalAddress(address);
    for (const { list, what } of NON_PUBLIC_LISTS) {
      if (list.includes(judged)) return `${shown} is ${what}`;
    }
    return undefined;
  }
}
