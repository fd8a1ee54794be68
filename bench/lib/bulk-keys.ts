/**
 * Fast bulk loading of users and API keys into a SQLite store, for the growth and memory measurements:
 * one transaction through the adapter's own connection, SQL and row mapping (`API_KEY_SQL.insert`,
 * `apiKeyToRow`, `USER_SQL.insert`), so the rows are exactly what the store writes.
 *
 * Only the keys the bench presents (`real`) are generated as real keys (random id, secret, SHA-256). The
 * `filler` keys just have to be there: their ids are spread evenly over the id space with random tails,
 * generated in ascending order, so the clustered primary-key b-tree is filled by appending (a million
 * random-order inserts into a WITHOUT ROWID table thrash SQLite's page cache), and their hashes are
 * random `sha256:` values, indistinguishable in storage. A million keys load in well under 30 s.
 */
import { randomBytes } from "node:crypto";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { generateKey, hashSecret, ID_LENGTH } from "../../src/keys/index.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { apiKeyToRow } from "../../src/store/sqlite/api-key-rows.js";
import type { SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { userToRow } from "../../src/store/sqlite/user-rows.js";
import { USER_SQL } from "../../src/store/sqlite/users.js";
import type { ApiKeyRecord } from "../../src/store/store.js";

/** Last-used time of the load key: a week ahead, see {@link addLoadKey}. */
const LOAD_KEY_LAST_USED_AHEAD_MS = 7 * 24 * 3600 * 1000;

export interface BulkLoad {
  /** Keys that are only stored. */
  readonly filler: number;
  /** Real keys, returned in full so the bench can present them. */
  readonly real: number;
  readonly keysPerUser: number;
  /** Users are named `bench-<batch>-<n>`, so several loads into one store do not collide. */
  readonly batch: string;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/** The first 4 characters (20 bits) of a filler id place it; the rest is random. */
const PLACE_BITS = 20;

/**
 * The `i`th of `count` filler keys: an id placed at `i / count` of the id space (so ids ascend with `i`)
 * with a random tail, and a random `sha256:` hash, both from `random` (64 bytes per key); `codes` is
 * scratch space of {@link ID_LENGTH} entries.
 */
export function fillerKey(i: number, count: number, random: Buffer, codes: number[]): { id: string; secretHash: string } {
  if (count > 2 ** PLACE_BITS) throw new RangeError("fillerKey: at most 2^20 filler keys per load");
  const place = Math.floor((i * 2 ** PLACE_BITS) / count);
  for (let c = 0; c < 4; c++) codes[c] = ALPHABET.charCodeAt((place >> (PLACE_BITS - 5 * (c + 1))) & 31);
  for (let c = 4; c < ID_LENGTH - 1; c++) codes[c] = ALPHABET.charCodeAt(random[64 * i + c]! & 31);
  // 24 bytes are 192 bits: the last of the 39 characters carries 2 bits, its low 3 bits are zero.
  codes[ID_LENGTH - 1] = ALPHABET.charCodeAt((random[64 * i + ID_LENGTH]! & 3) << 3);
  return { id: String.fromCharCode(...codes), secretHash: `sha256:${random.subarray(64 * i + 32, 64 * i + 64).toString("base64url")}` };
}

/** Adds the keys (and their owners) to `store` in one transaction; returns the full text of the real keys. */
export function bulkLoadKeys(store: SqliteStore, load: BulkLoad): string[] {
  if (load.filler > 2 ** PLACE_BITS) throw new RangeError("bulkLoadKeys: at most 2^20 filler keys per load");
  const db = store.database;
  const insertKey = db.prepare(API_KEY_SQL.insert);
  const insertUser = db.prepare(USER_SQL.insert);
  const now = Date.now();
  const userId = (n: number) => `bench-${load.batch}-${String(n).padStart(7, "0")}`;
  const keyRecord = (i: number, id: string, secretHash: string): ApiKeyRecord => ({
    id,
    userId: userId(Math.floor(i / load.keysPerUser)),
    name: `bench key ${i}`,
    rights: [Right.USER_INFO, Right.USER_SETTINGS_BASIC],
    state: "active",
    secretHash,
    createdAt: new Date(now + i),
    updatedAt: new Date(now + i),
  });

  const real = Array.from({ length: load.real }, () => generateKey());
  const random = randomBytes(64 * load.filler);
  const codes = new Array<number>(ID_LENGTH);
  db.transaction(() => {
    const users = Math.ceil((load.filler + load.real) / load.keysPerUser);
    for (let u = 0; u < users; u++) {
      const at = new Date(now);
      insertUser.run(userToRow({ userId: userId(u), name: `Bench user ${u}`, email: "", admin: false, state: "active", createdAt: at, updatedAt: at }));
    }
    for (let i = 0; i < load.filler; i++) {
      const filler = fillerKey(i, load.filler, random, codes);
      insertKey.run(apiKeyToRow(keyRecord(i, filler.id, filler.secretHash)));
    }
    real.forEach((key, j) => insertKey.run(apiKeyToRow(keyRecord(load.filler + j, key.id, hashSecret(key.secret)))));
  })();
  db.pragma("wal_checkpoint(TRUNCATE)");
  return real.map((key) => key.key);
}

/**
 * The key the load phases present: an admin's `RIGHT_ALL` key (like the bootstrap key), whose stored
 * `last_used_at` lies a week ahead. The usage recorder writes a key's use at most once a minute, and each
 * write changes the size of GetAuthInfo's answer (the timestamp's encoding), which would blur the byte
 * count h2load's error check relies on; with the stored time ahead, every call still runs the
 * recorder's per-call check, but no write changes the answer mid-run. `limits` meter it (a rate limit,
 * usage credits), so the meter's work is part of every call.
 */
export function addLoadKey(store: SqliteStore, limits: Pick<ApiKeyRecord, "rateLimit" | "remainingUses" | "refilledAt"> = {}): string {
  const db = store.database;
  const now = new Date();
  // A second load key joins the first's owner.
  if (db.prepare(USER_SQL.get).get("bench-load") === undefined) {
    db.prepare(USER_SQL.insert).run(
      userToRow({ userId: "bench-load", name: "Bench load", email: "", admin: true, state: "active", createdAt: now, updatedAt: now }),
    );
  }
  const key = generateKey();
  const record: ApiKeyRecord = {
    id: key.id,
    userId: "bench-load",
    name: "bench load key",
    rights: [Right.ALL],
    state: "active",
    secretHash: hashSecret(key.secret),
    createdAt: now,
    updatedAt: now,
    lastUsedAt: new Date(now.getTime() + LOAD_KEY_LAST_USED_AHEAD_MS),
    ...limits,
  };
  db.prepare(API_KEY_SQL.insert).run(apiKeyToRow(record));
  return key.key;
}
