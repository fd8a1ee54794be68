// The events block of the configuration: defaults as documented, `--expiry-warnings` parsed longest
// first, `--webhook-target-networks` canonical, and every bad value named by its flag.
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("event worker settings", () => {
  it("defaults: 10 s timeout, no webhook target networks (public addresses only), 30 s doubling to 1 h for a day, warnings 7 days and 1 day before expiry, 90 days of events", () => {
    const result = loadConfig({}, {});
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config.eventWorkers).to.deep.equal({
      webhookSigningKeyFile: undefined,
      webhookTimeoutMs: 10_000,
      webhookPollIntervalMs: 1_000,
      webhookRetry: { minMs: 30_000, maxMs: 3_600_000, giveUpAfterMs: 86_400_000 },
      maxWebhooksPerScope: 20,
      webhookTargetNetworks: [],
      expiryWarnings: [
        { leadMs: 7 * 86_400_000, label: "7d" },
        { leadMs: 86_400_000, label: "1d" },
      ],
      expirySweepIntervalMs: 60_000,
      eventRetentionMs: 90 * 86_400_000,
    });
  });

  it("sorts warning points longest first, allows none, and names each bad value", () => {
    const points = loadConfig({ "expiry-warnings": "12h, 30d,1d" }, {});
    expect(points.ok && points.config.eventWorkers.expiryWarnings.map((p) => p.label)).to.deep.equal(["30d", "1d", "12h"]);
    const none = loadConfig({}, { KEYWARD_EXPIRY_WARNINGS: "" });
    expect(none.ok && none.config.eventWorkers.expiryWarnings).to.deep.equal([]);
    const bad = loadConfig({ "expiry-warnings": "7d,1w", "webhook-retry-min": "2h", "webhook-timeout": "0", "max-webhooks-per-scope": "0" }, {});
    expect(bad.ok ? [] : bad.problems).to.include.members([
      '--expiry-warnings: "1w" is not a duration longer than 0, e.g. 7d or 12h',
      "--webhook-retry-min: must not be longer than --webhook-retry-max",
      "--webhook-timeout: must be longer than 0",
      '--max-webhooks-per-scope: "0" must be a whole number >= 1',
    ]);
    const twice = loadConfig({ "expiry-warnings": "1d,24h" }, {});
    expect(twice.ok ? [] : twice.problems).to.deep.equal(['--expiry-warnings: "24h" is given twice']);
  });

  it("reads webhook target networks from the flag or its variable, canonical, and refuses a bad one up front naming where it came from", () => {
    const flag = loadConfig({ "webhook-target-networks": "127.0.0.1, ::ffff:10.0.0.0/104" }, {});
    expect(flag.ok && flag.config.eventWorkers.webhookTargetNetworks).to.deep.equal(["127.0.0.1/32", "10.0.0.0/8"]);
    const env = loadConfig({}, { KEYWARD_WEBHOOK_TARGET_NETWORKS: "fd00::/8" });
    expect(env.ok && env.config.eventWorkers.webhookTargetNetworks).to.deep.equal(["fd00::/8"]);
    const bad = loadConfig({ "webhook-target-networks": "10.1.2.3/8,localhost" }, {});
    expect(bad.ok ? [] : bad.problems).to.deep.equal([
      "--webhook-target-networks: `10.1.2.3/8` has host bits set; the network is `10.0.0.0/8`",
      "--webhook-target-networks: `localhost` is not an IPv4 or IPv6 address or CIDR",
    ]);
  });
});
