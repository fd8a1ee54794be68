// Operations on the api_keys collection.
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, MongoClient, UpdateFilter } from "mongodb";
import { apiKeyCreated, apiKeyDeleted, apiKeyUpdated } from "../change-events.js";
import { apiKeyFilterOf, type ApiKeyFilter } from "../name-search.js";
import { decodePageToken } from "../page-token.js";
import { apiKeyListScope, fetchSize, toPage } from "../pagination.js";
import { checkApiKeyRecord, checkUpdatedApiKey, checkUsesLease } from "../record-checks.js";
import { apiKeySubject, found, keyLimitReached, notFound, userSubject } from "../store-errors.js";
import { creditsAt, leaseOf, settleUsageEpoch } from "../usage-credits.js";
import type { ApiKeyLimits, ApiKeyStore, ApiKeyListRequest, ApiKeyRecord, ApiKeyUse, ApiKeyWithOwner, Guard, KeyUpdater, Page, UserRecord, UsesLease } from "../store.js";
import {
  apiKeyToDocument,
  documentToApiKey,
  documentToApiKeyWithOwner,
  documentToUser,
  type ApiKeyDocument,
  type ApiKeyWithOwnerDocument,
  type UserDocument,
} from "./documents.js";
import { API_KEYS, USERS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import { retryOnVersionChange } from "./optimistic-update.js";
import type { MongoOperations } from "./errors.js";
import type { MongoEventLog } from "./events.js";
import { literalPattern } from "./literal-pattern.js";
import type { MongoRevocationLog } from "./revocations.js";
import { inTransaction } from "./transactions.js";

/** The fields a lease reads. */
const CREDIT_FIELDS = { remainingUses: 1, refill: 1, refilledAt: 1 } as const;

/**
 * Attempts of a take before it gives up with `conflict`: more than an update's, as every server leasing
 * from a busy key contends for its one document.
 */
const MAX_TAKE_ATTEMPTS = 50;

/** The API keys' slice of the Store: operations on the api_keys collection. */
export class MongoApiKeys implements ApiKeyStore {
  readonly #client: MongoClient;
  readonly #users: Collection<UserDocument>;
  readonly #apiKeys: Collection<ApiKeyDocument>;
  readonly #revocations: MongoRevocationLog;
  readonly #events: MongoEventLog;
  readonly #operations: MongoOperations;

  constructor(client: MongoClient, db: Db, revocations: MongoRevocationLog, events: MongoEventLog, operations: MongoOperations) {
    this.#operations = operations;
    this.#client = client;
    this.#revocations = revocations;
    this.#events = events;
    this.#users = db.collection<UserDocument>(USERS);
    this.#apiKeys = db.collection<ApiKeyDocument>(API_KEYS);
  }

  /**
   * Claims a slot on the owner's `keyCount` and inserts the key, in one transaction.
   *
   * Why this holds the cap on a replica set: the claim is a conditional `$inc` on the owner's document
   * (`keyCount < max`), and a document write is atomic. Two concurrent transactions both writing that
   * document cannot both commit: the second gets a WriteConflict, the driver retries it, and the retry
   * sees the first one's count. Counting key documents instead would let both count 9 of 10 and both
   * insert (write skew under snapshot isolation). The transaction makes the claim and the insert one
   * unit: a duplicate key id, or a crash in between, leaves no claimed slot behind.
   *
   * `guard` judges the owner as the claim found it; the claim wrote the owner's document, so a concurrent
   * change of the owner conflicts with it, and a refusal aborts the transaction with the claim.
   */
  async createApiKey(key: ApiKeyRecord, limits: ApiKeyLimits, guard?: Guard<UserRecord>): Promise<void> {
    return this.#operations.run(apiKeySubject(key.id), async () => {
      key = settleUsageEpoch(undefined, key, key.createdAt);
      checkApiKeyRecord(key);
      await inTransaction(this.#client, async (session) => {
        const claimed = await this.#users.findOneAndUpdate(
          { _id: key.userId, keyCount: { $lt: limits.maxKeysPerUser } },
          { $inc: { keyCount: 1 } },
          { session, returnDocument: "before", projection: { passwordHash: 0 } },
        );
        if (!claimed) {
          const owner = await this.#users.findOne({ _id: key.userId }, { session, projection: { passwordHash: 0 } });
          if (!owner) throw notFound(userSubject(key.userId));
          guard?.(documentToUser(owner));
          throw keyLimitReached(key.userId, limits.maxKeysPerUser);
        }
        const owner = documentToUser(claimed);
        guard?.(owner);
        await this.#apiKeys.insertOne(apiKeyToDocument(key, 0), { session });
        await this.#events.appendOne(session, apiKeyCreated(key, owner));
      });
    });
  }

  async findApiKey(keyId: string): Promise<ApiKeyRecord | undefined> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      const doc = await this.#apiKeys.findOne({ _id: keyId });
      return doc ? documentToApiKey(doc) : undefined;
    });
  }

  /** One round trip: the key by `_id`, its owner joined in by `$lookup` on the users' `_id`. */
  async findApiKeyWithOwner(keyId: string): Promise<ApiKeyWithOwner | undefined> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      const [doc] = await this.#apiKeys.aggregate<ApiKeyWithOwnerDocument>(keyWithOwnerPipeline(keyId)).toArray();
      return doc && documentToApiKeyWithOwner(doc);
    });
  }

  async getApiKey(userId: string, keyId: string): Promise<ApiKeyRecord> {
    return found(
      await this.#operations.run(apiKeySubject(keyId), async () => {
        const doc = await this.#apiKeys.findOne({ _id: keyId, userId });
        return doc ? documentToApiKey(doc) : undefined;
      }),
      apiKeySubject(keyId),
    );
  }

  async listApiKeys(userId: string, request: ApiKeyListRequest): Promise<Page<ApiKeyRecord>> {
    return this.#operations.run(undefined, async () => {
      const filter = apiKeyFilterOf(request);
      const scope = apiKeyListScope(userId, filter);
      const after = decodePageToken(scope, request.pageToken);
      const matching = matchingFilter(userId, filter);
      const page: Filter<ApiKeyDocument> = after ? { $and: [matching, afterSortKey(after)] } : matching;
      const [docs, total] = await Promise.all([
        this.#apiKeys.find(page).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
        this.#apiKeys.countDocuments(matching),
      ]);
      return toPage(docs.map(documentToApiKey), request.pageSize, total, scope, (k) => k);
    });
  }

  /**
   * Read the key and its owner, apply the updater, then replace only if `version` is still the one read;
   * otherwise read again. The write and its revocation-feed entry share a transaction. The owner comes from
   * the transaction's snapshot; what the updater judges by it (which rights the owner may hold) is checked
   * again on every call, as effective rights are always cut to the owner's universe at call time.
   */
  async updateApiKey(userId: string, keyId: string, updater: KeyUpdater): Promise<ApiKeyRecord> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      return retryOnVersionChange(apiKeySubject(keyId), () =>
        inTransaction(this.#client, async (session) => {
          const doc = await this.#apiKeys.findOne({ _id: keyId, userId }, { session });
          if (!doc) throw notFound(apiKeySubject(keyId));
          const owner = await this.#users.findOne({ _id: userId }, { session, projection: { passwordHash: 0 } });
          if (!owner) throw notFound(userSubject(userId));
          const current = documentToApiKey(doc);
          const next = settleUsageEpoch(current, updater(current, documentToUser(owner)), new Date());
          checkUpdatedApiKey(current, next);
          const written = await this.#apiKeys.findOneAndReplace(
            { _id: keyId, userId, version: doc.version },
            apiKeyToDocument(next, doc.version + 1),
            { session, returnDocument: "after" },
          );
          if (!written) return undefined;
          const updated = documentToApiKey(written);
          await this.#revocations.append(session, "api_key", keyId);
          await this.#events.appendOne(session, apiKeyUpdated(current, updated, documentToUser(owner)));
          return updated;
        }),
      );
    });
  }

  /**
   * Reads the key, lets `guard` judge it, deletes it and releases its slot on the owner's `keyCount`, in
   * one transaction: a concurrent change to the key conflicts with the delete, so the guard always judges
   * the version that is deleted.
   */
  async deleteApiKey(userId: string, keyId: string, guard?: Guard<ApiKeyRecord>): Promise<void> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      await inTransaction(this.#client, async (session) => {
        const doc = await this.#apiKeys.findOne({ _id: keyId, userId }, { session });
        if (!doc) throw notFound(apiKeySubject(keyId));
        const key = documentToApiKey(doc);
        guard?.(key);
        const removed = await this.#apiKeys.deleteOne({ _id: keyId, userId, version: doc.version }, { session });
        if (removed.deletedCount === 0) throw notFound(apiKeySubject(keyId));
        const owner = await this.#users.findOneAndUpdate(
          { _id: userId },
          { $inc: { keyCount: -1 } },
          { session, returnDocument: "after", projection: { passwordHash: 0 } },
        );
        await this.#revocations.append(session, "api_key", keyId);
        await this.#events.appendOne(session, apiKeyDeleted(key, owner ? documentToUser(owner) : undefined));
      });
    });
  }

  async countApiKeys(userId: string): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return this.#apiKeys.countDocuments({ userId });
    });
  }

  /**
   * Compare-and-set, no transaction: read the key, apply `creditsAt`, then write only if the document still
   * holds the count read. Without a refill due, the write is a conditional `$inc` that holds whatever
   * other takes did in between (`remainingUses >= granted` in the same epoch), so concurrent takes rarely
   * read again; a due refill is written only over the exact count and epoch read. Each write bumps
   * `version`, so an update racing with it re-reads instead of writing back the count it read.
   */
  async takeApiKeyUses(keyId: string, want: number, now: Date): Promise<UsesLease | undefined> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      checkUsesLease("want", want, "now", now);
      const outcome = await retryOnVersionChange(
        apiKeySubject(keyId),
        async () => {
          const doc = await this.#apiKeys.findOne({ _id: keyId }, { projection: CREDIT_FIELDS });
          if (doc === null) return { lease: undefined };
          const credits = creditsAt(documentToCredits(doc), now);
          if (credits === undefined) return { lease: undefined };
          const granted = Math.min(want, credits.remaining);
          const refilled = credits.refilledAt.getTime() !== doc.refilledAt?.getTime();
          if (refilled) {
            const written = await this.#apiKeys.updateOne(
              { _id: keyId, remainingUses: doc.remainingUses, refilledAt: doc.refilledAt },
              { $set: { remainingUses: credits.remaining - granted, refilledAt: credits.refilledAt }, $inc: { version: 1 } },
            );
            return written.matchedCount === 1 ? { lease: leaseOf(granted, credits.remaining - granted, credits) } : undefined;
          }
          if (granted === 0) return { lease: leaseOf(0, credits.remaining, credits) };
          const written = await this.#apiKeys.findOneAndUpdate(
            { _id: keyId, refilledAt: credits.refilledAt, remainingUses: { $gte: granted } },
            { $inc: { remainingUses: -granted, version: 1 } },
            { returnDocument: "after", projection: CREDIT_FIELDS },
          );
          return written?.remainingUses == null ? undefined : { lease: leaseOf(granted, written.remainingUses, credits) };
        },
        MAX_TAKE_ATTEMPTS,
      );
      return outcome.lease;
    });
  }

  /** One conditional `$inc`: the uses go back only while `refilledAt` is still the lease's epoch. */
  async returnApiKeyUses(keyId: string, count: number, epoch: Date): Promise<boolean> {
    return this.#operations.run(apiKeySubject(keyId), async () => {
      checkUsesLease("count", count, "epoch", epoch);
      const written = await this.#apiKeys.updateOne(
        { _id: keyId, refilledAt: epoch, remainingUses: { $exists: true } },
        { $inc: { remainingUses: count, version: 1 } },
      );
      return written.matchedCount === 1;
    });
  }

  /**
   * One unordered bulk write; each update applies only if it moves `lastUsedAt` forward. It bumps
   * `version` so that an update racing with it re-reads instead of writing back the old `lastUsedAt`.
   */
  async recordApiKeyUse(uses: ApiKeyUse[]): Promise<void> {
    return this.#operations.run(undefined, async () => {
      if (uses.length === 0) return;
      const writes: AnyBulkWriteOperation<ApiKeyDocument>[] = uses.map((use) => ({
        updateOne: {
          filter: { _id: use.id, $or: [{ lastUsedAt: { $exists: false } }, { lastUsedAt: { $lt: use.at } }] },
          update: useUpdate(use),
        },
      }));
      await this.#apiKeys.bulkWrite(writes, { ordered: false });
    });
  }
}

/**
 * The pipeline of {@link MongoApiKeys.findApiKeyWithOwner}. The driver types no pipeline stages, so the field
 * names are checked here against the document types instead.
 */
export function keyWithOwnerPipeline(keyId: string): Document[] {
  const match: Filter<ApiKeyDocument> = { _id: keyId };
  const lookup = {
    from: USERS,
    localField: "userId" satisfies keyof ApiKeyDocument,
    foreignField: "_id" satisfies keyof UserDocument,
    as: "owner" satisfies Exclude<keyof ApiKeyWithOwnerDocument, keyof ApiKeyDocument>,
  };
  return [{ $match: match }, { $lookup: lookup }];
}

/** The documents a key list shows, before the page cursor. */
function matchingFilter(userId: string, filter: ApiKeyFilter): Filter<ApiKeyDocument> {
  const matching: Filter<ApiKeyDocument> = { userId };
  if (filter.state !== undefined) matching.state = filter.state;
  if (filter.nameContains !== undefined) {
    // A plain substring test on the folded name: a regex of the escaped query matches it literally. Chosen
    // over `$expr` with `$indexOfCP` (same cost: neither can use an index beyond the userId prefix) because
    // more MongoDB-compatible servers support `$regex`, among them the test lane's stand-in.
    matching.nameFolded = { $regex: literalPattern(filter.nameContains) };
  }
  return matching;
}

/** Sets the use's time and client; a client field the use lacks is unset, so an old address never sits beside a newer time. */
function useUpdate(use: ApiKeyUse): UpdateFilter<ApiKeyDocument> {
  const set: Partial<ApiKeyDocument> = { lastUsedAt: use.at };
  const unset: Partial<Record<"lastUsedIp" | "lastUsedUserAgent", "">> = {};
  if (use.ip === undefined) unset.lastUsedIp = "";
  else set.lastUsedIp = use.ip;
  if (use.userAgent === undefined) unset.lastUsedUserAgent = "";
  else set.lastUsedUserAgent = use.userAgent;
  const update: UpdateFilter<ApiKeyDocument> = { $set: set, $inc: { version: 1 } };
  if (Object.keys(unset).length > 0) update.$unset = unset;
  return update;
}

/** The credit fields of a document, as `creditsAt` reads them. A null written by another tool reads as absent. */
function documentToCredits(doc: Pick<ApiKeyDocument, "remainingUses" | "refill" | "refilledAt">): Pick<ApiKeyRecord, "remainingUses" | "refill" | "refilledAt"> {
  const credits: Pick<ApiKeyRecord, "remainingUses" | "refill" | "refilledAt"> = {};
  if (doc.remainingUses != null) credits.remainingUses = doc.remainingUses;
  if (doc.refill != null) credits.refill = doc.refill;
  if (doc.refilledAt != null) credits.refilledAt = doc.refilledAt;
  return credits;
}
