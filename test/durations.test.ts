/** Durations as flags take them, and as the settings table writes its defaults from the modules' constants. */
import { expect } from "chai";
import { formatDuration, parseDuration } from "../src/durations.js";

describe("durations", () => {
  it("writes milliseconds in the largest units, as a flag would take them", () => {
    expect([0, 250, 5_000, 10_000, 90_000, 15 * 60_000, 8 * 3_600_000, 7 * 86_400_000, 3_600_001].map(formatDuration)).to.deep.equal([
      "0",
      "250ms",
      "5s",
      "10s",
      "1m30s",
      "15m",
      "8h",
      "7d",
      "1h1ms",
    ]);
  });

  it("reads back what it writes", () => {
    for (const ms of [0, 1, 999, 1_000, 61_001, 86_400_000 + 3_600_000]) expect(parseDuration(formatDuration(ms))).to.equal(ms);
  });
});
