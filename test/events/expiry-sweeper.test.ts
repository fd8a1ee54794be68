// The expiry sweep calls the store in small batches and gives the event loop back between them: SQLite's
// calls are synchronous, and a sweep of thousands of keys in one go held every call of the server for
// seconds (the authorization matrix's connections were reset). It stops when no point came back full.
import { expect } from "chai";
import { expirySweeper, EXPIRY_BATCH } from "../../src/events/expiry-sweeper.js";
import { silentLogger } from "../../src/logger.js";
import type { EventRecord, ExpiryPoint, ExpiryWarningStore } from "../../src/store/store.js";

const POINTS: ExpiryPoint[] = [
  { leadMs: 7 * 86_400_000, label: "7d" },
  { leadMs: 86_400_000, label: "1d" },
];

function warnings(label: string, n: number): EventRecord[] {
  return Array.from({ length: n }, () => ({ reason: label }) as EventRecord);
}

describe("expiry sweeper", () => {
  it("calls in batches of EXPIRY_BATCH per point, yielding to I/O between calls, until no point is full", async () => {
    const left = new Map([["7d", 3 * EXPIRY_BATCH + 5], ["1d", EXPIRY_BATCH]]);
    const calls: Array<{ limit: number; ioRanSince: boolean }> = [];
    let ioRan = true;
    const store: ExpiryWarningStore = {
      async warnExpiringKeys(_now, points, limit) {
        calls.push({ limit, ioRanSince: ioRan });
        ioRan = false;
        setImmediate(() => (ioRan = true));
        return points.flatMap((point) => {
          const n = Math.min(limit, left.get(point.label)!);
          left.set(point.label, left.get(point.label)! - n);
          return warnings(point.label, n);
        });
      },
    };
    const sweeper = expirySweeper(store, POINTS, 60_000, silentLogger);
    sweeper.start();
    while (left.get("7d")! > 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await sweeper.stop();
    // Full, full, full, then 5 and 0: the fourth call is the last.
    expect(calls.map((c) => c.limit)).to.deep.equal([EXPIRY_BATCH, EXPIRY_BATCH, EXPIRY_BATCH, EXPIRY_BATCH]);
    expect(calls.every((c) => c.ioRanSince), "the event loop ran between calls").to.equal(true);
  });
});
