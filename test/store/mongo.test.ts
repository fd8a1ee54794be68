// MongoDB: the conformance suite against MONGODB_URL (a replica set), each test in its own database,
// removed afterwards. Without MONGODB_URL the suite is reported as skipped, never as passing. `npm test`
// sets MONGODB_URL to a stand-in server (jongodb) when none is given; on that server alone, and only when
// it reports a `-jongodb` version, the tests in STAND_IN_GAPS are skipped by name (and listed).
import { expect } from "chai";
import { MongoClient, MongoServerError, type Document } from "mongodb";
import { ATTEMPT_COUNTERS } from "../../src/store/mongo/attempt-counters.js";
import type { ApiKeyDocument } from "../../src/store/mongo/documents.js";
import type { DeliveryDocument, EventDocument } from "../../src/store/mongo/event-documents.js";
import {
  API_KEYS,
  DELIVERIES,
  EVENTS,
  EVENT_CHAIN,
  EXPIRY_WARNINGS,
  GUARDS,
  SESSIONS,
  TENANTS,
  USERS,
  WEBHOOKS,
} from "../../src/store/mongo/indexes.js";
import { openMongoStore, type MongoStore } from "../../src/store/mongo/mongo-store.js";
import { REVOCATIONS, REVOCATION_FEED } from "../../src/store/mongo/revocations.js";
import { describeStoreConformance } from "./conformance.js";
import { newEvent } from "./conformance/event-fixtures.js";
import { NO_CAP, apiKeyRecord, userRecord } from "./conformance/fixtures.js";
import { mongoRawEvents } from "./support/mongo-raw-events.js";
import { skipStandInGaps } from "./support/stand-in-gaps.js";

const configuredUrl = process.env["MONGODB_URL"] ?? "";
const run = `keyward_test_${Date.now().toString(36)}_${process.pid}`;
let databases = 0;
let admin: MongoClient | undefined;

function mongoUrl(): string {
  if (configuredUrl === "") throw new Error("MONGODB_URL is not set");
  return configuredUrl;
}

/** Every collection the store writes (the stand-in cannot list them). */
const STORE_COLLECTIONS = [
  USERS,
  API_KEYS,
  SESSIONS,
  TENANTS,
  GUARDS,
  REVOCATIONS,
  REVOCATION_FEED,
  ATTEMPT_COUNTERS,
  EVENTS,
  EVENT_CHAIN,
  WEBHOOKS,
  DELIVERIES,
  EXPIRY_WARNINGS,
];

/** MongoDB's code for a command the server does not know. */
const COMMAND_NOT_FOUND = 59;

/**
 * Databases emptied by {@link dropDatabase} on a server without `dropDatabase` (the stand-in), for the
 * next test to use: the stand-in keeps every collection it ever saw, and its transactions slow down with
 * their number, so a suite of a database per test would crawl.
 */
const emptied: string[] = [];

/** A database for one test: one of its own, or one emptied by an earlier test (see {@link emptied}). */
function testDatabase(): string {
  return emptied.pop() ?? `${run}_${++databases}`;
}

/** The client tests use past the store (cleanup, raw event access), connected on first use. */
async function adminClient(): Promise<MongoClient> {
  admin ??= await new MongoClient(mongoUrl()).connect();
  return admin;
}

/**
 * Removes a test database. A server without `dropDatabase` (the stand-in) gets every collection the
 * store writes emptied instead, which leaves nothing a later test could see, and the database is reused.
 */
async function dropDatabase(name: string): Promise<void> {
  const db = (await adminClient()).db(name);
  try {
    await db.dropDatabase();
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === COMMAND_NOT_FOUND)) throw error;
    for (const collection of STORE_COLLECTIONS) await db.collection(collection).deleteMany({});
    emptied.push(name);
  }
}

describe(
  configuredUrl === ""
    ? "MongoDB (skipped: set MONGODB_URL to a replica set, e.g. mongodb://localhost:27017/?replicaSet=rs0, to run)"
    : "MongoDB",
  function () {
    // A networked store on a busy two-core machine: the property tests make hundreds of round trips.
    this.timeout(60_000);
    before(function () {
      if (configuredUrl === "") this.skip();
    });
    skipStandInGaps(() => mongoUrl());

    after(async () => {
      await admin?.close();
    });

    describeStoreConformance(
      "MongoDB",
      async () => {
        const databaseName = testDatabase();
        return {
          store: await openMongoStore(mongoUrl(), { databaseName }),
          reopen: () => openMongoStore(mongoUrl(), { databaseName }),
          openPeer: () => openMongoStore(mongoUrl(), { databaseName }),
          cleanup: () => dropDatabase(databaseName),
          rawEvents: mongoRawEvents(async () => (await adminClient()).db(databaseName)),
        };
      },
      { persistent: true },
    );

    describe("store: MongoDB adapter", () => {
      let store: MongoStore;
      const databaseName = `${run}_plans`;

      before(async () => {
        store = await openMongoStore(mongoUrl(), { databaseName });
      });

      after(async () => {
        await store.close();
        await dropDatabase(databaseName);
      });

      it("creates the list, admin and tenant indexes at open, and again idempotently", async () => {
        await (await openMongoStore(mongoUrl(), { databaseName })).close();
        const names = async (collection: string) =>
          (await store.database.collection(collection).indexes()).map((index) => index.name).sort();
        expect(await names("users")).to.deep.equal(["_id_", "users_by_admin_state", "users_by_tenant_newest_first", "users_newest_first"]);
        expect(await names("tenants")).to.deep.equal(["_id_", "tenants_newest_first"]);
        expect(await names("api_keys")).to.deep.equal(["_id_", "api_keys_by_expiry", "api_keys_by_user_newest_first"]);
        expect(await names(EVENTS)).to.deep.equal([
          "_id_",
          "events_by_actor_user",
          "events_by_subject_api_key",
          "events_by_subject_tenant",
          "events_by_subject_user",
          "events_by_time",
          "events_by_type",
        ]);
        expect(await names(WEBHOOKS)).to.deep.equal(["_id_", "webhooks_by_tenant_newest_first", "webhooks_newest_first"]);
        expect(await names(DELIVERIES)).to.deep.equal([
          "_id_",
          "deliveries_by_event",
          "deliveries_by_webhook_state",
          "deliveries_due",
          "deliveries_finished",
        ]);
        expect(await names(EXPIRY_WARNINGS)).to.deep.equal(["_id_", "expiry_warnings_ttl"]);
      });

      it("serves every event filter, the outbox's claim and the expiry sweep from indexes, in order", async () => {
        const user = userRecord();
        await store.createUser(user);
        await store.appendEvents([newEvent()]);
        const db = store.database;
        const events = db.collection<EventDocument>(EVENTS);
        const newestFirst = { _id: -1 } as const;
        const plans = {
          tenant: await events.find({ "subject.tenantId": "t" }).sort(newestFirst).explain(),
          user: await events.find({ $or: [{ "subject.userId": user.userId }, { "actor.userId": user.userId }] }).sort(newestFirst).explain(),
          key: await events.find({ "subject.apiKeyId": "k" }).sort(newestFirst).explain(),
          type: await events.find({ type: { $regex: "^api_key\\." } }).sort(newestFirst).explain(),
          since: await events.find({ time: { $gte: new Date() } }, { projection: { _id: 1 } }).hint("events_by_time").sort({ _id: 1 }).limit(1).explain(),
          claim: await db
            .collection<DeliveryDocument>(DELIVERIES)
            .find({ state: "pending", nextAttemptAt: { $lte: new Date() } })
            .sort({ nextAttemptAt: 1, eventSeq: 1 })
            .explain(),
          sweep: await db.collection<ApiKeyDocument>("api_keys").find({ expiresAt: { $gt: new Date(), $lte: new Date() } }).sort({ expiresAt: 1, _id: 1 }).explain(),
        };
        for (const [name, plan] of Object.entries(plans)) expect(stages(plan), name).to.not.include("COLLSCAN");
        // Newest first straight from an index, without a sort (a user's two indexes merged in order). Not a
        // type prefix, which spans several types (walking seqs or sorting a rare type's few is the planner's
        // choice), nor the since floor, a top-1 over its window.
        for (const name of ["tenant", "user", "key", "claim"] as const) expect(stages(plans[name]), name).to.not.include("SORT");
      });

      it("serves the by-id lookup and the key list from indexes", async () => {
        const user = userRecord();
        await store.createUser(user);
        const key = apiKeyRecord(user.userId);
        await store.createApiKey(key, NO_CAP);
        const keys = store.database.collection<ApiKeyDocument>("api_keys");
        const byId = stages(await keys.find({ _id: key.id }).explain());
        const list = stages(await keys.find({ userId: user.userId }).sort({ createdAt: -1, _id: -1 }).explain());
        expect(byId).to.not.include("COLLSCAN");
        expect(byId.join()).to.match(/IDHACK|IXSCAN/);
        expect(list).to.not.include("COLLSCAN");
        expect(list).to.not.include("SORT");
      });
    });
  },
);

/** Every plan stage name in an explain() result's winning plan. */
function stages(explain: Document): string[] {
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (typeof node === "object" && node !== null) {
      for (const [field, value] of Object.entries(node)) {
        if (field === "stage" && typeof value === "string") found.push(value);
        else visit(value);
      }
    }
  };
  visit((explain["queryPlanner"] as Document | undefined)?.["winningPlan"]);
  return found;
}
