// The audit trail (ARCHITECTURE.md, "Events"): each write appends exactly its event in its own transaction
// (a refusal, or a failure between the change and its event, leaves neither), the hash chain and what
// tampering does to it, lists, reads and pruning.
import { expect } from "chai";
import { withEventContext } from "../../../src/store/event-context.js";
import type { EventRecord, EventSubject, Store } from "../../../src/store/store.js";
import { CONTEXT, described, eventsAfter, newEvent, verifyChain } from "./event-fixtures.js";
import { NO_CAP, apiKeyRecord, at, expectStoreError, newKeyId, newUserId, rejectionOf, userRecord } from "./fixtures.js";
import { sessionRecord } from "./sessions.js";
import type { StoreUnderTest } from "./store-under-test.js";
import { tenantRecord } from "./tenants.js";
import { newUsageCount } from "../../../src/store/usage-credits.js";

const password = (setAt = at(3_003)) => ({ hash: "$argon2id$v=19$m=19456,t=2,p=1$conformance", setAt });

export function describeEvents(subject: StoreUnderTest): void {
  describe("events", () => {
    /** What `write` appended: every event after the head before it. */
    async function appendedBy(write: () => Promise<unknown>): Promise<EventRecord[]> {
      const { seq } = await subject.store.eventChainHead();
      await write();
      return eventsAfter(subject.store, seq);
    }

    /** Asserts that `write` appends exactly one event, of `type` about `about`, with `changed`. */
    async function expectEvent(write: () => Promise<unknown>, type: string, about: EventSubject, changed: EventRecord["changed"] = []) {
      const events = await withEventContext(CONTEXT, () => appendedBy(write));
      expect(described(events), type).to.deep.equal([{ type, subject: about, actor: CONTEXT.actor, client: CONTEXT.client, changed }]);
      const [event] = events;
      expect(event!.count).to.equal(1);
      expect(event!.time.getTime()).to.be.within(Date.now() - 10_000, Date.now() + 1_000);
      return event!;
    }

    it("appends exactly one event per write, with the actor and client of the event context", async () => {
      const store = subject.store;
      const tenant = tenantRecord();
      await expectEvent(() => store.createTenant(tenant), "tenant.create", { tenantId: tenant.tenantId });
      await expectEvent(
        () => store.updateTenant(tenant.tenantId, (t) => ({ ...t, name: "renamed" })),
        "tenant.update",
        { tenantId: tenant.tenantId },
        [{ field: "name" }],
      );
      const user = userRecord({ tenantId: tenant.tenantId });
      const own = { tenantId: tenant.tenantId, userId: user.userId };
      await expectEvent(() => store.createUser(user, password()), "user.create", own, [
        { field: "admin", after: "false" },
        { field: "state", after: '"active"' },
      ]);
      await expectEvent(() => store.updateUser(user.userId, (u) => ({ ...u, name: "Ann", admin: true })), "user.update", own, [
        { field: "name" },
        { field: "admin", before: "false", after: "true" },
      ]);
      await expectEvent(() => store.setPassword(user.userId, password(at(9_009))), "user.password.update", own, [{ field: "password" }]);

      const key = apiKeyRecord(user.userId, { rights: [1, 2] });
      const aboutKey = { ...own, apiKeyId: key.id };
      await expectEvent(() => store.createApiKey(key, NO_CAP), "api_key.create", aboutKey, [
        { field: "rights", after: "[1,2]" },
        { field: "state", after: '"active"' },
      ]);
      await expectEvent(() => store.updateApiKey(user.userId, key.id, (k) => ({ ...k, rights: [3], state: "disabled" })), "api_key.update", aboutKey, [
        { field: "rights", before: "[1,2]", after: "[3]" },
        { field: "state", before: '"active"', after: '"disabled"' },
      ]);
      await expectEvent(
        () => store.updateApiKey(user.userId, key.id, (k) => ({ ...k, secretHash: "sha256:rotated" })),
        "api_key.regenerate",
        aboutKey,
        [{ field: "secret" }],
      );
      await expectEvent(() => store.deleteApiKey(user.userId, key.id), "api_key.delete", aboutKey);

      const session = sessionRecord(user.userId);
      const aboutSession = { ...own, sessionId: session.id };
      await expectEvent(() => store.createSession(session), "session.create", aboutSession);
      await expectEvent(() => store.deleteSession(user.userId, session.id), "session.delete", aboutSession);
      await expectEvent(() => store.deleteUser(user.userId), "user.delete", own);
      await expectEvent(() => store.deleteTenant(tenant.tenantId), "tenant.delete", { tenantId: tenant.tenantId });
    });

    it("records a key's rate limit, credits and refill with values and its metadata by name only", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const own = { userId: user.userId };
      const key = apiKeyRecord(user.userId, {
        rights: [1],
        rateLimit: { requests: 5, periodMs: 1_000 },
        remainingUses: 100,
        refill: { amount: 100, periodMs: 86_400_000 },
        metadata: { plan: "secret-plan-value" },
      });
      const aboutKey = { ...own, apiKeyId: key.id };
      const created = await expectEvent(() => subject.store.createApiKey(key, NO_CAP), "api_key.create", aboutKey, [
        { field: "rights", after: "[1]" },
        { field: "state", after: '"active"' },
        { field: "rate_limit", after: '{"requests":5,"period":"1s"}' },
        { field: "remaining_uses", after: "100" },
        { field: "refill", after: '{"amount":100,"period":"86400s"}' },
        { field: "metadata" },
      ]);
      expect(JSON.stringify(created)).to.not.include("secret-plan-value");
      await expectEvent(
        () =>
          subject.store.updateApiKey(user.userId, key.id, (k) => ({
            ...k,
            rateLimit: { requests: 10, periodMs: 60_000 },
            remainingUses: 7,
            refill: { amount: 7, periodMs: 3_600_000 },
            metadata: { plan: "other-plan-value" },
          })),
        "api_key.update",
        aboutKey,
        [
          { field: "rate_limit", before: '{"requests":5,"period":"1s"}', after: '{"requests":10,"period":"60s"}' },
          { field: "remaining_uses", before: "100", after: "7" },
          { field: "refill", before: '{"amount":100,"period":"86400s"}', after: '{"amount":7,"period":"3600s"}' },
          { field: "metadata" },
        ],
      );
      // A take is a use, not a change; an update of the name alone does not record the count it moved.
      await subject.store.takeApiKeyUses(key.id, 2, new Date());
      await expectEvent(() => subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, name: "renamed" })), "api_key.update", aboutKey, [
        { field: "name" },
      ]);
      // Metadata in another order is the same metadata; a new count of the same size is a change.
      await expectEvent(
        () => subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, metadata: { plan: "other-plan-value" }, ...newUsageCount(k, 5, new Date()) })),
        "api_key.update",
        aboutKey,
        [{ field: "remaining_uses", before: "5", after: "5" }],
      );
      await expectEvent(
        () => subject.store.updateApiKey(user.userId, key.id, ({ rateLimit: _l, remainingUses: _u, refill: _r, refilledAt: _a, metadata: _m, ...k }) => k),
        "api_key.update",
        aboutKey,
        [
          { field: "rate_limit", before: '{"requests":10,"period":"60s"}', after: "null" },
          { field: "remaining_uses", before: "5", after: "null" },
          { field: "refill", before: '{"amount":7,"period":"3600s"}', after: "null" },
          { field: "metadata" },
        ],
      );
    });

    it("gives a change made under a cause the cause's type and reason, with the context's actor and client", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const key = apiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const cause = { type: "api_key.leaked", reason: "https://github.com/octo/repo/blob/main/.env" };
      const context = { actor: {}, client: { address: "192.0.2.7" }, cause };
      const events = await withEventContext(context, () =>
        appendedBy(() => subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, state: "disabled" }))),
      );
      expect(events.map(({ type, reason, actor, client, changed }) => ({ type, reason, actor, client, changed }))).to.deep.equal([
        { type: "api_key.leaked", reason: cause.reason, actor: {}, client: { address: "192.0.2.7" }, changed: [{ field: "state", before: '"active"', after: '"disabled"' }] },
      ]);
      // Outside the cause's context, the same kind of change is the actor's own again.
      const later = await withEventContext(CONTEXT, () =>
        appendedBy(() => subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, state: "active" }))),
      );
      expect(later.map((event) => [event.type, event.reason])).to.deep.equal([["api_key.update", undefined]]);
    });

    it("names no actor and no client for a write made outside any event context (Keyward itself)", async () => {
      const user = userRecord();
      const [created] = await appendedBy(() => subject.store.createUser(user));
      expect(created).to.include({ type: "user.create" });
      expect(created!.actor).to.deep.equal({});
      expect(created!.client).to.deep.equal({});
      expect(created!.subject).to.deep.equal({ userId: user.userId });
    });

    it("never records a secret, a password hash or a token", async () => {
      const user = userRecord();
      const key = apiKeyRecord(user.userId, { previousSecretHash: "sha256:previous-secret" });
      const session = sessionRecord(user.userId);
      const events = await appendedBy(async () => {
        await subject.store.createUser(user, { hash: "$argon2id$secret-password-hash", setAt: at(1) });
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, secretHash: "sha256:the-new-secret" }));
        await subject.store.createSession(session);
        await subject.store.setPassword(user.userId, { hash: "$argon2id$another-hash", setAt: at(2) });
      });
      const text = JSON.stringify(events);
      for (const secret of [key.secretHash, "sha256:the-new-secret", "previous-secret", session.secretHash, "secret-password-hash", "another-hash"]) {
        expect(text).to.not.include(secret);
      }
    });

    it("appends nothing for an update that changes nothing, for uses, pruning and attempt counters", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      const key = apiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const session = sessionRecord(user.userId, { expiresAt: at(1) });
      await subject.store.createSession(session);
      const events = await appendedBy(async () => {
        await subject.store.updateUser(user.userId, (u) => ({ ...u }));
        await subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, lastUsedAt: at(77) }));
        await subject.store.recordApiKeyUse([{ id: key.id, at: new Date(), ip: "192.0.2.1" }]);
        await subject.store.recordSessionUse([{ id: session.id, at: new Date() }]);
        expect(await subject.store.pruneSessions(user.userId, { usedSince: at(0), expiresAfter: at(2) })).to.equal(1);
        await subject.store.updateAttemptCounter("conformance:events", new Date(), () => ({
          attempts: 1,
          nextAttemptAt: new Date(),
          expiresAt: new Date(Date.now() + 60_000),
        }));
        await subject.store.pruneAttemptCounters(new Date(Date.now() + 120_000));
        await subject.store.pruneRevocations(new Date());
      });
      expect(described(events)).to.deep.equal([]);
    });

    it("records a suspension or a password change alone, not the sessions they end; a user's delete alone, not its keys", async () => {
      const user = userRecord();
      await subject.store.createUser(user);
      for (let i = 0; i < 2; i++) await subject.store.createSession(sessionRecord(user.userId));
      await subject.store.createApiKey(apiKeyRecord(user.userId), NO_CAP);
      const setPassword = await appendedBy(() => subject.store.setPassword(user.userId, password(), {}));
      expect(setPassword.map((e) => e.type)).to.deep.equal(["user.password.update"]);
      await subject.store.createSession(sessionRecord(user.userId));
      const suspend = await appendedBy(() => subject.store.updateUser(user.userId, (u) => ({ ...u, state: "suspended" })));
      expect(described(suspend)).to.deep.equal([
        {
          type: "user.update",
          subject: { userId: user.userId },
          actor: {},
          client: {},
          changed: [{ field: "state", before: '"active"', after: '"suspended"' }],
        },
      ]);
      const deletion = await appendedBy(() => subject.store.deleteUser(user.userId));
      expect(deletion.map((e) => e.type)).to.deep.equal(["user.delete"]);
    });

    it("appends nothing for a refused write: an updater or guard that throws, not_found, a limit, the last admin", async () => {
      const tenant = tenantRecord();
      await subject.store.createTenant(tenant);
      const admin = userRecord({ admin: true });
      const user = userRecord({ tenantId: tenant.tenantId });
      await subject.store.createUser(admin);
      await subject.store.createUser(user);
      const key = apiKeyRecord(user.userId);
      await subject.store.createApiKey(key, NO_CAP);
      const session = sessionRecord(user.userId);
      await subject.store.createSession(session);
      const refusal = new Error("refused");
      const refuse = () => {
        throw refusal;
      };
      const store = subject.store;
      const events = await appendedBy(async () => {
        expect(await rejectionOf(store.updateUser(user.userId, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.deleteUser(user.userId, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.setPassword(user.userId, password(), undefined, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.createApiKey(apiKeyRecord(user.userId), NO_CAP, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.updateApiKey(user.userId, key.id, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.deleteApiKey(user.userId, key.id, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.deleteSession(user.userId, session.id, refuse))).to.equal(refusal);
        expect(await rejectionOf(store.updateTenant(tenant.tenantId, refuse))).to.equal(refusal);
        await expectStoreError(store.createApiKey(apiKeyRecord(user.userId), { maxKeysPerUser: 1 }), "limit_reached");
        await expectStoreError(store.createApiKey(key, NO_CAP), "already_exists", "api_key");
        await expectStoreError(store.createApiKey(apiKeyRecord(newUserId()), NO_CAP), "not_found", "user");
        await expectStoreError(store.createUser(user), "already_exists", "user");
        await expectStoreError(store.createUser(userRecord({ tenantId: "no-such-tenant" })), "not_found", "tenant");
        await expectStoreError(store.createTenant(tenant), "already_exists", "tenant");
        await expectStoreError(store.createSession(sessionRecord(newUserId())), "not_found", "user");
        await expectStoreError(store.createSession(session), "already_exists", "session");
        await expectStoreError(store.updateUser(newUserId(), (u) => u), "not_found", "user");
        await expectStoreError(store.deleteUser(newUserId()), "not_found", "user");
        await expectStoreError(store.setPassword(newUserId(), password()), "not_found", "user");
        await expectStoreError(store.updateApiKey(user.userId, newKeyId(), (k) => k), "not_found", "api_key");
        await expectStoreError(store.deleteApiKey(user.userId, newKeyId()), "not_found", "api_key");
        await expectStoreError(store.deleteSession(user.userId, newKeyId()), "not_found", "session");
        await expectStoreError(store.updateTenant("no-such-tenant", (t) => t), "not_found", "tenant");
        await expectStoreError(store.deleteTenant("no-such-tenant"), "not_found", "tenant");
        await expectStoreError(store.deleteTenant(tenant.tenantId), "not_empty", "tenant");
        await expectStoreError(store.updateUser(admin.userId, (u) => ({ ...u, admin: false })), "last_admin");
        await expectStoreError(store.deleteUser(admin.userId), "last_admin");
        await expectStoreError(store.updateUser(user.userId, (u) => ({ ...u, userId: newUserId() })), "invalid_argument");
      });
      expect(described(events)).to.deep.equal([]);
      expect((await verifyChain(store)).broken).to.equal(undefined);
    });

    it("leaves neither the change nor its event when appending the event fails inside the write", async () => {
      const store = subject.store;
      const tenant = tenantRecord();
      await store.createTenant(tenant);
      const user = userRecord({ tenantId: tenant.tenantId });
      await store.createUser(user, password());
      const key = apiKeyRecord(user.userId);
      await store.createApiKey(key, NO_CAP);
      const session = sessionRecord(user.userId);
      await store.createSession(session);
      const spare = tenantRecord();
      await store.createTenant(spare);
      const before = {
        head: await store.eventChainHead(),
        feed: await store.revocationHead(),
        user: await store.getUser(user.userId),
        password: await store.getPassword(user.userId),
        key: await store.getApiKey(user.userId, key.id),
        tenant: await store.getTenant(tenant.tenantId),
      };

      const restore = await subject.rawEvents.failAppends();
      const newUser = userRecord();
      const newKey = apiKeyRecord(user.userId);
      const newSession = sessionRecord(user.userId);
      const newTenant = tenantRecord();
      const writes: [string, () => Promise<unknown>][] = [
        ["createTenant", () => store.createTenant(newTenant)],
        ["updateTenant", () => store.updateTenant(tenant.tenantId, (t) => ({ ...t, name: "changed" }))],
        ["deleteTenant", () => store.deleteTenant(spare.tenantId)],
        ["createUser", () => store.createUser(newUser)],
        ["updateUser", () => store.updateUser(user.userId, (u) => ({ ...u, state: "suspended" }))],
        ["setPassword", () => store.setPassword(user.userId, password(at(5_005)), {})],
        ["createApiKey", () => store.createApiKey(newKey, NO_CAP)],
        ["updateApiKey", () => store.updateApiKey(user.userId, key.id, (k) => ({ ...k, rights: [] }))],
        ["deleteApiKey", () => store.deleteApiKey(user.userId, key.id)],
        ["createSession", () => store.createSession(newSession)],
        ["deleteSession", () => store.deleteSession(user.userId, session.id)],
        ["deleteUser", () => store.deleteUser(user.userId)],
        ["appendEvents", () => store.appendEvents([newEvent()])],
      ];
      for (const [name, write] of writes) {
        const error = await rejectionOf(write());
        expect(error, name).to.be.instanceOf(Error);
      }
      await restore();

      expect(await store.eventChainHead(), "no event").to.deep.equal(before.head);
      expect(await store.revocationHead(), "no feed entry").to.equal(before.feed);
      expect(await store.getUser(user.userId)).to.deep.equal(before.user);
      expect(await store.getPassword(user.userId)).to.deep.equal(before.password);
      expect(await store.getApiKey(user.userId, key.id)).to.deep.equal(before.key);
      expect(await store.getTenant(tenant.tenantId)).to.deep.equal(before.tenant);
      await store.getTenant(spare.tenantId);
      await expectStoreError(store.getTenant(newTenant.tenantId), "not_found", "tenant");
      await expectStoreError(store.getUser(newUser.userId), "not_found", "user");
      expect(await store.findApiKey(newKey.id)).to.equal(undefined);
      expect(await store.findSessionWithOwner(newSession.id)).to.equal(undefined);
      expect(await store.findSessionWithOwner(session.id)).to.not.equal(undefined);
      // Appending works again once the failure is gone, and the chain goes on from where it was.
      await store.updateUser(user.userId, (u) => ({ ...u, name: "after" }));
      expect((await store.eventChainHead()).seq).to.equal(before.head.seq + 1);
      expect((await verifyChain(store)).broken).to.equal(undefined);
    });

    describe("hash chain", () => {
      async function someEvents(): Promise<EventRecord[]> {
        const user = userRecord();
        await subject.store.createUser(user);
        const key = apiKeyRecord(user.userId);
        await subject.store.createApiKey(key, NO_CAP);
        await subject.store.updateApiKey(user.userId, key.id, (k) => ({ ...k, name: "renamed" }));
        await subject.store.appendEvents([newEvent(), newEvent({ subject: {}, changed: [{ field: "x", before: "1" }] })]);
        await subject.store.deleteUser(user.userId);
        return eventsAfter(subject.store, 0);
      }

      it("numbers events from 1 in commit order, each linked to its predecessor's hash", async () => {
        const events = await someEvents();
        expect(events.map((e) => e.seq)).to.deep.equal([1, 2, 3, 4, 5, 6]);
        expect(events[0]!.previousHash).to.equal("");
        for (let i = 1; i < events.length; i++) expect(events[i]!.previousHash).to.equal(events[i - 1]!.hash);
        expect(await subject.store.eventChainHead()).to.deep.equal({ seq: 6, prunedThroughSeq: 0, prunedThroughHash: "" });
        expect(await verifyChain(subject.store)).to.deep.equal({ broken: undefined, checked: 6 });
      });

      it("names an event edited straight in the database", async () => {
        await someEvents();
        await subject.rawEvents.editEventType(4, "user.create");
        const { broken } = await verifyChain(subject.store);
        expect(broken).to.include({ seq: 4, problem: "edited" });
      });

      it("names the gap an event deleted straight in the database leaves", async () => {
        await someEvents();
        await subject.rawEvents.deleteEvent(3);
        const { broken } = await verifyChain(subject.store);
        expect(broken).to.include({ seq: 4, problem: "missing" });
      });

      it("keeps one chain when two connections append at once", async function () {
        const peer = await subject.openPeer();
        if (!peer) this.skip();
        try {
          const users = Array.from({ length: 12 }, () => userRecord());
          await Promise.all(users.map((user, i) => (i % 2 === 0 ? subject.store : peer).createUser(user)));
          await Promise.all([subject.store.appendEvents([newEvent(), newEvent()]), peer.appendEvents([newEvent()])]);
          const events = await eventsAfter(peer, 0);
          expect(events.map((e) => e.seq)).to.deep.equal(Array.from({ length: 15 }, (_, i) => i + 1));
          expect(await verifyChain(peer)).to.deep.equal({ broken: undefined, checked: 15 });
        } finally {
          await peer.close();
        }
      });
    });

    describe("appendEvents", () => {
      it("appends events that record no change, in order, chained, and returns them as stored", async () => {
        const first = newEvent({ time: at(1), count: 40, reason: "LOGIN_FAILED", type: "auth.fail" });
        const second = newEvent({ actor: { userId: "someone" }, subject: { userId: "someone", tenantId: "t1" }, changed: [{ field: "rights", before: "[1]", after: "[]" }] });
        const appended = await subject.store.appendEvents([first, second]);
        expect(appended.map(({ seq, previousHash, hash, ...rest }) => rest)).to.deep.equal([first, second]);
        expect(await eventsAfter(subject.store, 0)).to.deep.equal(appended);
        expect(appended[1]!.previousHash).to.equal(appended[0]!.hash);
        expect(await subject.store.appendEvents([])).to.deep.equal([]);
        expect((await subject.store.eventChainHead()).seq).to.equal(2);
      });
    });

    describe("listEvents and readEvents", () => {
      let all: EventRecord[];
      let alice: string;
      let bob: string;
      let aliceKey: string;

      /** A trail with events about alice, by alice, in a tenant, of several types. */
      beforeEach(async () => {
        const tenant = tenantRecord();
        await subject.store.createTenant(tenant);
        alice = newUserId("alice");
        bob = newUserId("bob");
        await subject.store.createUser(userRecord({ userId: alice, tenantId: tenant.tenantId }));
        await subject.store.createUser(userRecord({ userId: bob }));
        const key = apiKeyRecord(alice);
        aliceKey = key.id;
        await subject.store.createApiKey(key, NO_CAP);
        // Alice acts on bob: her events by actor.
        await withEventContext({ actor: { userId: alice, apiKeyId: aliceKey }, client: {} }, async () => {
          await subject.store.updateUser(bob, (u) => ({ ...u, name: "bobby" }));
          await subject.store.createApiKey(apiKeyRecord(bob), NO_CAP);
        });
        await subject.store.updateApiKey(alice, aliceKey, (k) => ({ ...k, state: "disabled" }));
        await subject.store.appendEvents([newEvent({ subject: { apiKeyId: aliceKey, userId: alice, tenantId: tenant.tenantId }, time: at(1) })]);
        await subject.store.updateUser(alice, (u) => ({ ...u, name: "al" }));
        all = await eventsAfter(subject.store, 0);
        expect(all).to.have.length(9);
      });

      const seqs = (events: readonly EventRecord[]) => events.map((e) => e.seq);
      const newestFirst = (events: readonly EventRecord[]) => seqs(events).reverse();

      async function listAll(filter: Omit<Parameters<Store["listEvents"]>[0], "pageSize" | "pageToken">, pageSize = 2): Promise<number[]> {
        const listed: number[] = [];
        let pageToken = "";
        for (let pages = 0; pages < 50; pages++) {
          const page = await subject.store.listEvents({ ...filter, pageSize, pageToken });
          expect(page.items.length).to.be.at.most(pageSize);
          listed.push(...seqs(page.items));
          if (page.nextPageToken === "") return listed;
          pageToken = page.nextPageToken;
        }
        throw new Error("too many pages");
      }

      it("lists every event newest first, page by page", async () => {
        expect(await listAll({})).to.deep.equal(newestFirst(all));
        expect(await listAll({}, 100)).to.deep.equal(newestFirst(all));
        const first = await subject.store.listEvents({ pageSize: 3, pageToken: "" });
        expect(first.items).to.deep.equal(all.slice(-3).reverse());
      });

      it("filters by user (as subject or actor), key, tenant, type prefix, seq bounds and time, in any combination", async () => {
        const tenantId = all.find((e) => e.subject.userId === alice)!.subject.tenantId!;
        const aboutOrBy = all.filter((e) => e.subject.userId === alice || e.actor.userId === alice);
        expect(aboutOrBy.length).to.be.greaterThan(3);
        expect(await listAll({ userId: alice })).to.deep.equal(newestFirst(aboutOrBy));
        expect(await listAll({ userId: bob })).to.deep.equal(newestFirst(all.filter((e) => e.subject.userId === bob)));
        expect(await listAll({ apiKeyId: aliceKey })).to.deep.equal(newestFirst(all.filter((e) => e.subject.apiKeyId === aliceKey)));
        expect(await listAll({ tenantId })).to.deep.equal(newestFirst(all.filter((e) => e.subject.tenantId === tenantId)));
        expect(await listAll({ typePrefix: "api_key." })).to.deep.equal(newestFirst(all.filter((e) => e.type.startsWith("api_key."))));
        expect(await listAll({ typePrefix: "user.update" })).to.deep.equal(newestFirst(all.filter((e) => e.type === "user.update")));
        expect(await listAll({ typePrefix: "nothing." })).to.deep.equal([]);
        expect(await listAll({ userId: alice, typePrefix: "user." })).to.deep.equal(
          newestFirst(aboutOrBy.filter((e) => e.type.startsWith("user."))),
        );
        expect(await listAll({ userId: alice, apiKeyId: aliceKey, tenantId, typePrefix: "auth." })).to.deep.equal(
          newestFirst(all.filter((e) => e.type === "auth.fail")),
        );
        expect(await listAll({ userId: bob, tenantId })).to.deep.equal([]);
        expect(await listAll({ afterSeq: 3, beforeSeq: 7 })).to.deep.equal([6, 5, 4]);
        expect(await listAll({ userId: alice, afterSeq: 2, beforeSeq: 9 })).to.deep.equal(
          newestFirst(aboutOrBy.filter((e) => e.seq > 2 && e.seq < 9)),
        );
        // The appended auth.fail carries an old time; every other event is recent.
        const recent = new Date(Date.now() - 60_000);
        expect(await listAll({ since: recent })).to.deep.equal(newestFirst(all.filter((e) => e.time >= recent)));
        expect(await listAll({ since: at(1) })).to.deep.equal(newestFirst(all));
        expect(await listAll({ since: at(2) })).to.deep.equal(newestFirst(all.filter((e) => e.type !== "auth.fail")));
      });

      it("refuses a malformed page token and one issued for another filter", async () => {
        const page = await subject.store.listEvents({ pageSize: 2, pageToken: "", userId: alice });
        expect(page.nextPageToken).to.not.equal("");
        await expectStoreError(subject.store.listEvents({ pageSize: 2, pageToken: page.nextPageToken }), "invalid_argument");
        await expectStoreError(subject.store.listEvents({ pageSize: 2, pageToken: page.nextPageToken, userId: bob }), "invalid_argument");
        await expectStoreError(
          subject.store.listEvents({ pageSize: 2, pageToken: page.nextPageToken, userId: alice, typePrefix: "user." }),
          "invalid_argument",
        );
        await expectStoreError(subject.store.listEvents({ pageSize: 2, pageToken: "not-a-token" }), "invalid_argument");
        const users = await subject.store.listUsers({ pageSize: 1, pageToken: "" });
        await expectStoreError(subject.store.listEvents({ pageSize: 2, pageToken: users.nextPageToken }), "invalid_argument");
        const next = await subject.store.listEvents({ pageSize: 2, pageToken: page.nextPageToken, userId: alice });
        expect(next.items[0]!.seq).to.be.lessThan(page.items[1]!.seq);
      });

      it("reads events after a seq, oldest first, up to a limit, filtered", async () => {
        expect(await subject.store.readEvents(0, 100)).to.deep.equal(all);
        expect(seqs(await subject.store.readEvents(2, 3))).to.deep.equal([3, 4, 5]);
        expect(await subject.store.readEvents(9, 10)).to.deep.equal([]);
        const aboutOrBy = all.filter((e) => e.subject.userId === alice || e.actor.userId === alice);
        expect(await subject.store.readEvents(0, 100, { userId: alice })).to.deep.equal(aboutOrBy);
        expect(seqs(await subject.store.readEvents(aboutOrBy[1]!.seq, 2, { userId: alice }))).to.deep.equal(seqs(aboutOrBy.slice(2, 4)));
        expect(await subject.store.readEvents(0, 100, { apiKeyId: aliceKey, typePrefix: "api_key.update" })).to.deep.equal(
          all.filter((e) => e.type === "api_key.update" && e.subject.apiKeyId === aliceKey),
        );
      });
    });

    describe("pruning", () => {
      it("deletes the oldest events up to a limit per call, and the chain verifies from the moved anchor", async () => {
        const old = await subject.store.appendEvents(Array.from({ length: 5 }, (_, i) => newEvent({ time: at(i * 1000) })));
        await subject.store.createUser(userRecord());
        expect(await subject.store.pruneEvents(at(3_500), 2)).to.equal(2);
        expect(await subject.store.eventChainHead()).to.deep.equal({ seq: 6, prunedThroughSeq: 2, prunedThroughHash: old[1]!.hash });
        expect(await verifyChain(subject.store)).to.deep.equal({ broken: undefined, checked: 4 });
        expect(await subject.store.pruneEvents(at(3_500), 100)).to.equal(2);
        expect(await subject.store.pruneEvents(at(3_500), 100), "again").to.equal(0);
        const head = await subject.store.eventChainHead();
        expect(head).to.deep.equal({ seq: 6, prunedThroughSeq: 4, prunedThroughHash: old[3]!.hash });
        expect(seqs(await subject.store.readEvents(0, 10))).to.deep.equal([5, 6]);
        expect(await verifyChain(subject.store)).to.deep.equal({ broken: undefined, checked: 2 });
        // The chain goes on after pruning; no seq is reused.
        await subject.store.appendEvents([newEvent()]);
        expect((await subject.store.eventChainHead()).seq).to.equal(7);
        expect(await verifyChain(subject.store)).to.deep.equal({ broken: undefined, checked: 3 });
      });

      it("prunes only a prefix of the chain: a newer event stops it, whatever older ones follow", async () => {
        await subject.store.appendEvents([newEvent({ time: at(0) }), newEvent({ time: at(9_000) }), newEvent({ time: at(1) })]);
        expect(await subject.store.pruneEvents(at(5_000), 100)).to.equal(1);
        expect(seqs(await subject.store.readEvents(0, 10))).to.deep.equal([2, 3]);
        expect(await verifyChain(subject.store)).to.deep.equal({ broken: undefined, checked: 2 });
      });

      it("prunes every event once when two connections prune at once", async function () {
        const peer = await subject.openPeer();
        if (!peer) this.skip();
        try {
          await subject.store.appendEvents(Array.from({ length: 20 }, (_, i) => newEvent({ time: at(i) })));
          const pruned = await Promise.all([
            subject.store.pruneEvents(at(100), 7),
            peer.pruneEvents(at(100), 7),
            subject.store.pruneEvents(at(100), 7),
          ]);
          expect(pruned.reduce((a, b) => a + b, 0)).to.equal(20);
          expect((await peer.eventChainHead()).prunedThroughSeq).to.equal(20);
          expect(await subject.store.readEvents(0, 100)).to.deep.equal([]);
        } finally {
          await peer.close();
        }
      });

      const seqs = (events: readonly EventRecord[]) => events.map((e) => e.seq);
    });
  });
}
