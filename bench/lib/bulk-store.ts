/**
 * Bulk building of whole SQLite stores for the management-at-scale bench (`bench/management.ts`): users,
 * API keys and events, in one transaction through the adapter's own connection, SQL and row mapping
 * (`USER_SQL.insert`, `API_KEY_SQL.insert`, `EVENT_SQL.insert`, the `*ToRow` functions) and the event
 * chain's own `chainEvent`, so the rows are exactly what the store writes and the trail verifies.
 *
 * Rows go in ascending primary-key order (user ids, key ids spread over the id space as `fillerKey` makes
 * them, event seqs), so each clustered b-tree is filled by appending; keys are owned in ascending user
 * order, so the per-user index is filled in order too.
 */
import { randomBytes } from "node:crypto";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { userCreated } from "../../src/store/change-events.js";
import { ChainVerifier, chainEvent } from "../../src/store/event-chain.js";
import { API_KEY_SQL } from "../../src/store/sqlite/api-keys.js";
import { apiKeyToRow } from "../../src/store/sqlite/api-key-rows.js";
import { eventToRow } from "../../src/store/sqlite/event-rows.js";
import { EVENT_SQL } from "../../src/store/sqlite/events.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { userToRow } from "../../src/store/sqlite/user-rows.js";
import { USER_SQL } from "../../src/store/sqlite/users.js";
import type { UserRecord } from "../../src/store/store.js";
import { ID_LENGTH } from "../../src/keys/index.js";
import { addLoadKey, fillerKey } from "./bulk-keys.js";

/** What a built store holds. */
export interface StoreShape {
  readonly users: number;
  readonly keys: number;
  /** Keys of the first user ({@link busyUserId}); the others are spread one per user over the rest. */
  readonly keysOfOneUser: number;
  /** `user.create` events, spread evenly over the users, chained from the first. */
  readonly events: number;
}

/** The user holding {@link StoreShape.keysOfOneUser} keys. */
export const busyUserId = userIdOf(0);

/** The id of the `n`th bench user: fixed width, so ids ascend with `n`. */
export function userIdOf(n: number): string {
  return `scale-${String(n).padStart(7, "0")}`;
}

/** The id of the user all the events' actor is, and who owns the load key. */
export const LOAD_USER_ID = "bench-load";

/** Rate limit and usage credits of the load key: high, so no call is refused, but the meter runs. */
const LOAD_KEY_LIMITS = { rateLimit: { requests: 1_000_000_000, periodMs: 86_400_000 }, remainingUses: 1_000_000_000 };

/** The bench's two admin keys (`RIGHT_ALL`, as the bootstrap key). */
export interface LoadKeys {
  /** With a rate limit and usage credits, so the meter runs on every call it makes. */
  readonly metered: string;
  /** Without: a metered key may not create keys (API_KEY_METERED). */
  readonly plain: string;
}

/**
 * Builds a new store of `shape` at `file` (which must not exist) plus the bench's admin load keys, and
 * checks the event chain end to end.
 */
export async function buildStore(file: string, shape: StoreShape): Promise<LoadKeys> {
  if (shape.keysOfOneUser > shape.keys || (shape.keys > shape.keysOfOneUser && shape.users < 2)) {
    throw new RangeError("buildStore: the spread keys need users beside the busy one");
  }
  const store = openSqliteStore(file);
  try {
    const db = store.database;
    const insertUser = db.prepare(USER_SQL.insert);
    const insertKey = db.prepare(API_KEY_SQL.insert);
    const insertEvent = db.prepare(EVENT_SQL.insert);
    const moveHead = db.prepare(EVENT_SQL.moveHead);
    // Times descend as ids ascend, so the newest-first indexes (created_at DESC) are filled by appending too.
    const start = Date.now() - 60_000;
    const userAt = (u: number) => new Date(start - shape.keys - u);
    const user = (u: number): UserRecord => ({ userId: userIdOf(u), name: `Scale user ${u}`, email: "", admin: false, state: "active", createdAt: userAt(u), updatedAt: userAt(u) });
    const spread = shape.keys - shape.keysOfOneUser;
    const ownerOf = (i: number) => (i < shape.keysOfOneUser ? 0 : 1 + Math.floor(((i - shape.keysOfOneUser) * (shape.users - 1)) / spread));
    const random = randomBytes(64 * shape.keys);
    const codes = new Array<number>(ID_LENGTH);
    db.transaction(() => {
      for (let u = 0; u < shape.users; u++) insertUser.run(userToRow(user(u)));
      for (let i = 0; i < shape.keys; i++) {
        const key = fillerKey(i, shape.keys, random, codes);
        const at = new Date(start - i);
        insertKey.run(
          apiKeyToRow({ id: key.id, userId: userIdOf(ownerOf(i)), name: `scale key ${i}`, rights: [Right.USER_INFO], state: "active", secretHash: key.secretHash, createdAt: at, updatedAt: at }),
        );
      }
      let previous = { seq: 0, hash: "" };
      // Oldest first: the trail's times ascend with its seqs, as a real one's do.
      for (let e = 0; e < shape.events; e++) {
        const subject = user(shape.users - 1 - Math.floor((e * shape.users) / shape.events));
        const event = chainEvent({ ...userCreated(subject), time: subject.createdAt, actor: { userId: LOAD_USER_ID } }, previous.seq, previous.hash);
        insertEvent.run(eventToRow(event));
        previous = event;
      }
      moveHead.run(previous);
    })();
    const keys = { metered: addLoadKey(store, { ...LOAD_KEY_LIMITS, refilledAt: new Date() }), plain: addLoadKey(store) };
    await verifyChain(store, shape.events);
    db.pragma("wal_checkpoint(TRUNCATE)");
    return keys;
  } finally {
    await store.close();
  }
}

/** Walks the whole trail with the verifier `keyward events verify` uses; throws on a broken link. */
async function verifyChain(store: ReturnType<typeof openSqliteStore>, expected: number): Promise<void> {
  const verifier = new ChainVerifier(0, "");
  for (let after = 0; ; ) {
    const events = await store.readEvents(after, 10_000);
    if (events.length === 0) break;
    const broken = verifier.check(events);
    if (broken) throw new Error(`the built event chain breaks at ${broken.seq}: ${broken.detail}`);
    after = events.at(-1)!.seq;
  }
  if (verifier.checked !== expected) throw new Error(`the built event chain holds ${verifier.checked} events, not ${expected}`);
}
