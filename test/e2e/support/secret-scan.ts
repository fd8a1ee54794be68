/**
 * The whole run's secret scan (ARCHITECTURE.md, "Testing"): every key issued by any e2e test is collected here, and so is
 * everything every server process printed. A root-level hook checks, after the last test of the run,
 * that no secret ever reached a log line.
 */
import { expect } from "chai";

/** Every full key any test was given. */
export const issuedKeys = new Set<string>();
/** Everything every server or CLI process started by the e2e tests printed. */
export const allServerOutput: string[] = [];

after("no issued secret appears in any server output of the run", () => {
  if (issuedKeys.size === 0) return;
  const logs = allServerOutput.join("");
  expect(logs).to.contain("keyward listening");
  const leaked = [...issuedKeys].filter((key) => logs.includes(key.split(".")[2]!));
  expect(leaked.length, "secrets found in server output").to.equal(0);
});
