// The events block of the configuration: defaults as documented, `--expiry-warnings` parsed longest
// first, and every bad value named by its flag.
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("event worker settings", () => {
  it("defaults: 10 s timeout, 30 s doubling to 1 h for a day, warnings 7 days and 1 day before expiry, 90 days of events", () => {
    const result = loadConfig({}, {});
    if (!result.ok) throw new Error(result.problems.join("; "));
    expect(result.config.eventWorkers).to.deep.equal({
      webhookSigningKeyFile: undefined,
      webhookTimeoutMs: 10_000,
      webhookPollIntervalMs: 1_000,
      webhookRetry: { minMs: 30_000, maxMs: 3_600_000, giveUpAfterMs: 86_400_000 },
      maxWebhooksPerScope: 20,
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
});
