// The scale-out Store: MongoDB through the official driver. Needs a replica set (or sharded cluster)
// because cascade deletes and the key cap use multi-document transactions.
import type { Db, MongoClient } from "mongodb";
import { composeStore } from "../compose-store.js";
import { unavailable } from "../store-errors.js";
import { StoreError, isStoreError, type Store } from "../store.js";
import { MongoApiKeys } from "./api-keys.js";
import { MongoAttemptCounters, ensureAttemptCounters } from "./attempt-counters.js";
import { createClient, databaseNameFromUrl, requireTransactions } from "./connection.js";
import { MongoDeliveries } from "./deliveries.js";
import { MongoOperations, translateMongoError } from "./errors.js";
import { MongoEventLog, MongoEvents, ensureEventChain } from "./events.js";
import { MongoExpiryWarnings } from "./expiry-warnings.js";
import { ensureGuards, ensureIndexes } from "./indexes.js";
import { MongoRevocationLog, MongoRevocations, ensureRevocationFeed } from "./revocations.js";
import { MongoSessions } from "./sessions.js";
import { MongoTenants } from "./tenants.js";
import { MongoUsers } from "./users.js";
import { MongoWebhooks } from "./webhooks.js";

/** Options for {@link openMongoStore}. */
export interface MongoStoreOptions {
  /** Overrides the database named in the URL (default `keyward`). */
  databaseName?: string;
}

/**
 * Connects to `url` (`mongodb://` or `mongodb+srv://`), checks that the deployment supports transactions
 * and creates the indexes. Rejects with `unavailable` when the deployment is unreachable or standalone,
 * and with `invalid_argument` when the URL is malformed.
 */
export async function openMongoStore(url: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
  const client = clientFor(url);
  try {
    await client.connect();
    await requireTransactions(client);
    const db = client.db(options.databaseName ?? databaseNameFromUrl(url));
    await ensureIndexes(db);
    await ensureGuards(db);
    await ensureRevocationFeed(db);
    await ensureAttemptCounters(db);
    await ensureEventChain(db);
    return mongoStore(client, db);
  } catch (error) {
    await client.close().catch(() => undefined);
    const translated = translateMongoError(error, undefined);
    // Whatever else stops us from connecting (DNS, TLS, authentication) is also "not now".
    throw isStoreError(translated) ? translated : unavailable(`cannot connect to MongoDB: ${messageOf(error)}`, error);
  }
}

/** A client for `url`; the driver validates the URL here, so every failure is a configuration error. */
function clientFor(url: string): MongoClient {
  try {
    return createClient(url);
  } catch (error) {
    throw new StoreError("invalid_argument", `invalid MongoDB URL: ${messageOf(error)}`, { cause: error });
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A {@link Store} on one MongoDB database. Open it with {@link openMongoStore}. */
export interface MongoStore extends Store {
  /** The database, for tests and diagnostics. */
  readonly database: Db;
}

/**
 * The store on `db`, composed of one part per kind of record, sharing one open/closed state, one feed
 * and one event chain.
 */
function mongoStore(client: MongoClient, db: Db): MongoStore {
  const operations = new MongoOperations();
  const log = new MongoRevocationLog(db);
  const events = new MongoEventLog(db);
  const store = composeStore(
    [
      new MongoUsers(client, db, log, events, operations),
      new MongoTenants(client, db, events, operations),
      new MongoApiKeys(client, db, log, events, operations),
      new MongoRevocations(client, db, operations),
      new MongoSessions(client, db, log, events, operations),
      new MongoAttemptCounters(db, operations),
      new MongoEvents(client, db, events, operations),
      new MongoWebhooks(client, db, operations),
      new MongoDeliveries(client, db, operations),
      new MongoExpiryWarnings(client, db, events, operations),
    ],
    {
      database: db,
      async close(): Promise<void> {
        if (operations.close()) await client.close();
      },
    },
  );
  return store;
}
