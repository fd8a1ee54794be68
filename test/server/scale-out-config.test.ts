// The scale-out settings of `keyward serve` (ARCHITECTURE.md, "Caches and the revocation feed"): defaults, flag over env, and every problem at once.
import { availableParallelism } from "node:os";
import { expect } from "chai";
import { loadConfig, type ConfigResult } from "../../src/server/config.js";

function problems(result: ConfigResult): string[] {
  return result.ok ? [] : result.problems;
}

describe("server: config for the revocation feed and workers", () => {
  it("defaults to a 250 ms poll and one worker", () => {
    const result = loadConfig({}, {});
    expect(result.ok && result.config.revocationPollIntervalMs).to.equal(250);
    expect(result.ok && result.config.workers).to.equal(1);
  });

  it("reads both from flags over env, and `auto` as one worker per core", () => {
    const fromEnv = loadConfig({}, { KEYWARD_REVOCATION_POLL_INTERVAL: "1s", KEYWARD_WORKERS: "auto" });
    expect(fromEnv.ok && fromEnv.config.revocationPollIntervalMs).to.equal(1_000);
    expect(fromEnv.ok && fromEnv.config.workers).to.equal(availableParallelism());
    const flagged = loadConfig({ "revocation-poll-interval": "100ms", workers: "3" }, { KEYWARD_REVOCATION_POLL_INTERVAL: "1s", KEYWARD_WORKERS: "2" });
    expect(flagged.ok && flagged.config.revocationPollIntervalMs).to.equal(100);
    expect(flagged.ok && flagged.config.workers).to.equal(3);
  });

  it("lists a bad poll interval and a bad worker count together", () => {
    const listed = problems(loadConfig({ "revocation-poll-interval": "0ms", workers: "many" }, {}));
    expect(listed).to.have.length(2);
    expect(listed[0]).to.contain("--revocation-poll-interval").and.contain("between 10ms and 60s");
    expect(listed[1]).to.contain("--workers").and.contain('"many" must be auto or a whole number from 1 to 256');
    expect(problems(loadConfig({}, { KEYWARD_REVOCATION_POLL_INTERVAL: "soon", KEYWARD_WORKERS: "0" }))).to.have.length(2);
    expect(problems(loadConfig({ "revocation-poll-interval": "2m" }, {}))[0]).to.contain("between 10ms and 60s");
  });

  it("refuses --store memory with several workers, which could not share it", () => {
    const [problem] = problems(loadConfig({ store: "memory", workers: "2" }, {}));
    expect(problem).to.contain("--workers").and.contain("--store memory cannot be shared by 2 worker processes");
    expect(problems(loadConfig({}, { KEYWARD_STORE: "memory", KEYWARD_WORKERS: "auto" })).length).to.equal(availableParallelism() > 1 ? 1 : 0);
    expect(loadConfig({ store: "memory", workers: "1" }, {}).ok).to.equal(true);
    expect(loadConfig({ store: "sqlite", workers: "4" }, {}).ok).to.equal(true);
  });
});
