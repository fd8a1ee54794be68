// MongoDB: the conformance suite against MONGODB_URL (a replica set), each test in its own database,
// dropped afterwards. Without MONGODB_URL the suite is reported as skipped, never as passing.
import { expect } from "chai";
import { MongoClient, type Document } from "mongodb";
import type { ApiKeyDocument } from "../../src/store/mongo/documents.js";
import { openMongoStore, type MongoStore } from "../../src/store/mongo/mongo-store.js";
import { describeStoreConformance } from "./conformance.js";
import { NO_CAP, apiKeyRecord, userRecord } from "./conformance/fixtures.js";

const configuredUrl = process.env["MONGODB_URL"] ?? "";
const run = `keyward_test_${Date.now().toString(36)}_${process.pid}`;
let databases = 0;
let admin: MongoClient | undefined;

function mongoUrl(): string {
  if (configuredUrl === "") throw new Error("MONGODB_URL is not set");
  return configuredUrl;
}

async function dropDatabase(name: string): Promise<void> {
  admin ??= await new MongoClient(mongoUrl()).connect();
  await admin.db(name).dropDatabase();
}

describe(
  configuredUrl === ""
    ? "MongoDB (skipped: set MONGODB_URL to a replica set, e.g. mongodb://localhost:27017/?replicaSet=rs0, to run)"
    : "MongoDB",
  function () {
    before(function () {
      if (configuredUrl === "") this.skip();
    });

    after(async () => {
      await admin?.close();
    });

    describeStoreConformance(
      "MongoDB",
      async () => {
        const databaseName = `${run}_${++databases}`;
        return {
          store: await openMongoStore(mongoUrl(), { databaseName }),
          reopen: () => openMongoStore(mongoUrl(), { databaseName }),
          openPeer: () => openMongoStore(mongoUrl(), { databaseName }),
          cleanup: () => dropDatabase(databaseName),
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

      it("creates the list and admin indexes at open, and again idempotently", async () => {
        await (await openMongoStore(mongoUrl(), { databaseName })).close();
        const names = async (collection: string) =>
          (await store.database.collection(collection).indexes()).map((index) => index.name).sort();
        expect(await names("users")).to.deep.equal(["_id_", "users_by_admin_state", "users_newest_first"]);
        expect(await names("api_keys")).to.deep.equal(["_id_", "api_keys_by_user_newest_first"]);
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
