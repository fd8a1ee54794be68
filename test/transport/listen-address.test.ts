import { expect } from "chai";
import { formatListenAddress, parseListenAddress } from "../../src/transport/listen-address.js";

describe("transport/listen-address", () => {
  it("parses host:port, names and bracketed IPv6", () => {
    expect(parseListenAddress("127.0.0.1:8080")).to.deep.equal({ host: "127.0.0.1", port: 8080 });
    expect(parseListenAddress("localhost:0")).to.deep.equal({ host: "localhost", port: 0 });
    expect(parseListenAddress("[::1]:9090")).to.deep.equal({ host: "::1", port: 9090 });
    expect(parseListenAddress("0.0.0.0:65535")).to.deep.equal({ host: "0.0.0.0", port: 65535 });
  });

  it("rejects anything else, naming the address", () => {
    for (const bad of ["", "8080", ":8080", "host:", "host:http", "::1:80", "host:65536", "host:123456", "[::1]"]) {
      expect(() => parseListenAddress(bad), bad).to.throw(TypeError, `"${bad}"`);
    }
  });

  it("formats, bracketing IPv6 hosts", () => {
    expect(formatListenAddress({ host: "127.0.0.1", port: 1 })).to.equal("127.0.0.1:1");
    expect(formatListenAddress({ host: "::1", port: 2 })).to.equal("[::1]:2");
  });
});
