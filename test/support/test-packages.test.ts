/**
 * A fresh machine: without Debian's chromium, nginx, caddy, docker-compose and iproute2 (made to look
 * missing with KEYWARD_TEST_HIDE_PACKAGES), the suites that need them skip with one line each naming the
 * package to install, and the run passes; with KEYWARD_REQUIRE_TEST_PACKAGES=1, as .ci/run sets it, the
 * same suites fail instead.
 */
import { expect } from "chai";
import { HIDE_VARIABLE, PACKAGES, REQUIRE_VARIABLE, findProgram } from "./test-packages.js";
import { runMocha } from "./run-mocha.js";

const ALL_HIDDEN = "chromium,nginx,caddy,docker-compose,iproute2";

/** The `SKIPPED …` lines of a run. */
function skippedLines(output: string): string[] {
  return output.split("\n").filter((line) => line.startsWith("SKIPPED "));
}

describe("test support: suites that need a Debian package", function () {
  this.timeout(180_000);

  it("skips each with one line naming the package, and the run passes", () => {
    const run = runMocha(
      ["test/console/console.test.ts", "test/deploy/deploy.test.ts", "test/e2e/gateway-recipes.test.ts", "test/e2e/insecure-transport.test.ts"],
      { [HIDE_VARIABLE]: ALL_HIDDEN, [REQUIRE_VARIABLE]: "" },
    );
    expect(run.status, run.output).to.equal(0);
    expect(skippedLines(run.output).sort()).to.deep.equal([
      "SKIPPED test/console: /usr/bin/chromium missing — apt-get install chromium",
      "SKIPPED test/deploy/deploy.test.ts (docker-compose config): docker-compose missing — apt-get install docker-compose",
      "SKIPPED test/e2e/gateway-recipes.test.ts (caddy): caddy missing — apt-get install caddy",
      "SKIPPED test/e2e/gateway-recipes.test.ts (nginx): nginx missing — apt-get install nginx",
      "SKIPPED test/e2e/insecure-transport.test.ts: ip missing — apt-get install iproute2",
    ]);
  });

  it(`fails them instead under ${REQUIRE_VARIABLE}=1`, () => {
    const run = runMocha(["test/console/console.test.ts", "test/deploy/deploy.test.ts"], { [HIDE_VARIABLE]: ALL_HIDDEN, [REQUIRE_VARIABLE]: "1" });
    expect(run.status, run.output).to.not.equal(0);
    expect(run.output)
      .to.contain("test/console: /usr/bin/chromium missing — apt-get install chromium")
      .and.contain("docker-compose missing — apt-get install docker-compose")
      .and.contain(`${REQUIRE_VARIABLE}=1`);
    expect(skippedLines(run.output)).to.deep.equal([]);
  });

  it("finds programs on PATH or by absolute path, and honours the hiding variable", () => {
    const sh = { program: "sh", debianPackage: "dash" };
    expect(findProgram(sh, { PATH: "/usr/bin:/bin" })).to.match(/\/sh$/);
    expect(findProgram(sh, { PATH: "/nonexistent" })).to.equal(undefined);
    expect(findProgram(sh, { PATH: "/usr/bin:/bin", [HIDE_VARIABLE]: "nginx, dash" })).to.equal(undefined);
    expect(findProgram({ program: "/nonexistent/chromium", debianPackage: "chromium" }, {})).to.equal(undefined);
    expect(PACKAGES.chromium.program).to.equal("/usr/bin/chromium");
  });
});
