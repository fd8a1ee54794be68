/** The network-edge settings of `keyward serve`: validated up front, every problem listed. */
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("server/config: --trusted-proxies and --insecure-transport", () => {
  it("defaults to no trusted proxies and warn", () => {
    const loaded = loadConfig({}, {});
    expect(loaded.ok && [loaded.config.trustedProxies, loaded.config.insecureTransport]).to.deep.equal([[], "warn"]);
  });

  it("reads canonical CIDRs from the flag or the environment", () => {
    const fromFlag = loadConfig({ "trusted-proxies": "127.0.0.1, 10.0.0.0/8,::1" }, {});
    expect(fromFlag.ok && fromFlag.config.trustedProxies).to.deep.equal(["127.0.0.1/32", "10.0.0.0/8", "::1/128"]);
    const fromEnv = loadConfig({}, { KEYWARD_TRUSTED_PROXIES: "2001:DB8::/32", KEYWARD_INSECURE_TRANSPORT: "reject" });
    expect(fromEnv.ok && [fromEnv.config.trustedProxies, fromEnv.config.insecureTransport]).to.deep.equal([["2001:db8::/32"], "reject"]);
  });

  it("lists every bad entry and a bad mode at once", () => {
    const loaded = loadConfig({ "trusted-proxies": "10.1.0.0/8,nginx,::1", "insecure-transport": "revoke" }, {});
    expect(loaded.ok).to.equal(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(problems).to.have.length(3);
    expect(problems[0]).to.contain("--trusted-proxies").and.contain("10.0.0.0/8");
    expect(problems[1]).to.contain("`nginx`");
    expect(problems[2]).to.contain("--insecure-transport").and.contain("allow, warn, reject");
  });
});
