// The check that every test removes its temporary files (temp-dir-check.ts), run on two small specs.
import { expect } from "chai";
import { runMocha } from "./run-mocha.js";

describe("test support: temporary files left behind fail the run", function () {
  this.timeout(60_000);

  it("fails a run whose test leaves a keyward-* entry in the temporary directory, naming it", () => {
    const run = runMocha(["test/support/fixtures/leaves-a-temp-dir.spec.ts"]);
    expect(run.status, run.output).to.not.equal(0);
    expect(run.output).to.match(/tests left keyward-forgotten-\w+ in the temporary directory/);
  });

  it("passes a run whose tests remove what they make", () => {
    const run = runMocha(["test/support/fixtures/cleans-up.spec.ts"]);
    expect(run.status, run.output).to.equal(0);
    expect(run.output).to.contain("1 passing");
  });
});
