/** The client of a call: the peer, or what a trusted proxy reports (ARCHITECTURE.md, "The network edge"). */
import { expect } from "chai";
import { ClientResolver, USER_AGENT_MAX } from "../../src/net/client-address.js";
import { NetworkList } from "../../src/net/networks.js";

const plain = (address: string) => ({ address, secure: false });

describe("auth/client-address", () => {
  const resolver = new ClientResolver(["10.0.0.0/8", "::1/128"]);
  const resolve = (peer: string, headers: Record<string, string> = {}) => resolver.resolve(plain(peer), new Headers(headers));

  it("is the peer when the peer is not a trusted proxy, whatever the headers say", () => {
    const client = resolve("192.0.2.1", { "x-forwarded-for": "198.51.100.1", "x-forwarded-proto": "https", forwarded: "for=198.51.100.2;proto=https" });
    expect(client).to.deep.include({ address: "192.0.2.1", secure: false, loopback: false });
    expect(new ClientResolver([]).resolve(plain("10.0.0.1"), new Headers({ "x-forwarded-for": "1.2.3.4" })).address).to.equal("10.0.0.1");
  });

  it("walks X-Forwarded-For back from the right past trusted proxies only", () => {
    expect(resolve("10.0.0.1", { "x-forwarded-for": "198.51.100.1" }).address).to.equal("198.51.100.1");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "203.0.113.9, 198.51.100.1, 10.0.0.2" }).address, "a client-sent left entry is not believed").to.equal("198.51.100.1");
    expect(resolve("10.0.0.1", { "x-forwarded-for": "198.51.100.1, 10.0.0.2" }).address).to.equal("198.51.100.1");
    expect(resolve("::ffff:10.0.0.1", { "x-forwarded-for": "2001:DB8::1" }).address).to.equal("2001:db8::1");
    expect(resolve("::1", { "x-forwarded-for": "192.0.2.5:4711" }).address, "a port is dropped").to.equal("192.0.2.5");
  });

  it("is unknown, never the proxy itself, when a trusted proxy names the client with something that is not an address", () => {
    const unknown: Record<string, string>[] = [
      { "x-forwarded-for": "unknown" },
      { "x-forwarded-for": "198.51.100.1, unknown" },
      { "x-forwarded-for": "8.8.8.8, _hidden" },
      { "x-forwarded-for": "8.8.8.8," },
      { "x-forwarded-for": "8.8.8.8, , 10.0.0.2" },
      { "x-forwarded-for": "" },
      { "x-forwarded-for": "8.8.8.8, example.com" },
      { forwarded: "for=unknown" },
      { forwarded: 'for="_hidden"' },
      { forwarded: "for=198.51.100.1, proto=https" },
      { forwarded: "for=198.51.100.1, for=" },
    ];
    for (const headers of unknown) {
      const client = resolve("10.0.0.1", headers);
      expect(client.address, JSON.stringify(headers)).to.equal("");
      expect(client.loopback, JSON.stringify(headers)).to.equal(false);
    }
    expect(resolve("10.0.0.1").address, "nothing forwarded: the proxy's own request").to.equal("10.0.0.1");
    // An unusable entry left of the first untrusted address is the client's own text, never reached.
    expect(resolve("10.0.0.1", { "x-forwarded-for": "unknown, 198.51.100.1" }).address).to.equal("198.51.100.1");
    // The unknown client is in no network, so a key limited to the proxy's own network refuses it.
    expect(new NetworkList(["10.0.0.0/8"]).includes(resolve("10.0.0.1", { "x-forwarded-for": "8.8.8.8, unknown" }).address)).to.equal(false);
  });

  it("with both X-Forwarded-For and Forwarded, believes them only when they name the same client", () => {
    const both = (xff: string, forwarded: string) => resolve("10.0.0.1", { "x-forwarded-for": xff, forwarded }).address;
    expect(both("198.51.100.1", "for=198.51.100.1")).to.equal("198.51.100.1");
    expect(both("198.51.100.1, 10.0.0.2", 'for="198.51.100.1:4711"')).to.equal("198.51.100.1");
    expect(both("198.51.100.1", "for=203.0.113.7"), "a client-sent Forwarded passed through by an X-Forwarded-For proxy").to.equal("");
    expect(both("203.0.113.7", "for=198.51.100.1"), "and the other way round").to.equal("");
    expect(both("198.51.100.1", "for=unknown")).to.equal("");
  });

  it("reads RFC 7239 Forwarded when there is no X-Forwarded-For", () => {
    expect(resolve("10.0.0.1", { forwarded: 'for="[2001:db8::7]:4711";proto=https, for=10.0.0.3' }).address).to.equal("2001:db8::7");
    expect(resolve("10.0.0.1", { forwarded: "for=192.0.2.60;proto=http;by=203.0.113.43" }).address).to.equal("192.0.2.60");
  });

  it("is secure over TLS, or through a trusted proxy that says https (its own, last value)", () => {
    expect(resolver.resolve({ address: "192.0.2.1", secure: true }, new Headers()).secure).to.equal(true);
    expect(resolve("10.0.0.1", { "x-forwarded-proto": "https" }).secure).to.equal(true);
    expect(resolve("10.0.0.1", { "x-forwarded-proto": "https, http" }).secure).to.equal(false);
    expect(resolve("10.0.0.1", { forwarded: "for=192.0.2.1;proto=HTTPS" }).secure).to.equal(true);
    expect(resolve("10.0.0.1", { "x-forwarded-proto": "https", forwarded: "for=192.0.2.1" }).secure, "a Forwarded without proto says nothing").to.equal(true);
    expect(resolve("10.0.0.1", { "x-forwarded-proto": "http", forwarded: "for=192.0.2.1;proto=https" }).secure, "both given: both must say https").to.equal(false);
    expect(resolve("10.0.0.1", { "x-forwarded-proto": "https", forwarded: "for=192.0.2.1;proto=http" }).secure).to.equal(false);
    expect(resolve("192.0.2.1", { "x-forwarded-proto": "https" }).secure).to.equal(false);
    expect(resolve("127.0.0.1").loopback).to.equal(true);
    expect(resolve("10.0.0.1", { "x-forwarded-for": "127.0.0.1" }).loopback, "the client's address decides").to.equal(true);
  });

  it("keeps a short, printable User-Agent", () => {
    expect(resolve("192.0.2.1", { "user-agent": "curl/8.5.0" }).userAgent).to.equal("curl/8.5.0");
    expect(resolve("192.0.2.1", { "user-agent": "a\tb" }).userAgent).to.equal("ab");
    expect(resolve("192.0.2.1", { "user-agent": "x".repeat(500) }).userAgent).to.have.length(USER_AGENT_MAX);
    expect(resolve("192.0.2.1").userAgent).to.equal(undefined);
  });
});
