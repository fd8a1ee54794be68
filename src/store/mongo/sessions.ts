// Operations on the sessions collection.
import type { AnyBulkWriteOperation, Collection, Db, Document, Filter, MongoClient } from "mongodb";
import { sessionCreated, sessionDeleted } from "../change-events.js";
import { decodePageToken } from "../page-token.js";
import { fetchSize, sessionListScope, toPage } from "../pagination.js";
import { checkSessionRecord } from "../record-checks.js";
import { notFound, sessionSubject, userSubject } from "../store-errors.js";
import type { ApiKeyUse, Guard, LiveSessions, Page, SessionListRequest, SessionRecord, SessionStore, SessionWithOwner, UserRecord } from "../store.js";
import {
  documentToSession,
  documentToSessionWithOwner,
  documentToUser,
  sessionToDocument,
  type SessionDocument,
  type SessionWithOwnerDocument,
  type UserDocument,
} from "./documents.js";
import { SESSIONS, USERS } from "./indexes.js";
import { NEWEST_FIRST, afterSortKey } from "./keyset.js";
import type { MongoOperations } from "./errors.js";
import type { MongoEventLog } from "./events.js";
import type { MongoRevocationLog } from "./revocations.js";
import { inTransaction } from "./transactions.js";

/** The sessions' slice of the Store: operations on the sessions collection. */
export class MongoSessions implements SessionStore {
  readonly #client: MongoClient;
  readonly #revocations: MongoRevocationLog;
  readonly #events: MongoEventLog;
  readonly #operations: MongoOperations;
  readonly #users: Collection<UserDocument>;
  readonly #sessions: Collection<SessionDocument>;

  constructor(client: MongoClient, db: Db, revocations: MongoRevocationLog, events: MongoEventLog, operations: MongoOperations) {
    this.#operations = operations;
    this.#client = client;
    this.#revocations = revocations;
    this.#events = events;
    this.#users = db.collection<UserDocument>(USERS);
    this.#sessions = db.collection<SessionDocument>(SESSIONS);
  }

  /**
   * Inserts the session after checking that its user exists, with its event, in one transaction. The
   * user is only read: a user deleted meanwhile may leave a session without a user, which authenticates
   * no one (the lookup needs the user) and which nothing lists.
   */
  async createSession(session: SessionRecord): Promise<void> {
    return this.#operations.run(sessionSubject(session.id), async () => {
      checkSessionRecord(session);
      await inTransaction(this.#client, async (transaction) => {
        const owner = await this.#users.findOne({ _id: session.userId }, { session: transaction, projection: { passwordHash: 0 } });
        if (!owner) throw notFound(userSubject(session.userId));
        await this.#sessions.insertOne(sessionToDocument(session), { session: transaction });
        await this.#events.appendOne(transaction, sessionCreated(session, documentToUser(owner)));
      });
    });
  }

  /** One round trip: the session by `_id`, its user joined in by `$lookup`, without the password hash. */
  async findSessionWithOwner(sessionId: string): Promise<SessionWithOwner | undefined> {
    return this.#operations.run(sessionSubject(sessionId), async () => {
      const [doc] = await this.#sessions.aggregate<SessionWithOwnerDocument>(sessionWithOwnerPipeline(sessionId)).toArray();
      return doc && documentToSessionWithOwner(doc);
    });
  }

  async listSessions(userId: string, request: SessionListRequest): Promise<Page<SessionRecord>> {
    return this.#operations.run(undefined, async () => {
      const scope = sessionListScope(userId);
      const after = decodePageToken(scope, request.pageToken);
      const matching = liveFilter(userId, request.live);
      const page: Filter<SessionDocument> = after ? { $and: [matching, afterSortKey(after)] } : matching;
      const [docs, total] = await Promise.all([
        this.#sessions.find(page).sort(NEWEST_FIRST).limit(fetchSize(request.pageSize)).toArray(),
        this.#sessions.countDocuments(matching),
      ]);
      return toPage(docs.map(documentToSession), request.pageSize, total, scope, (s) => s);
    });
  }

  /**
   * The delete and its feed entry share a transaction: other nodes forget the session when it is gone.
   * `guard` judges the user in the transaction's snapshot, before the session is looked at, so a refused
   * caller learns nothing of the user's sessions.
   */
  async deleteSession(userId: string, sessionId: string, guard?: Guard<UserRecord>): Promise<void> {
    return this.#operations.run(sessionSubject(sessionId), async () => {
      await inTransaction(this.#client, async (session) => {
        const owner = await this.#users.findOne({ _id: userId }, { session, projection: { passwordHash: 0 } });
        if (!owner) throw notFound(userSubject(userId));
        const user = documentToUser(owner);
        guard?.(user);
        const removed = await this.#sessions.deleteOne({ _id: sessionId, userId }, { session });
        if (removed.deletedCount === 0) throw notFound(sessionSubject(sessionId));
        await this.#revocations.append(session, "session", sessionId);
        await this.#events.appendOne(session, sessionDeleted({ id: sessionId, userId }, user));
      });
    });
  }

  async pruneSessions(userId: string, live: LiveSessions): Promise<number> {
    return this.#operations.run(undefined, async () => {
      const removed = await this.#sessions.deleteMany({
        userId,
        $or: [{ lastUsedAt: { $lt: live.usedSince } }, { expiresAt: { $lte: live.expiresAfter } }],
      });
      return removed.deletedCount;
    });
  }

  /** One unordered bulk write; each update applies only if it moves `lastUsedAt` forward. */
  async recordSessionUse(uses: ApiKeyUse[]): Promise<void> {
    return this.#operations.run(undefined, async () => {
      if (uses.length === 0) return;
      const writes: AnyBulkWriteOperation<SessionDocument>[] = uses.map((use) => ({
        updateOne: { filter: { _id: use.id, lastUsedAt: { $lt: use.at } }, update: { $set: { lastUsedAt: use.at } } },
      }));
      await this.#sessions.bulkWrite(writes, { ordered: false });
    });
  }
}

function liveFilter(userId: string, live: LiveSessions): Filter<SessionDocument> {
  return { userId, lastUsedAt: { $gte: live.usedSince }, expiresAt: { $gt: live.expiresAfter } };
}

/** The pipeline of {@link MongoSessions.findSessionWithOwner}; the user's password hash is left out. */
function sessionWithOwnerPipeline(sessionId: string): Document[] {
  const match: Filter<SessionDocument> = { _id: sessionId };
  const lookup = {
    from: USERS,
    localField: "userId" satisfies keyof SessionDocument,
    foreignField: "_id" satisfies keyof UserDocument,
    pipeline: [{ $project: { ["passwordHash" satisfies keyof UserDocument]: 0 } }],
    as: "owner" satisfies Exclude<keyof SessionWithOwnerDocument, keyof SessionDocument>,
  };
  return [{ $match: match }, { $lookup: lookup }];
}
