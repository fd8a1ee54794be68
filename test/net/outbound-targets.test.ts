// Which addresses webhooks may be delivered to: public unicast only, unless the operator lists more;
// every non-public range named, in each of its written forms (IPv4-mapped, NAT64).
import { expect } from "chai";
import { OutboundTargets } from "../../src/net/outbound-targets.js";

describe("OutboundTargets", () => {
  const none = new OutboundTargets([]);

  it("allows public unicast addresses, IPv4 and IPv6", () => {
    for (const address of ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450:4001:82b::200e", "::ffff:8.8.8.8", "64:ff9b::808:808"]) {
      expect(none.refusal(address), address).to.equal(undefined);
    }
  });

  it("refuses every non-public range by default, naming what it is", () => {
    const refused: [string, string][] = [
      ["127.0.0.1", "a loopback address"],
      ["127.255.0.9", "a loopback address"],
      ["::1", "a loopback address"],
      ["10.0.0.1", "a private address (RFC 1918)"],
      ["172.16.5.4", "a private address (RFC 1918)"],
      ["172.31.255.255", "a private address (RFC 1918)"],
      ["192.168.1.1", "a private address (RFC 1918)"],
      ["100.64.0.1", "a carrier-grade NAT address (RFC 6598)"],
      ["169.254.169.254", "a link-local address (cloud metadata lives here)"],
      ["0.0.0.0", "an unspecified (\"this network\") address"],
      ["::", "the unspecified address"],
      ["224.0.0.1", "a multicast address"],
      ["ff02::1", "a multicast address"],
      ["255.255.255.255", "a reserved or broadcast address"],
      ["192.0.2.1", "a documentation address"],
      ["198.51.100.7", "a documentation address"],
      ["203.0.113.9", "a documentation address"],
      ["2001:db8::1", "a documentation address"],
      ["fd12:3456::1", "a unique-local address"],
      ["fc00::1", "a unique-local address"],
      ["fe80::1", "a link-local address"],
      ["2002:7f00:1::", "a 6to4 address"],
      ["198.18.0.1", "a benchmarking address (RFC 2544)"],
    ];
    for (const [address, what] of refused) {
      expect(none.refusal(address), address).to.equal(`${address} is ${what}`);
    }
  });

  it("judges an IPv4-mapped address, in either notation, and a NAT64 address as the IPv4 address behind it", () => {
    expect(none.refusal("::ffff:127.0.0.1")).to.equal("127.0.0.1 is a loopback address");
    expect(none.refusal("::ffff:a9fe:a9fe")).to.equal("169.254.169.254 is a link-local address (cloud metadata lives here)");
    expect(none.refusal("[::ffff:10.0.0.1]")).to.equal("10.0.0.1 is a private address (RFC 1918)");
    expect(none.refusal("64:ff9b::a9fe:a9fe")).to.equal("64:ff9b::a9fe:a9fe is a link-local address (cloud metadata lives here)");
  });

  it("allows what the operator lists, and only that", () => {
    const listed = new OutboundTargets(["127.0.0.1/32", "10.8.0.0/16"]);
    expect(listed.refusal("127.0.0.1")).to.equal(undefined);
    expect(listed.refusal("::ffff:127.0.0.1")).to.equal(undefined);
    expect(listed.refusal("10.8.3.4")).to.equal(undefined);
    expect(listed.refusal("64:ff9b::a08:304")).to.equal(undefined);
    expect(listed.refusal("127.0.0.2")).to.equal("127.0.0.2 is a loopback address");
    expect(listed.refusal("::1")).to.equal("::1 is a loopback address");
    expect(listed.refusal("10.9.0.1")).to.equal("10.9.0.1 is a private address (RFC 1918)");
  });

  it("refuses text that is not an address", () => {
    expect(none.refusal("localhost")).to.equal("localhost is not an IP address");
  });
});
