/** CIDR parsing and matching for per-key networks and trusted proxies (ARCHITECTURE.md, "The network edge"). */
import { expect } from "chai";
import { canonicalAddress, clientGroupOf, isLoopback, NetworkList, parseNetwork } from "../../src/net/networks.js";

/** The canonical CIDR of `text`, or `! <problem>`. */
const cidr = (text: string) => {
  const parsed = parseNetwork(text);
  return parsed.ok ? parsed.cidr : `! ${parsed.problem}`;
};

describe("auth/networks", () => {
  it("parses IPv4 and IPv6 CIDRs and bare addresses into canonical text", () => {
    expect(cidr("10.0.0.0/8")).to.equal("10.0.0.0/8");
    expect(cidr("192.0.2.7")).to.equal("192.0.2.7/32");
    expect(cidr("2001:0DB8:0000::/32")).to.equal("2001:db8::/32");
    expect(cidr("::1")).to.equal("::1/128");
    expect(cidr("0.0.0.0/0")).to.equal("0.0.0.0/0");
    expect(cidr("::ffff:192.0.2.1"), "IPv4-mapped is the IPv4 address").to.equal("192.0.2.1/32");
  });

  it("refuses what is not a network, with the reason (and the network meant when host bits are set)", () => {
    const problem = (text: string) => {
      const parsed = parseNetwork(text);
      return parsed.ok ? "accepted" : parsed.problem;
    };
    expect(problem("10.1.2.3/8")).to.contain("host bits set").and.contain("`10.0.0.0/8`");
    expect(problem("2001:db8::1/32")).to.contain("`2001:db8::/32`");
    expect(problem("10.0.0.0/33")).to.contain("0 to 32");
    expect(problem("::/129")).to.contain("0 to 128");
    expect(problem("10.0.0.0/8x")).to.contain("prefix length");
    expect(problem("example.com")).to.contain("not an IPv4 or IPv6");
    expect(problem("fe80::1%eth0"), "zones are per host").to.contain("not an IPv4 or IPv6");
    expect(problem("[::1]")).to.contain("not an IPv4 or IPv6");
    expect(problem("")).to.contain("not an IPv4 or IPv6");
  });

  it("matches addresses by family and prefix, IPv4-mapped IPv6 as IPv4", () => {
    const list = new NetworkList(["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]);
    expect(list.includes("10.255.0.1")).to.equal(true);
    expect(list.includes("11.0.0.1")).to.equal(false);
    expect(list.includes("::ffff:10.1.1.1")).to.equal(true);
    expect(list.includes("2001:db8:ffff::1")).to.equal(true);
    expect(list.includes("2001:db9::1")).to.equal(false);
    expect(list.includes("192.0.2.7")).to.equal(true);
    expect(list.includes("192.0.2.8")).to.equal(false);
    expect(list.includes(""), "an unknown address is in no network").to.equal(false);
    expect(list.includes("::a00:1"), "IPv6 ::10.0.0.1 is not IPv4").to.equal(false);
    expect(new NetworkList(["0.0.0.0/0"]).includes("::1")).to.equal(false);
  });

  it("reads IPv4-mapped IPv6 as IPv4 however it is written, in stored networks and in addresses alike", () => {
    // A bug fixed: `::ffff:7f00:1` was stored as an IPv6 /128 that no (IPv4-canonical) client ever matched.
    expect(cidr("::ffff:7f00:1")).to.equal("127.0.0.1/32");
    expect(cidr("::FFFF:7F00:1/128")).to.equal("127.0.0.1/32");
    expect(cidr("0:0:0:0:0:ffff:c000:201")).to.equal("192.0.2.1/32");
    expect(cidr("::ffff:127.0.0.1/128"), "a mapped address with its IPv6 prefix").to.equal("127.0.0.1/32");
    expect(cidr("::ffff:10.0.0.0/104"), "a mapped prefix is the IPv4 prefix it maps").to.equal("10.0.0.0/8");
    expect(cidr("::ffff:a00:0/104")).to.equal("10.0.0.0/8");
    expect(cidr("::ffff:0:0/96"), "the whole mapped range is every IPv4 address").to.equal("0.0.0.0/0");
    expect(cidr("::ffff:10.1.0.0/104")).to.contain("host bits set").and.contain("`10.0.0.0/8`");
    expect(cidr("::ffff:0:0/95"), "wider than the mapped range: not IPv4").to.contain("host bits set");
    expect(cidr("::fffe:0:0/95")).to.equal("::fffe:0:0/95");
    expect(cidr("::a00:1"), "IPv4-compatible (deprecated) is not mapped").to.equal("::a00:1/128");

    const list = new NetworkList([cidr("::ffff:7f00:1"), cidr("::ffff:10.0.0.0/104")]);
    for (const peer of ["127.0.0.1", "::ffff:127.0.0.1", "::ffff:7f00:1", "[::ffff:7f00:1]", "10.9.8.7", "::ffff:a09:807"]) {
      expect(list.includes(peer), peer).to.equal(true);
    }
    expect(list.includes("127.0.0.2")).to.equal(false);
    expect(canonicalAddress("::ffff:7f00:1")).to.equal("127.0.0.1");
    expect(canonicalAddress("::FFFF:127.0.0.1")).to.equal("127.0.0.1");
    expect(isLoopback("::ffff:7f00:1")).to.equal(true);
  });

  it("writes addresses as people read them and knows loopback", () => {
    expect(canonicalAddress("::ffff:127.0.0.1")).to.equal("127.0.0.1");
    expect(canonicalAddress("2001:0db8:0:0:0:0:0:1")).to.equal("2001:db8::1");
    expect(canonicalAddress("not an address")).to.equal("not an address");
    expect([isLoopback("127.9.9.9"), isLoopback("::1"), isLoopback("::ffff:127.0.0.1"), isLoopback("10.0.0.1"), isLoopback("")]).to.deep.equal([
      true, true, true, false, false,
    ]);
  });

  it("groups a client's addresses for counting: IPv4 by address, IPv6 by its network", () => {
    expect(clientGroupOf("192.0.2.1", 64)).to.equal("192.0.2.1");
    expect(clientGroupOf("::ffff:192.0.2.1", 64)).to.equal("192.0.2.1");
    expect(clientGroupOf("2001:db8:1:2:aaaa::1", 64)).to.equal("2001:db8:1:2::/64");
    expect(clientGroupOf("2001:DB8:1:2:bbbb::9", 64)).to.equal("2001:db8:1:2::/64");
    expect(clientGroupOf("2001:db8:1:3::1", 64)).to.equal("2001:db8:1:3::/64");
    expect(clientGroupOf("2001:db8:1:2::1", 128)).to.equal("2001:db8:1:2::1/128");
    expect(clientGroupOf("", 64)).to.equal("");
  });
});
