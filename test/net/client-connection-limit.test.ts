/** The per-client connection cap's counting: who is one client, when a slot frees, who is not capped. */
import { EventEmitter } from "node:events";
import type { Socket } from "node:net";
import { expect } from "chai";
import { ClientConnectionLimit } from "../../src/net/client-connection-limit.js";

/** Enough of a socket for the limit: its peer address, destroy() and "close". */
class FakeSocket extends EventEmitter {
  destroyed = false;
  constructor(readonly remoteAddress: string | undefined) {
    super();
  }
  destroy(): this {
    this.destroyed = true;
    this.emit("close");
    return this;
  }
}

const connect = (limit: ClientConnectionLimit, address: string | undefined) => {
  const socket = new FakeSocket(address);
  limit.admit(socket as unknown as Socket);
  return socket;
};

describe("transport/client-connection-limit", () => {
  it("closes a client's connection over the cap at once, and frees the slot when one closes", () => {
    const limit = new ClientConnectionLimit({ maxPerClient: 2, ipv6PrefixLength: 64 });
    const [a, b, c] = [connect(limit, "192.0.2.1"), connect(limit, "::ffff:192.0.2.1"), connect(limit, "192.0.2.1")];
    expect([a.destroyed, b.destroyed, c.destroyed], "a mapped address is the same client").to.deep.equal([false, false, true]);
    expect(connect(limit, "192.0.2.2").destroyed, "another client").to.equal(false);
    a.destroy();
    expect(limit.openFrom("192.0.2.1")).to.equal(1);
    expect(connect(limit, "192.0.2.1").destroyed).to.equal(false);
    b.destroy();
    expect(limit.openFrom("192.0.2.1")).to.equal(1);
  });

  it("counts an IPv6 client by its /64, and never caps a trusted proxy or a socket already gone", () => {
    const limit = new ClientConnectionLimit({ maxPerClient: 2, uncapped: ["10.0.0.0/8"], ipv6PrefixLength: 64 });
    connect(limit, "2001:db8:1:2::1");
    connect(limit, "2001:db8:1:2::2");
    expect(connect(limit, "2001:db8:1:2:ffff::3").destroyed, "same /64").to.equal(true);
    expect(connect(limit, "2001:db8:1:3::1").destroyed, "another /64").to.equal(false);
    expect(Array.from({ length: 5 }, () => connect(limit, "10.1.2.3").destroyed)).to.deep.equal([false, false, false, false, false]);
    expect(limit.openFrom("10.1.2.3")).to.equal(0);
    expect(connect(limit, undefined).destroyed).to.equal(false);
  });
});
