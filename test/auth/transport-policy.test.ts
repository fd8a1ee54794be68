/** `--insecure-transport`: who counts as exposed, refusal in `reject`, one warning per key per hour in `warn`. */
import { expect } from "chai";
import type { Client } from "../../src/auth/client-address.js";
import { INSECURE_WARN_INTERVAL_MS, TransportPolicy } from "../../src/auth/transport-policy.js";
import { createLogger } from "../../src/logger.js";

const client = (address: string, secure = false, loopback = false): Client => ({ address, secure, loopback, userAgent: undefined });
const reasonOf = (fn: () => void): string => {
  try {
    fn();
    return "allowed";
  } catch (error) {
    return (error as { reason?: string }).reason ?? String(error);
  }
};

describe("auth/transport-policy", () => {
  it("reject refuses a clear-text credential from another machine, never one over TLS or from loopback", () => {
    const policy = new TransportPolicy("reject", createLogger("error", () => {}));
    expect(reasonOf(() => policy.refuseInsecure(client("192.0.2.1")))).to.equal("INSECURE_TRANSPORT");
    expect(reasonOf(() => policy.refuseInsecure(client("192.0.2.1", true)))).to.equal("allowed");
    expect(reasonOf(() => policy.refuseInsecure(client("127.0.0.1", false, true)))).to.equal("allowed");
    expect(reasonOf(() => new TransportPolicy("warn", createLogger("error", () => {})).refuseInsecure(client("192.0.2.1")))).to.equal("allowed");
  });

  it("warn logs a key once per hour, with its id and the address, and allow never", () => {
    const lines: string[] = [];
    const policy = new TransportPolicy("warn", createLogger("info", (line) => lines.push(line)));
    policy.warnInsecure(client("192.0.2.1"), "KEYA", 0);
    policy.warnInsecure(client("192.0.2.1"), "KEYA", INSECURE_WARN_INTERVAL_MS - 1);
    policy.warnInsecure(client("192.0.2.1"), "KEYB", 1);
    policy.warnInsecure(client("192.0.2.1", true), "KEYC", 1);
    policy.warnInsecure(client("192.0.2.1"), "KEYA", INSECURE_WARN_INTERVAL_MS);
    expect(lines.map((l) => (JSON.parse(l) as { key_id: string }).key_id)).to.deep.equal(["KEYA", "KEYB", "KEYA"]);
    expect(lines[0]).to.contain("192.0.2.1");
    const quiet: string[] = [];
    new TransportPolicy("allow", createLogger("info", (line) => quiet.push(line))).warnInsecure(client("192.0.2.1"), "KEYA", 0);
    expect(quiet).to.deep.equal([]);
  });
});
