/**
 * `npm run bench:sqlite-floor`: where the uncached verify's time goes, each layer measured in isolation on
 * one store of 100,000 keys (CPU µs per call, this process, after a warm-up): better-sqlite3's cheapest
 * statement (one primary-key `SELECT 1`), the verify's own statement (key and owner, 21 columns as one
 * JSON text), the store method (row to records), and the whole `ApiKeyVerifier.verify` with the cache off.
 * The differences say what is the library's and what is Keyward's (the uncached target).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { ApiKeyVerifier, DEFAULT_VERIFIER_OPTIONS } from "../../src/authn/verifier.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { bulkLoadKeys } from "../lib/bulk-keys.js";

const STORED = 100_000;
const PRESENTED = 10_000;
const CALLS = 200_000;

async function perCall(label: string, call: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < CALLS / 10; i++) await call(i);
  const start = cpuUsage();
  for (let i = 0; i < CALLS; i++) await call(i);
  const used = cpuUsage(start);
  console.log(`${label.padEnd(56)} ${((used.user + used.system) / CALLS).toFixed(2).padStart(6)} µs CPU per call`);
}

const dir = mkdtempSync(join(tmpdir(), "keyward-sqlite-floor-"));
try {
  const file = join(dir, "keyward.db");
  const store = openSqliteStore(file);
  const keys = bulkLoadKeys(store, { filler: STORED - PRESENTED, real: PRESENTED, keysPerUser: 100, batch: "f" });
  const ids = keys.map((key) => key.split(".")[1]!);
  // The store's own connection, so every layer reads through the same page cache.
  const db = store.database;
  const primaryKeyOnly = db.prepare("SELECT 1 FROM api_keys WHERE id = ?").raw(true);
  const keyWithOwner = db.prepare(API_KEY_SQL.findWithOwner).pluck(true);
  const verifier = new ApiKeyVerifier(store, { ...DEFAULT_VERIFIER_OPTIONS, cacheTtlMs: 0 });
  // Each layer twice, alternated: the first pass also warms the page cache.
  for (let pass = 1; pass <= 2; pass++) {
    console.log(`pass ${pass}: ${STORED.toLocaleString("en")} keys stored, ${PRESENTED.toLocaleString("en")} presented in turn, ${CALLS.toLocaleString("en")} calls each:`);
    await perCall("better-sqlite3: SELECT 1 by primary key (library floor)", (i) => primaryKeyOnly.get(ids[i % ids.length]));
    await perCall("better-sqlite3: the key+owner statement (one JSON text)", (i) => keyWithOwner.get(ids[i % ids.length]));
    await perCall("Store.findApiKeyWithOwner (the row to records)", (i) => store.findApiKeyWithOwner(ids[i % ids.length]!));
    await perCall("ApiKeyVerifier.verify, cache off (parse, read, SHA-256)", (i) => verifier.verify(keys[i % keys.length]!));
  }
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
