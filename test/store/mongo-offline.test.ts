// The MongoDB adapter's parts that need no server: document mapping, error translation, connection
// settings, the retry loop, and failing fast (as unavailable) when no server answers.
import { expect } from "chai";
import { MongoNetworkError, MongoNetworkTimeoutError, MongoServerError } from "mongodb";
import { clientOptionsFor, databaseNameFromUrl } from "../../src/store/mongo/connection.js";
import {
  apiKeyToDocument,
  documentToApiKey,
  documentToApiKeyWithOwner,
  documentToUser,
  newUserDocument,
} from "../../src/store/mongo/documents.js";
import { translateMongoError } from "../../src/store/mongo/errors.js";
import { openMongoStore } from "../../src/store/mongo/mongo-store.js";
import { MAX_UPDATE_ATTEMPTS, retryOnVersionChange } from "../../src/store/mongo/optimistic-update.js";
import { apiKeySubject, userSubject } from "../../src/store/store-errors.js";
import { StoreError, isStoreError } from "../../src/store/store.js";
import { apiKeyRecord, expectStoreError, fullApiKeyRecord, userRecord } from "./conformance/fixtures.js";

describe("store: MongoDB adapter without a server", () => {
  describe("documents", () => {
    it("maps users both ways, starting with no keys at version 0", () => {
      const user = userRecord({ admin: true });
      const doc = newUserDocument(user);
      expect(doc).to.include({ _id: user.userId, keyCount: 0, version: 0 });
      expect(documentToUser(doc)).to.deep.equal(user);
    });

    it("leaves undefined optionals out of key documents (the driver would store null)", () => {
      const key = apiKeyRecord("u", { expiresAt: undefined, lastUsedAt: undefined });
      const doc = apiKeyToDocument(key, 3);
      expect(Object.values(doc)).to.not.include(undefined);
      expect(doc).to.not.have.any.keys("expiresAt", "lastUsedAt", "previousSecretHash", "previousSecretValidUntil");
      expect(doc).to.include({ _id: key.id, nameFolded: "ci pipeline", version: 3 });
      const { expiresAt: _e, lastUsedAt: _l, ...withoutOptionals } = key;
      expect(documentToApiKey(doc)).to.deep.equal(withoutOptionals);
    });

    it("maps fully populated keys both ways and reads stray nulls as absent", () => {
      const key = fullApiKeyRecord("u", { name: "ÄRGER" });
      const doc = apiKeyToDocument(key, 0);
      expect(doc.nameFolded).to.equal("ärger");
      expect(documentToApiKey(doc)).to.deep.equal(key);
      const withNull = { ...doc, expiresAt: null } as unknown as typeof doc;
      expect(documentToApiKey(withNull)).to.not.have.property("expiresAt");
    });

    it("maps a key with its owner joined in, and one whose owner is gone to nothing", () => {
      const user = userRecord();
      const key = fullApiKeyRecord(user.userId);
      const owner = { ...newUserDocument(user), keyCount: 1, version: 4 };
      expect(documentToApiKeyWithOwner({ ...apiKeyToDocument(key, 2), owner: [owner] })).to.deep.equal({ key, user });
      expect(documentToApiKeyWithOwner({ ...apiKeyToDocument(key, 2), owner: [] })).to.equal(undefined);
    });
  });

  describe("error translation", () => {
    it("turns a duplicate key into already_exists for the subject", () => {
      const duplicate = new MongoServerError({ code: 11000, errmsg: "E11000 duplicate key error" });
      const translated = translateMongoError(duplicate, apiKeySubject("K"));
      expect(isStoreError(translated, "already_exists")).to.equal(true);
      expect((translated as StoreError).entity).to.equal("api_key");
      expect((translated as StoreError).cause).to.equal(duplicate);
    });

    it("turns network errors, timeouts, failover codes and exhausted retries into unavailable", () => {
      const retryable = new MongoServerError({ code: 251, errmsg: "NoSuchTransaction" });
      retryable.addErrorLabel("TransientTransactionError");
      const errors = [
        new MongoNetworkError("connection reset"),
        new MongoNetworkTimeoutError("timed out"),
        new MongoServerError({ code: 10107, errmsg: "not primary" }),
        new MongoServerError({ code: 91, errmsg: "shutting down" }),
        retryable,
      ];
      for (const error of errors) {
        expect(isStoreError(translateMongoError(error, userSubject("u")), "unavailable"), error.message).to.equal(true);
      }
    });

    it("turns a write conflict into conflict", () => {
      const error = new MongoServerError({ code: 112, errmsg: "WriteConflict" });
      expect(isStoreError(translateMongoError(error, userSubject("u")), "conflict")).to.equal(true);
    });

    it("returns anything else unchanged", () => {
      const own = new StoreError("not_found", "x");
      const updaterError = new RangeError("abort");
      const unknownServerError = new MongoServerError({ code: 2, errmsg: "BadValue" });
      for (const error of [own, updaterError, unknownServerError, "a string"]) {
        expect(translateMongoError(error, undefined)).to.equal(error);
      }
    });
  });

  describe("connection settings", () => {
    it("defaults to short timeouts unless the URL sets them", () => {
      expect(clientOptionsFor("mongodb://h/db")).to.deep.equal({
        serverSelectionTimeoutMS: 5000,
        connectTimeoutMS: 5000,
        appName: "keyward",
      });
      expect(clientOptionsFor("mongodb://h/db?replicaSet=rs0&SERVERSELECTIONTIMEOUTMS=100&appName=x")).to.deep.equal({
        connectTimeoutMS: 5000,
      });
    });

    it("takes the database from the URL path, else keyward", () => {
      expect(databaseNameFromUrl("mongodb://u:p@h1:1,h2:2/idp?replicaSet=rs0")).to.equal("idp");
      expect(databaseNameFromUrl("mongodb+srv://cluster.example.net/")).to.equal("keyward");
      expect(databaseNameFromUrl("mongodb://localhost:27017")).to.equal("keyward");
      expect(databaseNameFromUrl("mongodb://localhost/?w=majority")).to.equal("keyward");
    });

    it("rejects with unavailable, within the selection timeout, when no server answers", async function () {
      this.timeout(10_000);
      const started = Date.now();
      await expectStoreError(
        openMongoStore("mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"),
        "unavailable",
      );
      expect(Date.now() - started).to.be.below(5000);
    });
  });

  describe("optimistic retries", () => {
    it("retries while the version moved and returns the first written value", async () => {
      let calls = 0;
      const value = await retryOnVersionChange(userSubject("u"), async () => (++calls < 3 ? undefined : "written"));
      expect(value).to.equal("written");
      expect(calls).to.equal(3);
    });

    it(`gives up with conflict after ${MAX_UPDATE_ATTEMPTS} attempts`, async () => {
      let calls = 0;
      const error = await expectStoreError(
        retryOnVersionChange(apiKeySubject("K"), async () => {
          calls++;
          return undefined;
        }),
        "conflict",
        "api_key",
      );
      expect(calls).to.equal(MAX_UPDATE_ATTEMPTS);
      expect(error.message).to.match(/modified concurrently/);
    });

    it("passes an attempt's error through without retrying", async () => {
      let calls = 0;
      const abort = new Error("abort");
      const attempt = retryOnVersionChange(userSubject("u"), async () => {
        calls++;
        throw abort;
      });
      let thrown: unknown;
      await attempt.catch((error: unknown) => (thrown = error));
      expect(thrown).to.equal(abort);
      expect(calls).to.equal(1);
    });
  });
});
