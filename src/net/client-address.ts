/**
 * Who is calling, as far as the network can tell (ARCHITECTURE.md, "The network edge"): the client address is the connection's
 * peer, unless the peer is a trusted proxy (`--trusted-proxies`), in which case it is the address the
 * proxies name in `X-Forwarded-For` and `Forwarded` (RFC 7239), walking back from the nearest entry
 * while the address reached is a trusted proxy. A header from an untrusted peer is ignored: anyone can
 * send one. The same rule says whether the client's connection was encrypted: the peer's own TLS, or a
 * trusted proxy's `X-Forwarded-Proto: https` (or `Forwarded: proto=https`).
 *
 * Client addresses fail closed. A trusted proxy that names the client with something that is not an
 * address (`unknown`, an obfuscated `_hidden`, an empty entry from a trailing comma, a `Forwarded` element
 * without `for=`) leaves the client unknown (""), never "the proxy itself". When a request carries both
 * headers, both are walked and must name the same client, else it is unknown: which of the two a proxy
 * writes varies, and the other one passes through from the client unchanged, so letting either win would
 * let a client choose its own address. An unknown client lies in no network, so keys limited to networks
 * are refused; see docs/gateway.md for what it means elsewhere.
 */
import type { ContextValues } from "@connectrpc/connect";
import { canonicalAddress, isAddress, isLoopback, NetworkList } from "./networks.js";
import { kPeer, type Peer } from "./peer.js";

/** The client of one call. */
export interface Client {
  /**
   * Canonical address text (`192.0.2.1`, `2001:db8::1`); "" ({@link UNKNOWN_ADDRESS}) when the door, or a
   * trusted proxy, could not tell.
   */
  readonly address: string;
  /** Whether the credential travelled encrypted all the way from the client (or from a loopback address). */
  readonly secure: boolean;
  /** Whether the client is on this machine (the credential never crossed a network). */
  readonly loopback: boolean;
  /** The `User-Agent` header, shortened and without control characters; undefined when absent. */
  readonly userAgent: string | undefined;
}

/** The address of a client that cannot be told: it lies in no network and is never loopback. */
export const UNKNOWN_ADDRESS = "";

/** Longest `User-Agent` kept for `last_used_user_agent`. */
export const USER_AGENT_MAX = 200;

/** Resolves a call's client from its connection and headers. */
export class ClientResolver {
  private readonly trusted: NetworkList;

  /** `trustedProxies`: canonical CIDRs (validated by the config). */
  constructor(trustedProxies: readonly string[]) {
    this.trusted = new NetworkList(trustedProxies);
  }

  resolve(peer: Peer, header: Headers): Client {
    let address = canonicalAddress(peer.address);
    let secure = peer.secure;
    if (this.trusted.size > 0 && address !== "" && this.trusted.includes(address)) {
      address = this.forwardedClient(address, header);
      secure ||= forwardedOverHttps(header);
    }
    return new ResolvedClient(address, secure, address !== "" && isLoopback(address), header);
  }

  /** The client a trusted proxy at `proxy` names; "" (unknown) when it cannot be told for certain. */
  private forwardedClient(proxy: string, header: Headers): string {
    const xff = header.get("x-forwarded-for");
    const forwarded = header.get("forwarded");
    // Nothing forwarded: the request is the proxy's own (a health check, a script on its host).
    if (xff === null && forwarded === null) return proxy;
    const byXff = xff === null ? undefined : this.walk(proxy, xff.split(","));
    const byForwarded = forwarded === null ? undefined : this.walk(proxy, forwardedElements(forwarded).map((e) => e.get("for") ?? ""));
    if (byXff !== undefined && byForwarded !== undefined && byXff !== byForwarded) return UNKNOWN_ADDRESS;
    return byXff ?? byForwarded ?? UNKNOWN_ADDRESS;
  }

  /** Walks `hops` (client first) back from the nearest while the address reached is a trusted proxy. */
  private walk(proxy: string, hops: readonly string[]): string {
    let address = proxy;
    for (let i = hops.length - 1; i >= 0 && this.trusted.includes(address); i--) {
      const hop = hostOf(hops[i]!.trim());
      if (!isAddress(hop)) return UNKNOWN_ADDRESS;
      address = canonicalAddress(hop);
    }
    return address;
  }

  /**
   * The client of a handler's call, by the same rule the authorization interceptor judges it: for the
   * handlers that need it themselves (sign-in throttles by it, sessions record it, the cookie is
   * `Secure` when the client's connection is encrypted).
   */
  resolveCall(context: { readonly values: ContextValues; readonly requestHeader: Headers }): Client {
    return this.resolve(context.values.get(kPeer), context.requestHeader);
  }
}

/**
 * A class, so the `User-Agent` is read only when wanted (the usage recorder, at most once a minute per
 * key): reading and cleaning it on every call cost about as much as the rest of resolving the client.
 */
class ResolvedClient implements Client {
  #userAgent: string | undefined | null = null;

  constructor(
    readonly address: string,
    readonly secure: boolean,
    readonly loopback: boolean,
    private readonly header: Headers,
  ) {}

  get userAgent(): string | undefined {
    if (this.#userAgent === null) this.#userAgent = userAgentOf(this.header);
    return this.#userAgent;
  }
}

/**
 * Whether the nearest trusted proxy says the client used https: the last value of `X-Forwarded-Proto`
 * and of the last `Forwarded` element's `proto=` (earlier ones may come from the client). When both are
 * given, both must say so, for the reason both headers must name the same client.
 */
function forwardedOverHttps(header: Headers): boolean {
  const protos: string[] = [];
  const xfp = header.get("x-forwarded-proto");
  if (xfp !== null) protos.push(xfp.split(",").at(-1)!.trim().toLowerCase());
  const forwarded = header.get("forwarded");
  const proto = forwarded === null ? undefined : forwardedElements(forwarded).at(-1)?.get("proto");
  if (proto !== undefined) protos.push(proto.toLowerCase());
  return protos.length > 0 && protos.every((p) => p === "https");
}

/** RFC 7239 elements (`for=192.0.2.1;proto=https, for="[2001:db8::1]:4711"`) as lower-cased key maps. */
function forwardedElements(value: string): Map<string, string>[] {
  return value.split(",").map((element) => {
    const pairs = new Map<string, string>();
    for (const pair of element.split(";")) {
      const eq = pair.indexOf("=");
      if (eq === -1) continue;
      const raw = pair.slice(eq + 1).trim();
      pairs.set(pair.slice(0, eq).trim().toLowerCase(), raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw);
    }
    return pairs;
  });
}

/** `[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`; other text unchanged. */
function hostOf(node: string): string {
  if (node.startsWith("[")) {
    const end = node.indexOf("]");
    return end === -1 ? node : node.slice(1, end);
  }
  const colon = node.indexOf(":");
  return colon !== -1 && node.indexOf(":", colon + 1) === -1 ? node.slice(0, colon) : node;
}

const CONTROL = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
const CONTROLS = new RegExp(CONTROL.source, "gu");

function userAgentOf(header: Headers): string | undefined {
  const value = header.get("user-agent");
  if (value === null) return undefined;
  // Most User-Agents are short and printable: no copies for them.
  const clean = CONTROL.test(value) ? value.replace(CONTROLS, "").trim() : value.trim();
  if (clean === "") return undefined;
  return clean.length <= USER_AGENT_MAX ? clean : [...clean].slice(0, USER_AGENT_MAX).join("");
}
