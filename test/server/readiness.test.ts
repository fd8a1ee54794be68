// Readiness against a real SQLite store: closed under it, the server is not ready; a store that stops
// answering counts as down after the timeout; draining wins over everything and stops the checks.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { createLogger } from "../../src/logger.js";
import { Readiness } from "../../src/server/readiness.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { Store } from "../../src/store/store.js";

describe("server: readiness", () => {
  let dir: string;
  const lines: string[] = [];
  const logger = createLogger("info", (line) => lines.push(line));
  const options = { intervalMs: 60_000, timeoutMs: 100 };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keyward-readiness-"));
    lines.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("is ready while the SQLite store answers, not ready once it is closed, and says so once", async () => {
    const store = openSqliteStore(join(dir, "keyward.db"));
    const readiness = new Readiness(store, logger, options);
    const told: boolean[] = [];
    readiness.subscribe((ready) => told.push(ready));
    await readiness.check();
    expect(readiness.state).to.deep.equal({ ready: true });
    await store.close();
    await readiness.check();
    await readiness.check();
    expect(readiness.state).to.deep.equal({ ready: false, reason: "store unavailable" });
    expect(told).to.deep.equal([true, false]);
    expect(lines.filter((line) => line.includes("store does not answer"))).to.have.length(1);
  });

  it("counts a store that does not answer within the timeout as down, and an answer as up again", async () => {
    let respond = () => new Promise<undefined>(() => undefined);
    const store = { findApiKey: () => respond() } as unknown as Store;
    const readiness = new Readiness(store, logger, options);
    await readiness.check();
    expect(readiness.state).to.deep.equal({ ready: false, reason: "store unavailable" });
    respond = async () => undefined;
    await readiness.check();
    expect(readiness.state).to.deep.equal({ ready: true });
    expect(lines.some((line) => line.includes("store answers again: ready"))).to.equal(true);
  });

  it("is not ready once draining, whatever the store says", async () => {
    const store = openSqliteStore(join(dir, "keyward.db"));
    const readiness = new Readiness(store, logger, options);
    readiness.start();
    readiness.drain();
    await readiness.check();
    expect(readiness.state).to.deep.equal({ ready: false, reason: "draining" });
    await store.close();
  });
});
