/**
 * `npm run bench:create-floor`: what creating a key costs in the SQLite store, and how much of it is
 * SQLite's own. On one store file (WAL, the server's settings), CPU µs per create of this process (every
 * thread), alternated rounds after a warm-up:
 * - the floor: the create's rows (the key, its event, the chain head's move) written by the store's own
 *   statements in one IMMEDIATE transaction, rows prepared beforehand, no Keyward code around them;
 * - `Store.createApiKey` (owner and cap read, key row, event chained by SHA-256, deliveries matched);
 * - key generation (id, secret, checksum, SHA-256 of the secret), which the service adds.
 * Then the pages one create writes to the WAL. The server's `CreateApiKey` adds the door, authorization
 * and the answer on top (`npm run bench:management` judges it against a GetAuthInfo).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuUsage } from "node:process";
import { generateKey, hashSecret } from "../../src/keys/index.js";
import { withEventContext } from "../../src/store/event-context.js";
import { apiKeyToRow } from "../../src/store/sqlite/api-key-rows.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { EVENT_SQL } from "../../src/store/sqlite/events.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { ApiKeyRecord } from "../../src/store/store.js";

const WARMUP = 1_000;
const CALLS = 3_000;
const ROUNDS = 3;
const USER = "bench-owner";
const LIMITS = { maxKeysPerUser: 10_000_000 };
const ACTOR = { actor: { userId: USER, apiKeyId: undefined }, client: { address: "127.0.0.1" } };

const dir = mkdtempSync(join(tmpdir(), "keyward-create-floor-"));
try {
  const store = openSqliteStore(join(dir, "keyward.db"));
  const db = store.database;
  const created = new Date();
  await store.createUser({ userId: USER, name: "bench", email: "", admin: false, state: "active", createdAt: created, updatedAt: created } as never);

  let serial = 0;
  const record = (id: string, secretHash: string): ApiKeyRecord =>
    ({ id, userId: USER, name: `key ${serial++}`, rights: [1], state: "active", secretHash, createdAt: created, updatedAt: created }) as ApiKeyRecord;

  const viaStore = async () => {
    const key = generateKey();
    await withEventContext(ACTOR as never, () => store.createApiKey(record(key.id, hashSecret(key.secret)), LIMITS));
  };

  const insertKey = db.prepare(API_KEY_SQL.insert);
  const insertEvent = db.prepare(EVENT_SQL.insert);
  const head = db.prepare<[], { seq: number }>(EVENT_SQL.head);
  const moveHead = db.prepare(EVENT_SQL.moveHead);
  const bareTransaction = db.transaction((keyRow: object, eventRow: Record<string, unknown>) => {
    const seq = head.get()!.seq + 1;
    insertKey.run(keyRow);
    insertEvent.run({ ...eventRow, seq });
    moveHead.run({ seq, hash: eventRow.hash });
  });
  /** The rows of `count` creates, made before the clock starts. */
  const bareRows = (count: number) =>
    Array.from({ length: count }, () => {
      const id = generateKey().id;
      const hash = randomBytes(32).toString("hex");
      const keyRow = apiKeyToRow(record(id, randomBytes(32).toString("base64url")));
      const eventRow = {
        time: created.getTime(), type: "api_key.created", actor_user_id: USER, actor_api_key_id: null, actor_session_id: null,
        subject_tenant_id: null, subject_user_id: USER, subject_api_key_id: id, subject_session_id: null,
        client_address: "127.0.0.1", client_user_agent: null, changed: '["name","rights","state"]', reason: null, count: 1,
        previous_hash: hash, hash,
      };
      return [keyRow, eventRow] as const;
    });

  async function perCall(label: string, run: (i: number) => unknown, prepare?: (count: number) => void): Promise<number> {
    prepare?.(CALLS);
    const start = cpuUsage();
    for (let i = 0; i < CALLS; i++) await run(i);
    const used = cpuUsage(start);
    const us = (used.user + used.system) / CALLS;
    console.log(`  ${label.padEnd(58)} ${us.toFixed(1).padStart(7)} µs CPU per create (${(used.system / CALLS).toFixed(1)} in the kernel)`);
    return us;
  }

  let rows: ReturnType<typeof bareRows> = [];
  for (let i = 0; i < WARMUP; i++) await viaStore();
  rows = bareRows(WARMUP);
  for (const [keyRow, eventRow] of rows) bareTransaction(keyRow, eventRow);

  console.log(`create-floor: one SQLite file, ${CALLS.toLocaleString("en")} creates a round, ${ROUNDS} rounds alternated`);
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}:`);
    await perCall("floor: the same rows, the store's statements, bare", (i) => bareTransaction(rows[i]![0], rows[i]![1]), (n) => (rows = bareRows(n)));
    await perCall("Store.createApiKey, key generation included", viaStore);
    await perCall("key generation alone (id, secret, SHA-256)", () => hashSecret(generateKey().secret));
  }

  // Pages one create writes: the WAL's frames over a run of creates with checkpoints held off.
  db.pragma("wal_checkpoint(TRUNCATE)");
  db.pragma("wal_autocheckpoint = 0");
  const counted = 200;
  for (let i = 0; i < counted; i++) await viaStore();
  // PASSIVE answers the frames the WAL holds; TRUNCATE would answer them after emptying it.
  const frames = (db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]!.log;
  console.log(`WAL pages written per create: ${(frames / counted).toFixed(1)} (${db.pragma("page_size", { simple: true })} bytes each)`);
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
