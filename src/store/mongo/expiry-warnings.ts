// Expiry warnings on MongoDB (ARCHITECTURE.md, "Events"): a marker per key, point and expiry, inserted
// with its `api_key.expiring` event in one transaction; the marker's unique id makes each warning once,
// whichever processes sweep at the same time.
import type { Collection, Db, Filter, MongoClient } from "mongodb";
import { apiKeyExpiring } from "../change-events.js";
import type { EventRecord, ExpiryPoint, ExpiryWarningStore } from "../store.js";
import { documentToApiKey, documentToUser, type ApiKeyDocument, type UserDocument } from "./documents.js";
import { mongoDriver } from "./driver.js";
import type { MongoOperations } from "./errors.js";
import { expiryWarningId, type ExpiryWarningDocument } from "./event-documents.js";
import type { MongoEventLog } from "./events.js";
import { API_KEYS, EXPIRY_WARNINGS, USERS } from "./indexes.js";
import { inTransaction } from "./transactions.js";

const DUPLICATE_KEY = 11000;

/** Keys read per round of the sweep, warned or not. */
const SWEEP_BATCH = 100;

/** Another process gave this warning first: its marker exists. */
class AlreadyWarned extends Error {
  override readonly name = "AlreadyWarned";
}

/** A candidate of the sweep: a key expiring within a point's lead time. */
type Candidate = Pick<ApiKeyDocument, "_id" | "expiresAt">;

/** The expiry warnings' slice of the Store. */
export class MongoExpiryWarnings implements ExpiryWarningStore {
  readonly #client: MongoClient;
  readonly #operations: MongoOperations;
  readonly #events: MongoEventLog;
  readonly #apiKeys: Collection<ApiKeyDocument>;
  readonly #users: Collection<UserDocument>;
  readonly #warnings: Collection<ExpiryWarningDocument>;

  constructor(client: MongoClient, db: Db, events: MongoEventLog, operations: MongoOperations) {
    this.#client = client;
    this.#operations = operations;
    this.#events = events;
    this.#apiKeys = db.collection<ApiKeyDocument>(API_KEYS);
    this.#users = db.collection<UserDocument>(USERS);
    this.#warnings = db.collection<ExpiryWarningDocument>(EXPIRY_WARNINGS);
  }

  async warnExpiringKeys(now: Date, points: readonly ExpiryPoint[], limit: number): Promise<EventRecord[]> {
    return this.#operations.run(undefined, async () => {
      const warned: EventRecord[] = [];
      for (const point of points) warned.push(...(await this.#warnAt(now, point, limit)));
      return warned;
    });
  }

  /**
   * Walks the keys expiring within `point`'s lead time in expiry order (api_keys_by_expiry), skipping
   * those whose marker exists, and warns up to `limit` of the others.
   */
  async #warnAt(now: Date, point: ExpiryPoint, limit: number): Promise<EventRecord[]> {
    const horizon = new Date(now.getTime() + point.leadMs);
    const warned: EventRecord[] = [];
    let after: Candidate | undefined;
    while (warned.length < limit) {
      const range: Filter<ApiKeyDocument> = { expiresAt: { $gt: now, $lte: horizon } };
      const page: Filter<ApiKeyDocument> = after ? { $and: [range, afterCandidate(after)] } : range;
      const candidates = await this.#apiKeys
        .find(page, { projection: { _id: 1, expiresAt: 1 } })
        .sort({ expiresAt: 1, _id: 1 })
        .limit(SWEEP_BATCH)
        .toArray();
      if (candidates.length === 0) break;
      const markers = candidates.map((key) => expiryWarningId(key._id, point.leadMs, key.expiresAt!));
      const given = new Set((await this.#warnings.find({ _id: { $in: markers } }, { projection: { _id: 1 } }).toArray()).map((doc) => doc._id));
      for (const key of candidates) {
        if (warned.length === limit) break;
        if (given.has(expiryWarningId(key._id, point.leadMs, key.expiresAt!))) continue;
        const event = await this.#warn(key._id, now, horizon, point);
        if (event) warned.push(event);
      }
      after = candidates.at(-1);
    }
    return warned;
  }

  /**
   * The marker and the event in one transaction, the key read again inside it: undefined when another
   * process gave the warning first, or the key left the range meanwhile.
   */
  async #warn(keyId: string, now: Date, horizon: Date, point: ExpiryPoint): Promise<EventRecord | undefined> {
    try {
      return await inTransaction(this.#client, async (session) => {
        const doc = await this.#apiKeys.findOne({ _id: keyId }, { session });
        const expiresAt = doc?.expiresAt;
        if (!doc || expiresAt == null || expiresAt <= now || expiresAt > horizon) return undefined;
        try {
          await this.#warnings.insertOne(
            { _id: expiryWarningId(keyId, point.leadMs, expiresAt), keyId, leadMs: point.leadMs, expiresAt, warnedAt: now },
            { session },
          );
        } catch (error) {
          if (error instanceof mongoDriver().MongoServerError && error.code === DUPLICATE_KEY) throw new AlreadyWarned(keyId, { cause: error });
          throw error;
        }
        const owner = await this.#users.findOne({ _id: doc.userId }, { session, projection: { passwordHash: 0 } });
        const event = apiKeyExpiring(documentToApiKey(doc), owner ? documentToUser(owner) : undefined, point.label, now);
        const [record] = await this.#events.append(session, [event]);
        return record;
      });
    } catch (error) {
      if (error instanceof AlreadyWarned) return undefined;
      throw error;
    }
  }
}

/** The keys after `key` in the sweep's order (expiry, then id). */
function afterCandidate(key: Candidate): Filter<ApiKeyDocument> {
  return { $or: [{ expiresAt: { $gt: key.expiresAt } }, { expiresAt: key.expiresAt, _id: { $gt: key._id } }] };
}
