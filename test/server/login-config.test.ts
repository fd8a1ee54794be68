/** The sign-in throttle's settings in the server configuration: defaults, flag over env, bounds. */
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("server/config: sign-in throttle", () => {
  it("counts IPv6 clients by their /64 unless told otherwise", () => {
    const loaded = loadConfig({}, {});
    expect(loaded.ok && [loaded.config.loginFreeFailures, loaded.config.loginFreeFailuresPerAddress, loaded.config.clientIpv6Prefix]).to.deep.equal([5, 20, 64]);
  });

  it("reads --client-ipv6-prefix, or else KEYWARD_CLIENT_IPV6_PREFIX", () => {
    const fromEnv = loadConfig({}, { KEYWARD_CLIENT_IPV6_PREFIX: "56" });
    expect(fromEnv.ok && fromEnv.config.clientIpv6Prefix).to.equal(56);
    const fromFlag = loadConfig({ "client-ipv6-prefix": "128" }, { KEYWARD_CLIENT_IPV6_PREFIX: "56" });
    expect(fromFlag.ok && fromFlag.config.clientIpv6Prefix).to.equal(128);
  });

  it("refuses a prefix length outside 1 to 128, naming where it came from", () => {
    for (const [flags, env, problem] of [
      [{ "client-ipv6-prefix": "0" }, {}, '--client-ipv6-prefix: "0" must be a whole number >= 1'],
      [{}, { KEYWARD_CLIENT_IPV6_PREFIX: "129" }, 'KEYWARD_CLIENT_IPV6_PREFIX: "129" must be at most 128'],
      [{ "client-ipv6-prefix": "/64" }, {}, '--client-ipv6-prefix: "/64" must be a whole number >= 1'],
    ] as const) {
      const loaded = loadConfig(flags, env);
      expect(loaded.ok ? [] : loaded.problems).to.deep.equal([problem]);
    }
  });
});
