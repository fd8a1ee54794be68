// The store timer: every operation of the real (composed) store is timed under its own name and outcome,
// and close is passed through untimed.
import { expect } from "chai";
import { Registry } from "prom-client";
import { instrumentStore } from "../../src/metrics/instrumented-store.js";
import { PlainHistogram } from "../../src/metrics/plain-series.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { userRecord } from "../store/conformance/fixtures.js";

function histogram(): PlainHistogram {
  return new PlainHistogram("store_seconds", "test", ["operation", "outcome"], new Registry(), [0.001, 1]);
}

describe("instrumentStore", () => {
  it("times each operation of a SQLite store by name and outcome", async () => {
    const duration = histogram();
    const store = instrumentStore(openSqliteStore(":memory:"), duration);
    try {
      await store.createUser(userRecord({ userId: "timed-user" }));
      await store.getUser("timed-user");
      await store.getUser("timed-user");
      await store.getUser("nobody").catch(() => undefined);
      expect(duration.series("createUser", "ok").count).to.equal(1);
      expect(duration.series("getUser", "ok").count).to.equal(2);
      expect(duration.series("getUser", "error").count).to.equal(1);
      // Accessors still reach the original.
      expect(store.database.open).to.equal(true);
    } finally {
      await store.close();
    }
    expect(duration.series("close", "ok").count).to.equal(0);
  });
});
