// The events table (ARCHITECTURE.md, "Events"): appended to inside every other table's write transaction,
// chained by hash through the one-row event_chain head, read newest first by lists and oldest first by
// streams, pruned from the oldest end.
import { chainEvent } from "../event-chain.js";
import { decodeEventPageToken, eventListScope, fetchSize, toEventPage } from "../pagination.js";
import type { EventChainHead, EventFilter, EventListRequest, EventPage, EventRecord, EventStore, NewEvent } from "../store.js";
import type { SqliteDatabase } from "./connection.js";
import { runSqlite } from "./errors.js";
import { EVENT_COLUMNS, eventToRow, rowToEvent, type EventRow } from "./event-rows.js";
import type { QueueDeliveries } from "./deliveries.js";

/** Which index walks a read: the most selective filter given decides. */
type Driver = "apiKey" | "user" | "tenant" | "all";
type Order = "ASC" | "DESC";

// Every filter, with NULL switching one off; the driver's own condition is repeated, harmlessly.
const FILTER = `(@tenant_id IS NULL OR subject_tenant_id = @tenant_id)
  AND (@user_id IS NULL OR subject_user_id = @user_id OR actor_user_id = @user_id)
  AND (@api_key_id IS NULL OR subject_api_key_id = @api_key_id)
  AND (@type_prefix IS NULL OR substr(type, 1, length(@type_prefix)) = @type_prefix)
  AND (@since IS NULL OR time >= @since)
  AND seq > @after AND seq < @before`;

/**
 * A read of events in seq order. INDEXED BY pins the index the filter calls for: each holds the rowid
 * (seq) after its column, so an equality on it walks that subject's events in seq order, without a sort.
 * A user's events are those it is the subject or the actor of: two walks merged by the compound select.
 * Without a driving filter (every event, or only a type prefix) it walks the primary key.
 */
function eventQuery(driver: Driver, order: Order): string {
  const tail = `ORDER BY seq ${order} LIMIT @limit`;
  switch (driver) {
    case "apiKey":
      return `SELECT ${EVENT_COLUMNS} FROM events INDEXED BY events_by_subject_api_key
        WHERE subject_api_key_id = @api_key_id AND ${FILTER} ${tail}`;
    case "user":
      return `SELECT ${EVENT_COLUMNS} FROM events INDEXED BY events_by_subject_user WHERE subject_user_id = @user_id AND ${FILTER}
        UNION
        SELECT ${EVENT_COLUMNS} FROM events INDEXED BY events_by_actor_user WHERE actor_user_id = @user_id AND ${FILTER}
        ${tail}`;
    case "tenant":
      return `SELECT ${EVENT_COLUMNS} FROM events INDEXED BY events_by_subject_tenant
        WHERE subject_tenant_id = @tenant_id AND ${FILTER} ${tail}`;
    case "all":
      return `SELECT ${EVENT_COLUMNS} FROM events WHERE ${FILTER} ${tail}`;
  }
}

/** The events' SQL, exported so tests can EXPLAIN exactly what runs. */
export const EVENT_SQL = {
  insert: `INSERT INTO events (${EVENT_COLUMNS}) VALUES (@seq, @time, @type, @actor_user_id, @actor_api_key_id,
    @actor_session_id, @subject_tenant_id, @subject_user_id, @subject_api_key_id, @subject_session_id, @client_address,
    @client_user_agent, @changed, @reason, @count, @previous_hash, @hash)`,
  head: "SELECT seq, hash, pruned_through_seq, pruned_through_hash FROM event_chain WHERE id = 1",
  // The first event at or after a time, whatever the order of times: a list with `since` walks no further
  // back than it. Counted in the time index alone.
  firstSince: "SELECT min(seq) AS seq FROM events INDEXED BY events_by_time WHERE time >= ?",
  moveHead: "UPDATE event_chain SET seq = @seq, hash = @hash WHERE id = 1",
  // The oldest events (those after the anchor), to find the prefix of the chain that is old enough to go.
  oldest: "SELECT seq, time, hash FROM events WHERE seq > ? ORDER BY seq LIMIT ?",
  prune: "DELETE FROM events WHERE seq <= ?",
  moveAnchor: "UPDATE event_chain SET pruned_through_seq = @seq, pruned_through_hash = @hash WHERE id = 1",
  newestFirst: {
    apiKey: eventQuery("apiKey", "DESC"),
    user: eventQuery("user", "DESC"),
    tenant: eventQuery("tenant", "DESC"),
    all: eventQuery("all", "DESC"),
  },
  oldestFirst: {
    apiKey: eventQuery("apiKey", "ASC"),
    user: eventQuery("user", "ASC"),
    tenant: eventQuery("tenant", "ASC"),
    all: eventQuery("all", "ASC"),
  },
} as const;

/** The named parameters of {@link EVENT_SQL}'s reads. */
export interface EventQueryParams {
  tenant_id: string | null;
  user_id: string | null;
  api_key_id: string | null;
  type_prefix: string | null;
  since: number | null;
  after: number;
  before: number;
  limit: number;
}

interface HeadRow {
  seq: number;
  hash: string;
  pruned_through_seq: number;
  pruned_through_hash: string;
}

/** Appends one event in the chain; call it inside the transaction that makes the change it records. */
export type AppendEvent = (event: NewEvent) => EventRecord;

/**
 * The appender on `db`, for every table's write transactions: reads the chain head, places the event
 * after it, inserts it, moves the head and queues its deliveries. The caller's transaction is IMMEDIATE,
 * so the head is read under the write lock and two connections never place two events at one seq.
 */
export function eventAppender(db: SqliteDatabase, queueDeliveries: QueueDeliveries): AppendEvent {
  const head = db.prepare<[], HeadRow>(EVENT_SQL.head);
  const insert = db.prepare<EventRow>(EVENT_SQL.insert);
  const moveHead = db.prepare<{ seq: number; hash: string }>(EVENT_SQL.moveHead);
  return (event) => {
    const current = head.get();
    if (!current) throw new Error("the event chain's head row is missing");
    const row = eventToRow(chainEvent(event, current.seq, current.hash));
    insert.run(row);
    moveHead.run({ seq: row.seq, hash: row.hash });
    // Read back from the row, so the caller gets exactly what a later read returns.
    const stored = rowToEvent(row);
    queueDeliveries(stored);
    return stored;
  };
}

/** The events' slice of the Store: reads, the chain head, pruning and the appends that record no change. */
export class SqliteEvents implements EventStore {
  readonly #db: SqliteDatabase;
  readonly #head;
  readonly #oldest;
  readonly #prune;
  readonly #moveAnchor;
  readonly #newestFirst;
  readonly #oldestFirst;
  readonly #firstSince;
  readonly #listTransaction;
  readonly #appendTransaction;
  readonly #pruneTransaction;

  constructor(db: SqliteDatabase, appendEvent: AppendEvent) {
    this.#db = db;
    this.#head = db.prepare<[], HeadRow>(EVENT_SQL.head);
    this.#oldest = db.prepare<[number, number], { seq: number; time: number; hash: string }>(EVENT_SQL.oldest);
    this.#prune = db.prepare<[number]>(EVENT_SQL.prune);
    this.#moveAnchor = db.prepare<{ seq: number; hash: string }>(EVENT_SQL.moveAnchor);
    const prepareAll = (sql: Record<Driver, string>) => ({
      apiKey: db.prepare<EventQueryParams, EventRow>(sql.apiKey),
      user: db.prepare<EventQueryParams, EventRow>(sql.user),
      tenant: db.prepare<EventQueryParams, EventRow>(sql.tenant),
      all: db.prepare<EventQueryParams, EventRow>(sql.all),
    });
    this.#newestFirst = prepareAll(EVENT_SQL.newestFirst);
    this.#oldestFirst = prepareAll(EVENT_SQL.oldestFirst);
    this.#firstSince = db.prepare<[number], { seq: number | null }>(EVENT_SQL.firstSince);
    // One read transaction: the floor that `since` sets and the page come from the same snapshot.
    this.#listTransaction = db.transaction((request: EventListRequest) => this.#list(request));
    this.#appendTransaction = db.transaction((events: NewEvent[]) => events.map((event) => appendEvent(event)));
    // Only a prefix of the chain goes (an event newer than `before` stops it, whatever follows), so what
    // is kept always links to the anchor moved here in the same write.
    this.#pruneTransaction = db.transaction((before: number, limit: number): number => {
      let last: { seq: number; hash: string } | undefined;
      let count = 0;
      const anchor = this.#head.get()?.pruned_through_seq ?? 0;
      for (const row of this.#oldest.all(anchor, limit)) {
        if (row.time >= before) break;
        last = row;
        count++;
      }
      if (!last) return 0;
      this.#prune.run(last.seq);
      this.#moveAnchor.run({ seq: last.seq, hash: last.hash });
      return count;
    });
  }

  async appendEvents(events: NewEvent[]): Promise<EventRecord[]> {
    return runSqlite(this.#db, undefined, () => (events.length === 0 ? [] : this.#appendTransaction.immediate(events)));
  }

  async listEvents(request: EventListRequest): Promise<EventPage> {
    return runSqlite(this.#db, undefined, () => this.#listTransaction(request));
  }

  #list(request: EventListRequest): EventPage {
    const scope = eventListScope(request);
    const cursor = decodeEventPageToken(scope, request.pageToken);
    let after = request.afterSeq ?? 0;
    const since = request.since?.getTime() ?? null;
    if (since !== null) {
      // Without this floor, a list of the last hour that fills no page would walk the whole trail.
      const first = this.#firstSince.get(since)?.seq;
      if (first === null || first === undefined) return { items: [], nextPageToken: "" };
      after = Math.max(after, first - 1);
    }
    const params = queryParams(request, {
      after,
      before: Math.min(request.beforeSeq ?? Number.MAX_SAFE_INTEGER, cursor ?? Number.MAX_SAFE_INTEGER),
      since,
      limit: fetchSize(request.pageSize),
    });
    const rows = this.#newestFirst[driverOf(request)].all(params);
    return toEventPage(rows.map(rowToEvent), request.pageSize, scope);
  }

  async readEvents(after: number, limit: number, filter: EventFilter = {}): Promise<EventRecord[]> {
    return runSqlite(this.#db, undefined, () => {
      const params = queryParams(filter, { after, before: Number.MAX_SAFE_INTEGER, since: null, limit });
      return this.#oldestFirst[driverOf(filter)].all(params).map(rowToEvent);
    });
  }

  async eventChainHead(): Promise<EventChainHead> {
    return runSqlite(this.#db, undefined, () => {
      const row = this.#head.get();
      if (!row) throw new Error("the event chain's head row is missing");
      return { seq: row.seq, prunedThroughSeq: row.pruned_through_seq, prunedThroughHash: row.pruned_through_hash };
    });
  }

  /** IMMEDIATE, so two processes pruning at once delete each event once and move the anchor in order. */
  async pruneEvents(before: Date, limit: number): Promise<number> {
    return runSqlite(this.#db, undefined, () => this.#pruneTransaction.immediate(before.getTime(), limit));
  }
}

function driverOf(filter: EventFilter): Driver {
  if (filter.apiKeyId !== undefined) return "apiKey";
  if (filter.userId !== undefined) return "user";
  if (filter.tenantId !== undefined) return "tenant";
  return "all";
}

function queryParams(filter: EventFilter, bounds: Pick<EventQueryParams, "after" | "before" | "since" | "limit">): EventQueryParams {
  return {
    tenant_id: filter.tenantId ?? null,
    user_id: filter.userId ?? null,
    api_key_id: filter.apiKeyId ?? null,
    type_prefix: filter.typePrefix ?? null,
    ...bounds,
  };
}
