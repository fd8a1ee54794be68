/**
 * IP networks (CIDRs) for per-key networks and trusted proxies (ARCHITECTURE.md, "The network edge"): parsing with a reason for
 * what is wrong, canonical text, and matching a client address. IPv4 and IPv6; an IPv4-mapped IPv6
 * address (`::ffff:192.0.2.1`, what a dual-stack socket reports, however it is written: `::ffff:c000:201`
 * is the same address) is the IPv4 address it maps, and a mapped network (`::ffff:10.0.0.0/104`) is the
 * IPv4 network it maps (`10.0.0.0/8`). Stored networks, peers and proxy headers all go through the
 * one parser here, so they can never disagree about which family an address is.
 */
import { isIPv4, isIPv6 } from "node:net";

/** One network: its family, the address as a number with the host bits cleared, and the prefix length. */
interface Network {
  readonly family: 4 | 6;
  readonly base: bigint;
  readonly prefix: number;
}

/** A parsed address: family and value. */
interface Address {
  readonly family: 4 | 6;
  readonly value: bigint;
}

/** The result of {@link parseNetwork}: the canonical CIDR text, or what is wrong with the input. */
export type ParsedNetwork = { readonly ok: true; readonly cidr: string } | { readonly ok: false; readonly problem: string };

const BITS = { 4: 32, 6: 128 } as const;
const MAPPED_PREFIX = "::ffff:";
/** `::ffff:0:0/96`, the IPv4-mapped range: its top 96 bits. */
const MAPPED_HIGH_BITS = 0xffffn;
const MAPPED_PREFIX_LENGTH = 96;

/**
 * Parses `203.0.113.0/24`, `2001:db8::/32` or a bare address (read as /32 or /128). Host bits set below
 * the prefix are refused, naming the network meant, rather than silently widened or narrowed.
 */
export function parseNetwork(text: string): ParsedNetwork {
  const slash = text.indexOf("/");
  const addressText = slash === -1 ? text : text.slice(0, slash);
  // Zones and brackets belong to one host's interfaces and to URLs, not to a stored network.
  const written = /[%[\]]/.test(addressText) ? undefined : parseWrittenAddress(addressText);
  if (written === undefined) return { ok: false, problem: `\`${text}\` is not an IPv4 or IPv6 address or CIDR` };
  const max = BITS[written.family];
  const prefixText = slash === -1 ? String(max) : text.slice(slash + 1);
  const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return { ok: false, problem: `\`${text}\`: the prefix length must be 0 to ${max}` };
  const base = written.value & mask(written.family, prefix);
  const cidr = formatNetwork({ family: written.family, value: base }, prefix);
  if (base !== written.value) return { ok: false, problem: `\`${text}\` has host bits set; the network is \`${cidr}\`` };
  return { ok: true, cidr };
}

/**
 * `address/prefix` as stored: a network inside the IPv4-mapped range, with a prefix reaching into it, is
 * written as the IPv4 network it maps, so it matches the IPv4 clients it names.
 */
function formatNetwork(address: Address, prefix: number): string {
  if (address.family === 6 && prefix >= MAPPED_PREFIX_LENGTH && isMapped(address.value)) {
    return `${formatAddress({ family: 4, value: address.value & 0xffffffffn })}/${prefix - MAPPED_PREFIX_LENGTH}`;
  }
  return `${formatAddress(address)}/${prefix}`;
}

/** A set of networks, built once from canonical CIDRs, that answers whether an address lies in one. */
export class NetworkList {
  private readonly networks: readonly Network[];

  constructor(cidrs: readonly string[]) {
    this.networks = cidrs.map(toNetwork);
  }

  get size(): number {
    return this.networks.length;
  }

  /** Whether `address` (text as a socket or a proxy header gives it) lies in one of the networks. */
  includes(address: string): boolean {
    const parsed = parseAddress(address);
    if (parsed === undefined) return false;
    for (const network of this.networks) {
      if (network.family === parsed.family && (parsed.value & mask(parsed.family, network.prefix)) === network.base) return true;
    }
    return false;
  }
}

const lists = new WeakMap<readonly string[], NetworkList>();

/** The network list of a stored key's `allowedIps`, built once per record read (records are not mutated). */
export function networkListOf(cidrs: readonly string[]): NetworkList {
  let list = lists.get(cidrs);
  if (list === undefined) {
    list = new NetworkList(cidrs);
    lists.set(cidrs, list);
  }
  return list;
}

/**
 * The address as people read it: IPv4-mapped IPv6 as IPv4, IPv6 compressed and lower-case, a zone or
 * brackets dropped. Text that is not an address comes back unchanged.
 */
export function canonicalAddress(text: string): string {
  // The common cases without parsing into numbers: every authenticated call asks this of its peer.
  if (isIPv4(text)) return text;
  if (text.startsWith(MAPPED_PREFIX) && isIPv4(text.slice(MAPPED_PREFIX.length))) return text.slice(MAPPED_PREFIX.length);
  const parsed = parseAddress(text);
  return parsed === undefined ? text : formatAddress(parsed);
}

/**
 * The client an address stands for when counting per client (sign-in throttling, the password queue's
 * fair share, the per-client connection cap): an IPv4 address itself, an IPv6 address by its network of `ipv6PrefixLength` bits
 * (`2001:db8:1:2::/64`), because one IPv6 host usually holds a whole /64 and could otherwise count as
 * millions of clients. An IPv4-mapped IPv6 address, in either notation, is its IPv4 address. Text that is
 * not an address (also "", a door that could not tell) comes back unchanged.
 */
export function clientGroupOf(address: string, ipv6PrefixLength: number): string {
  const parsed = parseAddress(address);
  if (parsed === undefined) return address;
  if (parsed.family === 4) return formatAddress(parsed);
  return `${formatAddress({ family: 6, value: parsed.value & mask(6, ipv6PrefixLength) })}/${ipv6PrefixLength}`;
}

/** Whether `text` is an IPv4 or IPv6 address (brackets or a zone allowed, as sockets and headers write them). */
export function isAddress(text: string): boolean {
  return parseAddress(text) !== undefined;
}

/** Whether `text` is a loopback address (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(text: string): boolean {
  if (text === "::1" || (text.startsWith("127.") && isIPv4(text))) return true;
  return LOOPBACK.includes(text);
}

/** `64:ff9b::/96`, the NAT64 well-known prefix: its top 96 bits. */
const NAT64_HIGH_BITS = 0x64ff9bn << 64n;

/**
 * The IPv4 address a NAT64 address (`64:ff9b::/96`, RFC 6052) translates to, as text; undefined for any
 * other address. A NAT64 gateway connects to that IPv4 address, so it is what an outbound check judges.
 */
export function nat64Target(text: string): string | undefined {
  const parsed = parseWrittenAddress(text);
  if (parsed === undefined || parsed.family !== 6 || parsed.value >> 32n !== NAT64_HIGH_BITS) return undefined;
  return formatAddress({ family: 4, value: parsed.value & 0xffffffffn });
}

const LOOPBACK = new NetworkList(["127.0.0.0/8", "::1/128"]);

function toNetwork(cidr: string): Network {
  const parsed = parseNetwork(cidr);
  if (!parsed.ok) throw new Error(`NetworkList: ${parsed.problem}`);
  const [addressText, prefixText] = parsed.cidr.split("/") as [string, string];
  const address = parseAddress(addressText)!;
  return { family: address.family, base: address.value, prefix: Number(prefixText) };
}

/** An address as matching sees it: IPv4-mapped IPv6 is IPv4. */
function parseAddress(raw: string): Address | undefined {
  const written = parseWrittenAddress(raw);
  if (written === undefined || written.family === 4 || !isMapped(written.value)) return written;
  return { family: 4, value: written.value & 0xffffffffn };
}

/** An address in the family it is written in (brackets and a zone dropped); undefined if it is none. */
function parseWrittenAddress(raw: string): Address | undefined {
  let text = raw.startsWith("[") && raw.endsWith("]") ? raw.slice(1, -1) : raw;
  const zone = text.indexOf("%");
  if (zone !== -1) text = text.slice(0, zone);
  if (isIPv4(text)) return { family: 4, value: ipv4Value(text) };
  if (!isIPv6(text)) return undefined;
  return { family: 6, value: ipv6Value(text.toLowerCase()) };
}

/** Whether a 128-bit IPv6 value lies in `::ffff:0:0/96`. */
function isMapped(value: bigint): boolean {
  return value >> 32n === MAPPED_HIGH_BITS;
}

function ipv4Value(text: string): bigint {
  return text.split(".").reduce((value, part) => (value << 8n) | BigInt(Number(part)), 0n);
}

/** An IPv6 address (already checked by `isIPv6`) as a 128-bit number; an embedded IPv4 tail counts as two groups. */
function ipv6Value(text: string): bigint {
  const groupsOf = (part: string): bigint[] => {
    if (part === "") return [];
    return part.split(":").flatMap((group) => {
      if (!group.includes(".")) return [BigInt(parseInt(group, 16))];
      const v4 = ipv4Value(group);
      return [v4 >> 16n, v4 & 0xffffn];
    });
  };
  const gap = text.indexOf("::");
  const head = groupsOf(gap === -1 ? text : text.slice(0, gap));
  const tail = gap === -1 ? [] : groupsOf(text.slice(gap + 2));
  const groups = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  return groups.reduce((value, group) => (value << 16n) | group, 0n);
}

function formatAddress(address: Address): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 0xffn)).join(".");
  }
  const groups = [112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => ((address.value >> shift) & 0xffffn).toString(16));
  // The WHATWG URL parser writes IPv6 in RFC 5952's canonical form (longest zero run compressed).
  return new URL(`http://[${groups.join(":")}]/`).hostname.slice(1, -1);
}

function mask(family: 4 | 6, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}
