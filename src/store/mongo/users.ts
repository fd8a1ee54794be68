// Operations on the users collection.
import type { ClientSession, Collection, Db, Filter, MongoClient } from "mongodb";
import { passwordUpdated, userCreated, userDeleted, userUpdated } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { fetchSize, toPage, userListScope } from "../pagination.js";
import { checkPasswordRecord, checkUpdatedUser, checkUserRecord } from "../record-checks.js";
import { found, isActiveAdmin, lastActiveAdmin, notFound, tenantSubject, userSubject } from "../store-errors.js";
import type { EndSessions, Guard, Page, PasswordRecord, Updater, UserListRequest, UserRecord, UserStore } from "../store.js";
import {
  documentToUser,
  newUserDocument,
  userFields,
  type ApiKeyDocument,
  type GuardDocument,
  type SessionDocument,
  type TenantDocument,
  type UserDocument,
} from "./documents.js";
import { ACTIVE_ADMINS_GUARD, API_KEYS, GUARDS, SESSIONS, TENANTS, USERS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import { retryOnVersionChange } from "./optimistic-update.js";
import type { MongoOperations } from "./errors.js";
import type { MongoEventLog } from "./events.js";
import type { MongoRevocationLog } from "./revocations.js";
import { inTransaction } from "./transactions.js";

/** The users' slice of the Store: operations on the users collection. */
export class MongoUsers implements UserStore {
  readonly #client: MongoClient;
  readonly #users: Collection<UserDocument>;
  readonly #apiKeys: Collection<ApiKeyDocument>;
  readonly #revocations: MongoRevocationLog;
  readonly #events: MongoEventLog;
  readonly #operations: MongoOperations;
  readonly #guards: Collection<GuardDocument>;
  readonly #sessions: Collection<SessionDocument>;
  readonly #tenants: Collection<TenantDocument>;

  constructor(client: MongoClient, db: Db, revocations: MongoRevocationLog, events: MongoEventLog, operations: MongoOperations) {
    this.#operations = operations;
    this.#client = client;
    this.#revocations = revocations;
    this.#events = events;
    this.#users = db.collection<UserDocument>(USERS);
    this.#apiKeys = db.collection<ApiKeyDocument>(API_KEYS);
    this.#guards = db.collection<GuardDocument>(GUARDS);
    this.#sessions = db.collection<SessionDocument>(SESSIONS);
    this.#tenants = db.collection<TenantDocument>(TENANTS);
  }

  async createUser(user: UserRecord, password?: PasswordRecord): Promise<void> {
    return this.#operations.run(userSubject(user.userId), async () => {
      checkUserRecord(user);
      const doc = newUserDocument(user);
      if (password) {
        checkPasswordRecord(password);
        doc.passwordHash = password.hash;
        doc.passwordSetAt = password.setAt;
      }
      const { tenantId } = user;
      // The insert and its event in one transaction. A tenant user's tenant document is written in it
      // too, so a concurrent delete of the tenant (which writes that document first too) conflicts with
      // it, and whichever runs second sees the other's result (ARCHITECTURE.md, "Tenants"; tenants.ts).
      await inTransaction(this.#client, async (session) => {
        if (tenantId !== undefined) {
          const claimed = await this.#tenants.updateOne({ _id: tenantId }, { $inc: { guardWrites: 1 } }, { session });
          if (claimed.matchedCount === 0) throw notFound(tenantSubject(tenantId));
        }
        await this.#users.insertOne(doc, { session });
        await this.#events.appendOne(session, userCreated(documentToUser(doc)));
      });
    });
  }

  async getPassword(userId: string): Promise<PasswordRecord | undefined> {
    return this.#operations.run(userSubject(userId), async () => {
      const doc = await this.#users.findOne({ _id: userId }, { projection: { passwordHash: 1, passwordSetAt: 1 } });
      if (!doc) throw notFound(userSubject(userId));
      return doc.passwordHash != null && doc.passwordSetAt != null ? { hash: doc.passwordHash, setAt: doc.passwordSetAt } : undefined;
    });
  }

  /**
   * The password and, with `endSessions`, the sessions it ends, in one transaction. `guard` judges the user
   * as the write found it (the document before the write): a concurrent change of the user conflicts with
   * the write, and a refusal aborts the transaction.
   */
  async setPassword(userId: string, password: PasswordRecord, endSessions?: EndSessions, guard?: Guard<UserRecord>): Promise<void> {
    return this.#operations.run(userSubject(userId), async () => {
      checkPasswordRecord(password);
      await inTransaction(this.#client, async (session) => {
        const before = await this.#users.findOneAndUpdate(
          { _id: userId },
          { $set: { passwordHash: password.hash, passwordSetAt: password.setAt } },
          { session, returnDocument: "before", projection: { passwordHash: 0 } },
        );
        if (!before) throw notFound(userSubject(userId));
        guard?.(documentToUser(before));
        if (endSessions) {
          const filter: Filter<SessionDocument> = endSessions.except === undefined ? { userId } : { userId, _id: { $ne: endSessions.except } };
          await this.#sessions.deleteMany(filter, { session });
          // Other nodes drop the user's cached sessions (and keys, which they simply re-read).
          await this.#revocations.append(session, "user", userId);
        }
        await this.#events.appendOne(session, passwordUpdated(documentToUser(before)));
      });
    });
  }

  async getUser(userId: string): Promise<UserRecord> {
    return found(
      await this.#operations.run(userSubject(userId), async () => {
        const doc = await this.#users.findOne({ _id: userId });
        return doc ? documentToUser(doc) : undefined;
      }),
      userSubject(userId),
    );
  }

  async listUsers(request: UserListRequest): Promise<Page<UserRecord>> {
    return this.#operations.run(undefined, async () => {
      const { tenantId } = request;
      const scope = userListScope(tenantId);
      const after = decodePageToken(scope, request.pageToken);
      // One tenant's users come from users_by_tenant_newest_first, in the same order.
      const ofTenant: Filter<UserDocument> = tenantId === undefined ? {} : { tenantId };
      const filter: Filter<UserDocument> = after ? { ...ofTenant, ...afterSortKey(after) } : ofTenant;
      const [docs, total] = await Promise.all([
        this.#users.find(filter).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
        this.#users.countDocuments(ofTenant),
      ]);
      return toPage(docs.map(documentToUser), request.pageSize, total, scope, (user) => ({
        createdAt: user.createdAt,
        id: user.userId,
      }));
    });
  }

  /**
   * Read, apply the updater, then write only if `version` is still the one read; otherwise read again.
   * `$set` of the record's fields (not a replace) leaves `keyCount`, which key creates change concurrently
   * without bumping the version, untouched. The write, its revocation-feed entry and its event share a transaction.
   */
  async updateUser(userId: string, updater: Updater<UserRecord>): Promise<UserRecord> {
    return this.#operations.run(userSubject(userId), async () => {
      return retryOnVersionChange(userSubject(userId), () =>
        inTransaction(this.#client, async (session) => {
          const doc = await this.#users.findOne({ _id: userId }, { session });
          if (!doc) throw notFound(userSubject(userId));
          const current = documentToUser(doc);
          const next = updater(current);
          checkUpdatedUser(current, next);
          const written = await this.#writeVersion(doc, next, session);
          if (!written) return undefined;
          if (isActiveAdmin(current) && !isActiveAdmin(next)) await this.#keepAnActiveAdmin(userId, session);
          // Suspension ends the user's sessions in the same write (ARCHITECTURE.md, "Sessions and passwords").
          if (current.state !== "suspended" && next.state === "suspended") await this.#sessions.deleteMany({ userId }, { session });
          await this.#revocations.append(session, "user", userId);
          await this.#events.appendOne(session, userUpdated(current, written));
          return written;
        }),
      );
    });
  }

  /** Writes `next` if the document is still at the version read; undefined when it moved on. */
  async #writeVersion(doc: UserDocument, next: UserRecord, session: ClientSession): Promise<UserRecord | undefined> {
    const written = await this.#users.findOneAndUpdate(
      { _id: doc._id, version: doc.version },
      { $set: userFields(next), $inc: { version: 1 } },
      { returnDocument: "after", session },
    );
    return written ? documentToUser(written) : undefined;
  }

  /**
   * The last-admin guard, inside the transaction that just removed an active admin: it fails the
   * transaction when none is left. Counting alone would be write skew under snapshot isolation (two
   * transactions each demote one of the last two admins, each still counts the other); so every such
   * transaction also writes the one guard document, and two of them cannot both commit: the second gets
   * a write conflict, the driver runs it again, and the rerun counts the first one's result. (The feed's
   * counter document serializes these transactions too; the guard does not lean on that, so it holds
   * whatever the feed's numbering becomes.)
   */
  async #keepAnActiveAdmin(userId: string, session: ClientSession): Promise<void> {
    await this.#guards.updateOne({ _id: ACTIVE_ADMINS_GUARD }, { $inc: { writes: 1 } }, { session });
    if ((await this.#users.countDocuments(ACTIVE_SYSTEM_ADMINS, { session })) === 0) throw lastActiveAdmin(userId);
  }

  /**
   * Deletes the user, their keys and their sessions in one transaction, so no reader sees keys without an owner; `guard`
   * and the last-admin guard are decided in the same transaction.
   */
  async deleteUser(userId: string, guard?: Guard<UserRecord>): Promise<void> {
    return this.#operations.run(userSubject(userId), async () => {
      await inTransaction(this.#client, async (session) => {
        // A read and a delete in the transaction rather than findOneAndDelete: the same snapshot and write
        // conflict on MongoDB, one more round trip on a rare call, and MongoDB-compatible servers that
        // reject findAndModify's remove form (the test lane's stand-in does) run it too.
        const doc = await this.#users.findOne({ _id: userId }, { session });
        if (!doc) throw notFound(userSubject(userId));
        guard?.(documentToUser(doc));
        await this.#users.deleteOne({ _id: userId }, { session });
        await this.#apiKeys.deleteMany({ userId }, { session });
        await this.#sessions.deleteMany({ userId }, { session });
        if (isActiveAdmin(documentToUser(doc))) await this.#keepAnActiveAdmin(userId, session);
        await this.#revocations.append(session, "user", userId);
        // One event for the user: its keys and sessions go with it.
        await this.#events.appendOne(session, userDeleted(documentToUser(doc)));
      });
    });
  }

  async countActiveAdmins(): Promise<number> {
    return this.#operations.run(undefined, async () => {
      return this.#users.countDocuments(ACTIVE_SYSTEM_ADMINS);
    });
  }
}

/** The admins the last-admin guard keeps: active system admins (a tenant user has a `tenantId`). */
const ACTIVE_SYSTEM_ADMINS: Filter<UserDocument> = { admin: true, state: "active", tenantId: { $exists: false } };
