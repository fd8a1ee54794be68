// The retry schedule: doubling from the minimum to the maximum, jittered down by at most half, never
// past the give-up time, and given up from then on.
import { expect } from "chai";
import { DEFAULT_RETRY_SCHEDULE, nextAttemptAt } from "../../src/events/retry-schedule.js";
import { outcomeOf } from "../../src/events/webhook-dispatcher.js";

const QUEUED = new Date("2026-01-01T00:00:00Z");
const at = (ms: number) => new Date(QUEUED.getTime() + ms);
const delayAfter = (failed: number, random: number, nowMs = 0) =>
  nextAttemptAt(DEFAULT_RETRY_SCHEDULE, failed, QUEUED, at(nowMs), () => random)!.getTime() - at(nowMs).getTime();

describe("webhook retry schedule", () => {
  it("doubles from 30 s to 1 h without jitter (random 0)", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9, 30].map((n) => delayAfter(n, 0));
    expect(delays).to.deep.equal([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000, 3_600_000]);
  });

  it("jitters each delay down by at most half", () => {
    expect(delayAfter(1, 0.999_999)).to.be.within(15_000, 15_001);
    expect(delayAfter(8, 0.5)).to.equal(2_700_000);
  });

  it("makes the last attempt at the give-up time, then gives up", () => {
    const day = DEFAULT_RETRY_SCHEDULE.giveUpAfterMs;
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 20, QUEUED, at(day - 60_000), () => 0)!.getTime()).to.equal(at(day).getTime());
    expect(nextAttemptAt(DEFAULT_RETRY_SCHEDULE, 21, QUEUED, at(day))).to.equal(undefined);
  });

  it("has about 30 attempts in a day with the defaults", () => {
    let now = 0;
    let attempts = 1;
    for (;;) {
      const next = nextAttemptAt(DEFAULT_RETRY_SCHEDULE, attempts, QUEUED, at(now), () => 0);
      if (next === undefined) break;
      now = next.getTime() - QUEUED.getTime();
      attempts++;
    }
    expect(attempts).to.be.within(28, 34);
  });

  it("turns an attempt's answer into delivered, retry or failed", () => {
    const delivery = { attempts: 0, queuedAt: QUEUED };
    expect(outcomeOf({ status: 204, error: "" }, DEFAULT_RETRY_SCHEDULE, delivery, at(1000))).to.deep.equal({ result: "delivered", at: at(1000), status: 204 });
    const retry = outcomeOf({ status: 500, error: "HTTP 500" }, DEFAULT_RETRY_SCHEDULE, delivery, at(1000));
    expect(retry.result).to.equal("retry");
    const late = outcomeOf({ status: 0, error: "timeout" }, DEFAULT_RETRY_SCHEDULE, { attempts: 29, queuedAt: QUEUED }, at(DEFAULT_RETRY_SCHEDULE.giveUpAfterMs));
    expect(late).to.deep.equal({ result: "failed", at: at(DEFAULT_RETRY_SCHEDULE.giveUpAfterMs), status: 0, error: "timeout" });
  });
});
