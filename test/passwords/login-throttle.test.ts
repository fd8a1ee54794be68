/**
 * The sign-in throttle's rules (ARCHITECTURE.md, "Sessions and passwords") on a real store (SQLite in memory) with a clock the test moves:
 * what is counted, when waits start and how they grow, what a success, a refusal and an unchecked attempt
 * do to the counts, how a crashed attempt lapses, and which network a client counts by.
 */
import { expect } from "chai";
import { DEFAULT_THROTTLE, LoginThrottle, type ThrottleOptions } from "../../src/passwords/login-throttle.js";
import { clientGroupOf } from "../../src/net/networks.js";
import { KeywardError } from "../../src/errors/errors.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";

const OPTIONS: ThrottleOptions = { ...DEFAULT_THROTTLE, freeFailuresPerUser: 3, freeFailuresPerAddress: 5, ipv6Prefix: 64 };

describe("auth/login-throttle", () => {
  let store: SqliteStore;
  let clock: number;
  let throttle: LoginThrottle;

  beforeEach(() => {
    store = openSqliteStore(":memory:");
    clock = Date.UTC(2026, 0, 1);
    throttle = new LoginThrottle(store, OPTIONS, () => clock);
  });

  afterEach(() => store.close());

  let addresses = 0;
  /** "ok", or the refusal as `subject wait-ms`. Each attempt comes from a new address unless one is named. */
  async function attempt(userId: string, address = `10.0.${Math.floor(++addresses / 250)}.${addresses % 250}`): Promise<string> {
    try {
      await throttle.reserve(userId, address);
      return "ok";
    } catch (error) {
      if (!(error instanceof KeywardError) || error.reason !== "LOGIN_THROTTLED") throw error;
      return `${error.metadata["subject"]} ${error.retryDelayMs}`;
    }
  }

  const rows = () => (store.database.prepare("SELECT count(*) AS n FROM attempt_counters").get() as { n: number }).n;

  it("counts each attempt before it is checked: the allowance at once, then a wait before the next", async () => {
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await attempt("dana"));
    expect(answers).to.deep.equal(["ok", "ok", "ok", "user id 1000", "user id 1000"]);
    clock += 999;
    expect(await attempt("dana")).to.equal("user id 1");
    clock += 1;
    expect(await attempt("dana")).to.equal("ok");
  });

  it("doubles each wait, never past the maximum", async () => {
    throttle = new LoginThrottle(store, { ...OPTIONS, maxDelayMs: 5_000 }, () => clock);
    const waits = [];
    for (let i = 0; i < 7; i++) {
      await attempt("eve");
      const refused = await attempt("eve");
      waits.push(refused);
      if (refused !== "ok") clock += Number(refused.split(" ").at(-1));
    }
    expect(waits).to.deep.equal(["ok", "user id 1000", "user id 2000", "user id 4000", "user id 5000", "user id 5000", "user id 5000"]);
  });

  it("refused attempts are not counted: after the wait exactly one more goes through", async () => {
    for (let i = 0; i < 3; i++) await attempt("fred");
    for (let i = 0; i < 50; i++) expect(await attempt("fred")).to.equal("user id 1000");
    clock += 1_000;
    expect(await attempt("fred")).to.equal("ok");
    expect(await attempt("fred")).to.equal("user id 2000");
  });

  it("a success clears the user id's count and gives the address back only its own slot", async () => {
    throttle = new LoginThrottle(store, { ...OPTIONS, freeFailuresPerAddress: 6 }, () => clock);
    const guesses = [];
    for (let i = 0; i < 2; i++) guesses.push(await throttle.reserve("gina", "198.51.100.1"));
    await throttle.succeeded(await throttle.reserve("gina", "198.51.100.1"));
    // The user id starts afresh: its whole allowance.
    for (let i = 0; i < 3; i++) expect(await attempt("gina", "198.51.100.1")).to.equal("ok");
    expect(await attempt("gina", "198.51.100.1")).to.equal("user id 1000");
    // The address counted 2 + 3 failures, not the success nor the refusal: one of its 6 is left.
    expect(await attempt("someone-else", "198.51.100.1")).to.equal("ok");
    expect(await attempt("someone-else", "198.51.100.1")).to.equal("address 1000");
  });

  it("an attempt the password queue refused gives both slots back", async () => {
    for (let i = 0; i < 2; i++) await attempt("hal", "198.51.100.2");
    await throttle.unchecked(await throttle.reserve("hal", "198.51.100.2"));
    expect(await attempt("hal", "198.51.100.2")).to.equal("ok");
    expect(await attempt("hal", "198.51.100.2")).to.equal("user id 1000");
  });

  it("asks the address first: a throttled address writes nothing for the user ids it sprays", async () => {
    for (let i = 0; i < 5; i++) expect(await attempt(`spray-${i}`, "203.0.113.9")).to.equal("ok");
    const before = rows();
    for (let i = 5; i < 100; i++) expect(await attempt(`spray-${i}`, "203.0.113.9")).to.equal("address 1000");
    expect(rows()).to.equal(before);
  });

  it("an attempt refused for its user id does not use up its address's allowance", async () => {
    for (let i = 0; i < 3; i++) await attempt("ivy", "203.0.113.10");
    for (let i = 0; i < 20; i++) expect(await attempt("ivy", "203.0.113.10")).to.equal("user id 1000");
    // The address counted the three that were checked, not the twenty refused.
    expect(await attempt("ivy-2", "203.0.113.10")).to.equal("ok");
    expect(await attempt("ivy-3", "203.0.113.10")).to.equal("ok");
    expect(await attempt("ivy-4", "203.0.113.10")).to.equal("address 1000");
  });

  it("forgets a subject whose last attempt is older than the forget-after time, settled or not (a crashed process)", async () => {
    // Reserved and never settled: as if the process died while hashing.
    for (let i = 0; i < 5; i++) await attempt("jack");
    expect(await attempt("jack")).to.match(/^user id/);
    clock += OPTIONS.forgetAfterMs;
    expect(await attempt("jack")).to.equal("ok");
  });

  it("deletes lapsed counters from the store, at most once per prune interval", async () => {
    for (let i = 0; i < 10; i++) await attempt(`lapse-${i}`, `192.0.2.${i + 10}`);
    expect(rows()).to.equal(20);
    clock += OPTIONS.forgetAfterMs;
    await attempt("fresh", "192.0.2.200"); // prunes (in the background) and counts two new rows
    await new Promise((resolve) => setImmediate(resolve));
    expect(rows()).to.equal(2);
    clock += OPTIONS.forgetAfterMs;
    await attempt("fresh-2", "192.0.2.201"); // the first prune was long ago: prunes again
    await new Promise((resolve) => setImmediate(resolve));
    expect(rows()).to.equal(2);
    clock += 1;
    await attempt("fresh-3", "192.0.2.202"); // within the interval: no prune
    expect(rows()).to.equal(4);
  });

  it("counts an IPv6 client by its /64, and keeps other /64s apart", async () => {
    for (let i = 1; i <= 5; i++) expect(await attempt(`v6-${i}`, `2001:db8:1:2::${i.toString(16)}`)).to.equal("ok");
    expect(await attempt("v6-6", "2001:db8:1:2:ffff:ffff:ffff:ffff")).to.equal("address 1000");
    expect(await attempt("v6-7", "2001:db8:1:3::1")).to.equal("ok");
  });
});

describe("auth/networks: clientGroupOf", () => {
  it("is the address for IPv4 (IPv4-mapped IPv6 in either notation too), the prefix for IPv6, anything else as it is", () => {
    const cases: [address: string, prefix: number, network: string][] = [
      ["192.0.2.1", 64, "192.0.2.1"],
      ["::ffff:192.0.2.1", 64, "192.0.2.1"],
      ["::ffff:c000:201", 64, "192.0.2.1"],
      ["[::FFFF:192.0.2.1]", 64, "192.0.2.1"],
      ["2001:DB8:1:2:3:4:5:6", 64, "2001:db8:1:2::/64"],
      ["2001:db8:1:2:3:4:5:6", 48, "2001:db8:1::/48"],
      ["2001:db8:1:2:3:4:5:6", 128, "2001:db8:1:2:3:4:5:6/128"],
      ["fe80::1%eth0", 64, "fe80::/64"],
      ["::1", 64, "::/64"],
      // One shared counter for the clients no door could place.
      ["", 64, ""],
      ["unknown", 64, "unknown"],
    ];
    expect(cases.map(([address, prefix]) => clientGroupOf(address, prefix))).to.deep.equal(cases.map(([, , network]) => network));
  });
});
