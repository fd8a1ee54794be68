// Operations on the users collection.
import type { Collection, Db, Filter, MongoClient } from "mongodb";
import { decodePageToken } from "../page-token.js";
import { USER_LIST_SCOPE, fetchSize, toPage } from "../pagination.js";
import { checkUpdatedUser, checkUserRecord } from "../record-checks.js";
import { notFound, userSubject } from "../store-errors.js";
import type { Page, PageRequest, Updater, UserRecord } from "../store.js";
import { documentToUser, newUserDocument, userFields, type ApiKeyDocument, type UserDocument } from "./documents.js";
import { API_KEYS, USERS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import { retryOnVersionChange } from "./optimistic-update.js";
import type { MongoRevocations } from "./revocations.js";
import { inTransaction } from "./transactions.js";

/** User operations; the store wraps them in error translation. */
export class MongoUsers {
  readonly #client: MongoClient;
  readonly #users: Collection<UserDocument>;
  readonly #apiKeys: Collection<ApiKeyDocument>;
  readonly #revocations: MongoRevocations;

  constructor(client: MongoClient, db: Db, revocations: MongoRevocations) {
    this.#client = client;
    this.#revocations = revocations;
    this.#users = db.collection<UserDocument>(USERS);
    this.#apiKeys = db.collection<ApiKeyDocument>(API_KEYS);
  }

  async create(user: UserRecord): Promise<void> {
    checkUserRecord(user);
    await this.#users.insertOne(newUserDocument(user));
  }

  async get(userId: string): Promise<UserRecord | undefined> {
    const doc = await this.#users.findOne({ _id: userId });
    return doc ? documentToUser(doc) : undefined;
  }

  async list(request: PageRequest): Promise<Page<UserRecord>> {
    const after = decodePageToken(USER_LIST_SCOPE, request.pageToken);
    const filter: Filter<UserDocument> = after ? afterSortKey(after) : {};
    const [docs, total] = await Promise.all([
      this.#users.find(filter).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
      this.#users.countDocuments({}),
    ]);
    return toPage(docs.map(documentToUser), request.pageSize, total, USER_LIST_SCOPE, (user) => ({
      createdAt: user.createdAt,
      id: user.userId,
    }));
  }

  /**
   * Read, apply the updater, then write only if `version` is still the one read; otherwise read again.
   * `$set` of the record's fields (not a replace) leaves `keyCount`, which key creates change concurrently
   * without bumping the version, untouched. The write and its revocation-feed entry share a transaction.
   */
  async update(userId: string, updater: Updater<UserRecord>): Promise<UserRecord> {
    return retryOnVersionChange(userSubject(userId), () =>
      inTransaction(this.#client, async (session) => {
        const doc = await this.#users.findOne({ _id: userId }, { session });
        if (!doc) throw notFound(userSubject(userId));
        const current = documentToUser(doc);
        const next = updater(current);
        checkUpdatedUser(current, next);
        const written = await this.#users.findOneAndUpdate(
          { _id: userId, version: doc.version },
          { $set: userFields(next), $inc: { version: 1 } },
          { session, returnDocument: "after" },
        );
        if (!written) return undefined;
        await this.#revocations.append(session, "user", userId);
        return documentToUser(written);
      }),
    );
  }

  /** Deletes the user and their keys in one transaction, so no reader sees keys without an owner. */
  async delete(userId: string): Promise<void> {
    await inTransaction(this.#client, async (session) => {
      const removed = await this.#users.deleteOne({ _id: userId }, { session });
      if (removed.deletedCount === 0) throw notFound(userSubject(userId));
      await this.#apiKeys.deleteMany({ userId }, { session });
      await this.#revocations.append(session, "user", userId);
    });
  }

  async countActiveAdmins(): Promise<number> {
    return this.#users.countDocuments({ admin: true, state: "active" });
  }
}
