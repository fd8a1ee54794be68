/** `--insecure-transport`: who counts as exposed, refusal in `reject`, one warning per key per hour in `warn`. */
import { expect } from "chai";
import type { Client } from "../../src/net/client-address.js";
import { INSECURE_WARN_INTERVAL_MS, TransportPolicy } from "../../src/net/transport-policy.js";
import { createLogger } from "../../src/logger.js";
import { outcomeOfSync } from "../support/error-reasons.js";

const client = (address: string, secure = false, loopback = false): Client => ({ address, secure, loopback, userAgent: undefined });

describe("auth/transport-policy", () => {
  it("reject refuses a clear-text credential from another machine, never one over TLS or from loopback", () => {
    const policy = new TransportPolicy("reject", createLogger("error", () => {}));
    expect(outcomeOfSync(() => policy.refuseInsecure(client("192.0.2.1")))).to.equal("INSECURE_TRANSPORT");
    expect(outcomeOfSync(() => policy.refuseInsecure(client("192.0.2.1", true)))).to.equal("ok");
    expect(outcomeOfSync(() => policy.refuseInsecure(client("127.0.0.1", false, true)))).to.equal("ok");
    expect(outcomeOfSync(() => new TransportPolicy("warn", createLogger("error", () => {})).refuseInsecure(client("192.0.2.1")))).to.equal("ok");
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

  it("judges a password like a key: refused in reject, warned once per client address per hour in warn, never with the password", () => {
    const reject = new TransportPolicy("reject", createLogger("error", () => {}));
    expect(outcomeOfSync(() => reject.judgePassword(client("192.0.2.1"), "m", 0))).to.equal("INSECURE_TRANSPORT");
    expect(outcomeOfSync(() => reject.judgePassword(client("", false, false), "m", 0)), "an unknown client is not trusted").to.equal("INSECURE_TRANSPORT");
    expect(outcomeOfSync(() => reject.judgePassword(client("192.0.2.1", true), "m", 0))).to.equal("ok");
    expect(outcomeOfSync(() => reject.judgePassword(client("127.0.0.1", false, true), "m", 0))).to.equal("ok");
    const lines: string[] = [];
    const warn = new TransportPolicy("warn", createLogger("info", (line) => lines.push(line)));
    warn.judgePassword(client("192.0.2.1"), "keyward.v1.SessionRegistry/CreateSession", 0);
    warn.judgePassword(client("192.0.2.1"), "keyward.v1.UserRegistry/UpdatePassword", 1);
    warn.judgePassword(client("192.0.2.2"), "keyward.v1.SessionRegistry/CreateSession", 2);
    warn.judgePassword(client("192.0.2.1", true), "keyward.v1.SessionRegistry/CreateSession", 3);
    warn.judgePassword(client("192.0.2.1"), "keyward.v1.SessionRegistry/CreateSession", INSECURE_WARN_INTERVAL_MS);
    expect(lines.map((l) => (JSON.parse(l) as { client: string }).client)).to.deep.equal(["192.0.2.1", "192.0.2.2", "192.0.2.1"]);
    expect(JSON.parse(lines[0]!)).to.deep.include({ level: "warn", method: "keyward.v1.SessionRegistry/CreateSession" });
  });

  it("remembers at most 10,000 warned clients, however many send passwords in the clear", () => {
    const lines: string[] = [];
    const warn = new TransportPolicy("warn", createLogger("info", (line) => lines.push(line)));
    for (let i = 0; i < 10_001; i++) warn.judgePassword(client(`10.0.${i >> 8}.${i & 255}`), "m", i);
    // The first was forgotten to make room, so it is warned about again; the most recent is not.
    warn.judgePassword(client("10.0.0.0"), "m", 20_000);
    warn.judgePassword(client("10.0.39.16"), "m", 20_000);
    expect(lines).to.have.length(10_002);
  });
});
