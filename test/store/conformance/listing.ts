// Lists: order, keyset pagination under concurrent inserts, filters, totals and page-token checks.
import { expect } from "chai";
import fc from "fast-check";
import type { ApiKeyListRequest, ApiKeyRecord, Page, UserRecord } from "../../../src/store/store.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, newUserId, newestFirst, userRecord } from "./fixtures.js";
import type { StoreUnderTest } from "./store-under-test.js";

const byKey = newestFirst<ApiKeyRecord>((key) => key.id);
const byUser = newestFirst<UserRecord>((user) => user.userId);

/** Fetches every page in turn, calling `between` after each one; returns the pages. */
async function walk<T>(
  fetch: (pageToken: string) => Promise<Page<T>>,
  between: (pageNumber: number) => Promise<void> = async () => {},
): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let token = "";
  do {
    const page = await fetch(token);
    pages.push(page);
    token = page.nextPageToken;
    await between(pages.length);
    if (pages.length > 1000) throw new Error("pagination does not end");
  } while (token !== "");
  return pages;
}

export function describeListing(subject: StoreUnderTest): void {
  describe("listing", () => {
    let alice: string;

    beforeEach(async () => {
      alice = newUserId("alice");
      await subject.store.createUser(userRecord({ userId: alice }));
    });

    async function createKeys(keys: ApiKeyRecord[]): Promise<ApiKeyRecord[]> {
      for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
      return keys;
    }

    function listKeys(request: Partial<ApiKeyListRequest> = {}, userId = alice): Promise<Page<ApiKeyRecord>> {
      return subject.store.listApiKeys(userId, { pageSize: 100, pageToken: "", ...request });
    }

    it("lists keys newest first, ties broken by id descending", async () => {
      const keys = await createKeys([
        apiKeyRecord(alice, { createdAt: at(10) }),
        apiKeyRecord(alice, { createdAt: at(30) }),
        apiKeyRecord(alice, { createdAt: at(20) }),
        apiKeyRecord(alice, { createdAt: at(20) }),
        apiKeyRecord(alice, { createdAt: at(20) }),
        apiKeyRecord(alice, { createdAt: at(-5) }),
      ]);
      const page = await listKeys();
      expect(page.items).to.deep.equal([...keys].sort(byKey));
      expect(page.nextPageToken).to.equal("");
      expect(page.totalSize).to.equal(6);
    });

    it("lists users newest first, ties broken by id descending", async () => {
      const users = [
        userRecord({ createdAt: at(5) }),
        userRecord({ createdAt: at(7) }),
        userRecord({ createdAt: at(5) }),
        userRecord({ createdAt: at(-100) }),
      ];
      for (const user of users) await subject.store.createUser(user);
      const all = [...users, await subject.store.getUser(alice)].sort(byUser);
      const page = await subject.store.listUsers({ pageSize: 100, pageToken: "" });
      expect(page).to.deep.equal({ items: all, nextPageToken: "", totalSize: 5 });
    });

    it("walks key pages without repeats or gaps while newer keys are created between fetches", async () => {
      const existing = await createKeys(Array.from({ length: 11 }, (_, i) => apiKeyRecord(alice, { createdAt: at(i % 4) })));
      const added: ApiKeyRecord[] = [];
      const pages = await walk(
        (pageToken) => listKeys({ pageSize: 3, pageToken }),
        async () => {
          const key = apiKeyRecord(alice, { createdAt: at(1000 + added.length) });
          added.push(key);
          await subject.store.createApiKey(key, NO_CAP);
        },
      );
      expect(pages.flatMap((page) => page.items)).to.deep.equal([...existing].sort(byKey));
      expect(pages.map((page) => page.items.length)).to.deep.equal([3, 3, 3, 2]);
      expect(pages.map((page) => page.totalSize)).to.deep.equal([11, 12, 13, 14]);
    });

    it("walks user pages without repeats or gaps while newer users are created between fetches", async () => {
      for (let i = 0; i < 6; i++) await subject.store.createUser(userRecord({ createdAt: at(i % 2) }));
      const existing = (await subject.store.listUsers({ pageSize: 100, pageToken: "" })).items;
      expect(existing).to.have.length(7);
      const pages = await walk(
        (pageToken) => subject.store.listUsers({ pageSize: 2, pageToken }),
        (n) => subject.store.createUser(userRecord({ createdAt: at(5000 + n) })),
      );
      expect(pages.flatMap((page) => page.items)).to.deep.equal(existing);
      expect(pages.at(-1)?.nextPageToken).to.equal("");
    });

    it("ends exactly at the last item: a full last page has no next token", async () => {
      const keys = await createKeys(Array.from({ length: 4 }, (_, i) => apiKeyRecord(alice, { createdAt: at(i) })));
      const pages = await walk((pageToken) => listKeys({ pageSize: 2, pageToken }));
      expect(pages.map((page) => page.items)).to.deep.equal([
        [keys[3], keys[2]],
        [keys[1], keys[0]],
      ]);
      expect(pages.map((page) => page.nextPageToken === "")).to.deep.equal([false, true]);
    });

    it("pages through any mix of timestamps and page sizes in exact order (property)", async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 9 }),
          fc.integer({ min: 1, max: 4 }),
          async (offsets, pageSize) => {
            const owner = `${alice}-p${run++}`;
            await subject.store.createUser(userRecord({ userId: owner }));
            const keys = offsets.map((offset) => apiKeyRecord(owner, { createdAt: at(offset) }));
            for (const key of keys) await subject.store.createApiKey(key, NO_CAP);
            const pages = await walk((pageToken) => listKeys({ pageSize, pageToken }, owner));
            expect(pages.flatMap((page) => page.items)).to.deep.equal([...keys].sort(byKey));
            for (const page of pages) expect(page.items.length).to.be.at.most(pageSize);
          },
        ),
        { numRuns: 25 },
      );
    });

    it("lists only the user's own keys; an unknown user has none", async () => {
      const bob = newUserId("bob");
      await subject.store.createUser(userRecord({ userId: bob }));
      const own = await createKeys([apiKeyRecord(alice), apiKeyRecord(alice)]);
      await createKeys([apiKeyRecord(bob)]);
      const page = await listKeys();
      expect(page.items.map((key) => key.id).sort()).to.deep.equal(own.map((key) => key.id).sort());
      expect(page.totalSize).to.equal(2);
      expect(await listKeys({}, newUserId())).to.deep.equal({ items: [], nextPageToken: "", totalSize: 0 });
    });

    it("filters by state, counting only matches", async () => {
      const disabled = await createKeys([
        apiKeyRecord(alice, { state: "disabled", createdAt: at(2) }),
        apiKeyRecord(alice, { state: "disabled", createdAt: at(1) }),
      ]);
      const active = await createKeys([apiKeyRecord(alice, { state: "active" })]);
      expect(await listKeys({ state: "disabled" })).to.deep.equal({ items: disabled, nextPageToken: "", totalSize: 2 });
      expect(await listKeys({ state: "active" })).to.deep.equal({ items: active, nextPageToken: "", totalSize: 1 });
    });

    it("matches the name query case-insensitively as a substring", async () => {
      const names = ["Production gateway", "prod-backup", "staging", "REPRODUCE", "Ärger-Zähler", "dev"];
      const keys = await createKeys(names.map((name, i) => apiKeyRecord(alice, { name, createdAt: at(-i) })));
      const namesFor = async (query: string) => (await listKeys({ query })).items.map((key) => key.name);
      expect(await namesFor("PROD")).to.deep.equal(["Production gateway", "prod-backup", "REPRODUCE"]);
      expect(await namesFor("gateWAY")).to.deep.equal(["Production gateway"]);
      expect(await namesFor("ärger-zä")).to.deep.equal(["Ärger-Zähler"]);
      expect(await namesFor("ÄRGER")).to.deep.equal(["Ärger-Zähler"]);
      expect(await namesFor("nothing like it")).to.deep.equal([]);
      expect(await namesFor("")).to.deep.equal(keys.map((key) => key.name));
      expect((await listKeys({ query: "prod" })).totalSize).to.equal(3);
    });

    it("treats LIKE wildcards and regex metacharacters in the query literally", async () => {
      const names = ["100% done", "100 done", "a_b", "axb", "a.b", "a+b", "(x)", "x", "back\\slash", "$where", "^start"];
      await createKeys(names.map((name, i) => apiKeyRecord(alice, { name, createdAt: at(-i) })));
      const namesFor = async (query: string) => (await listKeys({ query })).items.map((key) => key.name);
      expect(await namesFor("%")).to.deep.equal(["100% done"]);
      expect(await namesFor("0%")).to.deep.equal(["100% done"]);
      expect(await namesFor("_")).to.deep.equal(["a_b"]);
      expect(await namesFor("a_b")).to.deep.equal(["a_b"]);
      expect(await namesFor("a.b")).to.deep.equal(["a.b"]);
      expect(await namesFor(".")).to.deep.equal(["a.b"]);
      expect(await namesFor("a+b")).to.deep.equal(["a+b"]);
      expect(await namesFor("(x")).to.deep.equal(["(x)"]);
      expect(await namesFor(".*")).to.deep.equal([]);
      expect(await namesFor("\\")).to.deep.equal(["back\\slash"]);
      expect(await namesFor("$where")).to.deep.equal(["$where"]);
      expect(await namesFor("^")).to.deep.equal(["^start"]);
    });

    it("pages through a filtered list with totals of the filter", async () => {
      const matching = await createKeys(
        Array.from({ length: 5 }, (_, i) => apiKeyRecord(alice, { name: `Deploy ${i}`, state: "disabled", createdAt: at(i) })),
      );
      await createKeys([
        apiKeyRecord(alice, { name: "deploy active", state: "active" }),
        apiKeyRecord(alice, { name: "other", state: "disabled" }),
      ]);
      const pages = await walk((pageToken) => listKeys({ pageSize: 2, pageToken, state: "disabled", query: "DEPLOY" }));
      expect(pages.flatMap((page) => page.items)).to.deep.equal([...matching].reverse());
      expect(pages.map((page) => page.totalSize)).to.deep.equal([5, 5, 5]);
    });

    it("rejects malformed page tokens with invalid_argument", async () => {
      await createKeys([apiKeyRecord(alice), apiKeyRecord(alice)]);
      const garbage = [
        "garbage",
        "!!!",
        Buffer.from("{}").toString("base64url"),
        Buffer.from("[1,2,3]").toString("base64url"),
        Buffer.from(JSON.stringify({ v: 1, s: "x", t: "soon", i: "a" })).toString("base64url"),
      ];
      for (const pageToken of garbage) {
        await expectStoreError(listKeys({ pageSize: 1, pageToken }), "invalid_argument");
        await expectStoreError(subject.store.listUsers({ pageSize: 1, pageToken }), "invalid_argument");
      }
    });

    it("rejects a page token from another list or filter with invalid_argument", async () => {
      const bob = newUserId("bob");
      await subject.store.createUser(userRecord({ userId: bob }));
      await createKeys([apiKeyRecord(alice, { name: "a1" }), apiKeyRecord(alice, { name: "a2" })]);
      const keyToken = (await listKeys({ pageSize: 1 })).nextPageToken;
      const userToken = (await subject.store.listUsers({ pageSize: 1, pageToken: "" })).nextPageToken;
      expect(keyToken).to.not.equal("");
      expect(userToken).to.not.equal("");
      await expectStoreError(subject.store.listUsers({ pageSize: 1, pageToken: keyToken }), "invalid_argument");
      await expectStoreError(listKeys({ pageSize: 1, pageToken: userToken }), "invalid_argument");
      await expectStoreError(listKeys({ pageSize: 1, pageToken: keyToken }, bob), "invalid_argument");
      await expectStoreError(listKeys({ pageSize: 1, pageToken: keyToken, query: "a" }), "invalid_argument");
      await expectStoreError(listKeys({ pageSize: 1, pageToken: keyToken, state: "active" }), "invalid_argument");
      // The same list and filter accept it.
      expect((await listKeys({ pageSize: 1, pageToken: keyToken })).items).to.have.length(1);
    });
  });
}
