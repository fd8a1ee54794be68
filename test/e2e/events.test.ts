/**
 * Events over the real server (ARCHITECTURE.md, "Events"): every mutating call on every door records its
 * event with its actor and client; refused credentials become aggregated `auth.fail` events and
 * successful calls none; ListEvents validates its filters and keeps a tenant admin to its tenant; and
 * StreamEvents tails the trail on the gRPC and Connect doors, resumes from an event id, is refused on
 * gRPC-Web and REST, and ends cleanly when the server stops.
 */
import * as grpc from "@grpc/grpc-js";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import {
  EventRegistry,
  StreamEventsRequestSchema,
  StreamEventsResponseSchema,
  type Event,
  type StreamEventsRequest,
} from "../../gen/keyward/v1/event_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { WebhookRegistry } from "../../gen/keyward/v1/webhook_pb.js";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import { generateKey, ID_LENGTH } from "../../src/keys/index.js";
import { openDoors, type DoorName, type Doors } from "./support/doors.js";
import { ok, uniqueUserId } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, useServer, type ServerProcess } from "./support/server-process.js";

const PASSWORD = "correct horse battery staple";
const USER_AGENT = "events-e2e/1.0";
const UA = { "user-agent": USER_AGENT };

/** Every event of `userId`, oldest first, as the admin lists them. */
async function eventsOf(doors: Doors, admin: string, filter: { userId?: string; type?: string; apiKeyId?: string }): Promise<Event[]> {
  const all: Event[] = [];
  let pageToken = "";
  do {
    const page = ok(await doors.call("connect", EventRegistry.method.listEvents, { ...filter, pageSize: 1000, pageToken }, admin));
    all.push(...page.events);
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return all.reverse();
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("events (e2e)", function () {
  this.timeout(120_000);
  const ctx = useServer({ args: ["--auth-fail-window", "1s"] });

  describe("every mutating call on every door records its event, with actor and client", () => {
    for (const door of ["grpc", "connect", "grpc-web"] as const satisfies readonly DoorName[]) {
      it(`over ${door}: create user → key → update → regenerate → delete key → password → sign in → sign out → delete user`, async () => {
        const { doors, admin } = ctx;
        const adminKeyId = admin.split(".")[1]!;
        const userId = uniqueUserId(`ev-${door}`);
        ok(await doors.call(door, UserRegistry.method.createUser, { user: { userId, name: userId } }, admin, UA));
        const created = ok(await doors.call(door, ApiKeyRegistry.method.createApiKey, { userId, name: "k", rights: [Right.USER_INFO] }, admin, UA));
        issuedKeys.add(created.key);
        const keyId = created.apiKey!.id;
        ok(
          await doors.call(
            door,
            ApiKeyRegistry.method.updateApiKey,
            { apiKey: { userId, id: keyId, rights: [Right.USER_INFO, Right.USER_SETTINGS_BASIC] }, updateMask: { paths: ["rights"] } },
            admin,
            UA,
          ),
        );
        const regenerated = ok(await doors.call(door, ApiKeyRegistry.method.regenerateApiKey, { userId, keyId }, admin, UA));
        issuedKeys.add(regenerated.key);
        ok(await doors.call(door, ApiKeyRegistry.method.deleteApiKey, { userId, keyId }, admin, UA));
        ok(await doors.call(door, UserRegistry.method.updatePassword, { userId, newPassword: PASSWORD }, admin, UA));
        const signedIn = ok(await doors.call(door, SessionRegistry.method.createSession, { userId, password: PASSWORD }, undefined, UA));
        issuedKeys.add(signedIn.token);
        const sessionId = signedIn.session!.id;
        ok(await doors.call(door, SessionRegistry.method.deleteSession, { userId, sessionId }, signedIn.token, UA));
        ok(await doors.call(door, UserRegistry.method.deleteUser, { userId }, admin, UA));

        const events = await eventsOf(doors, admin, { userId });
        expect(events.map((e) => e.type)).to.deep.equal([
          "user.create",
          "api_key.create",
          "api_key.update",
          "api_key.regenerate",
          "api_key.delete",
          "user.password.update",
          "session.create",
          "session.delete",
          "user.delete",
        ]);
        const byAdmin = { userId: "admin", apiKeyId: adminKeyId, sessionId: "" };
        const actors = events.map((e) => ({ userId: e.actor!.userId, apiKeyId: e.actor!.apiKeyId, sessionId: e.actor!.sessionId }));
        expect(actors).to.deep.equal([
          byAdmin,
          byAdmin,
          byAdmin,
          byAdmin,
          byAdmin,
          byAdmin,
          { userId, apiKeyId: "", sessionId: "" },
          { userId, apiKeyId: "", sessionId },
          byAdmin,
        ]);
        for (const event of events) {
          expect(event.client, event.type).to.deep.include({ address: "127.0.0.1" });
          // grpc-js sends its own User-Agent, whatever the metadata says.
          expect(event.client!.userAgent, event.type).to.contain(door === "grpc" ? "grpc-node-js" : USER_AGENT);
          expect(event.subject!.userId, event.type).to.equal(userId);
        }
        expect(events.filter((e) => e.type.startsWith("api_key.")).map((e) => e.subject!.apiKeyId)).to.deep.equal([keyId, keyId, keyId, keyId]);
        expect(events.find((e) => e.type === "api_key.update")!.changed).to.deep.include({
          $typeName: "keyward.v1.EventChange",
          field: "rights",
          before: JSON.stringify([Right.USER_INFO]),
          after: JSON.stringify([Right.USER_INFO, Right.USER_SETTINGS_BASIC]),
        });
        // Never a secret, a token or a hash.
        const text = JSON.stringify(events, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
        for (const secret of [created.key, regenerated.key, signedIn.token, PASSWORD]) expect(text).to.not.contain(secret.split(".").at(-1));
      });
    }
  });

  describe("auth.fail", () => {
    it("aggregates refused credentials per key, reason and address into one event with a count, seen by the key's owner", async () => {
      const { doors, fx, admin } = ctx;
      const owner = await fx.actor([Right.USER_INFO, Right.USER_EVENTS_READ]);
      // The owner's key id with another (well-formed) secret: API_KEY_INVALID about an existing key.
      const wrong = generateKey(owner.apiKey.id).key;
      const calls = 7;
      for (let i = 0; i < calls; i++) {
        const refused = await doors.call("connect", AuthService.method.getAuthInfo, {}, wrong, UA);
        expect(refused.ok).to.equal(false);
      }
      // One malformed credential: no id, aggregated under an empty one.
      await doors.call("grpc", AuthService.method.getAuthInfo, {}, "NNSXS.not-a-key");
      // Calls slowed by a busy machine may straddle a window's end: then two events share the count.
      const counted = (events: Event[]) => events.reduce((sum, e) => sum + e.count, 0);
      const fails = await eventually(
        () => eventsOf(doors, owner.key, { userId: owner.userId, type: "auth.fail" }),
        (events) => counted(events) >= calls,
      );
      expect(counted(fails)).to.equal(calls);
      expect(fails.length, "aggregated: fewer events than refusals").to.be.below(calls);
      for (const fail of fails) {
        expect(fail).to.deep.include({ reason: "API_KEY_INVALID" });
        expect(fail.subject).to.deep.include({ userId: owner.userId, apiKeyId: owner.apiKey.id });
        expect(fail.client).to.deep.include({ address: "127.0.0.1", userAgent: USER_AGENT });
      }
      const malformed = await eventually(
        () => eventsOf(doors, admin, { type: "auth.fail" }),
        (events) => events.some((e) => e.reason === "CREDENTIALS_MALFORMED"),
      );
      expect(malformed.find((e) => e.reason === "CREDENTIALS_MALFORMED")!.subject!.apiKeyId).to.equal("");
    });

    it("records a refusal for missing rights with the principal as actor, and a failed sign-in about the user named", async () => {
      const { doors, fx, admin } = ctx;
      const narrow = await fx.actor([Right.USER_INFO]);
      const refused = await doors.call("grpc", UserRegistry.method.deleteUser, { userId: narrow.userId }, narrow.key);
      expect(refused.ok || refused.reason).to.equal("INSUFFICIENT_RIGHTS");
      ok(await doors.call("connect", UserRegistry.method.updatePassword, { userId: narrow.userId, newPassword: PASSWORD }, admin));
      const login = await doors.call("connect", SessionRegistry.method.createSession, { userId: narrow.userId, password: "not the password at all" });
      expect(login.ok || login.reason).to.equal("LOGIN_FAILED");
      const fails = await eventually(
        () => eventsOf(doors, admin, { userId: narrow.userId, type: "auth.fail" }),
        (events) => events.length >= 2,
      );
      const rights = fails.find((e) => e.reason === "INSUFFICIENT_RIGHTS")!;
      expect(rights.actor).to.deep.include({ userId: narrow.userId, apiKeyId: narrow.apiKey.id });
      expect(rights.subject).to.deep.include({ userId: narrow.userId, apiKeyId: narrow.apiKey.id });
      const signIn = fails.find((e) => e.reason === "LOGIN_FAILED")!;
      expect(signIn.subject!.userId).to.equal(narrow.userId);
      expect(signIn.count).to.equal(1);
    });

    it("writes no event for successful calls: the chain's head stays where it was", async () => {
      const { doors, fx, admin } = ctx;
      const caller = await fx.actor([Right.USER_INFO]);
      // The key's first use is recorded in the background (no event), and any earlier window flushed.
      ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, caller.key));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const head = async () => ok(await doors.call("connect", EventRegistry.method.listEvents, { pageSize: 1 }, admin)).events[0]!.id;
      const before = await head();
      for (let i = 0; i < 50; i++) ok(await doors.call(i % 2 === 0 ? "grpc" : "connect", AuthService.method.getAuthInfo, {}, caller.key));
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a whole auth.fail window
      expect(await head()).to.equal(before);
    });

    it("records no event in any method declared without side effects, on every door, after a write's event context ended", async () => {
      const { doors, fx, admin } = ctx;
      const caller = await fx.actor([Right.USER_INFO]);
      const tenantId = `ro-${process.pid}`;
      ok(await doors.call("grpc", TenantRegistry.method.createTenant, { tenant: { tenantId, name: tenantId } }, admin));
      // A write with a context first: the reads below run after it ended (the storage is then disabled).
      const written = await eventually(
        () => eventsOf(doors, admin, { type: "tenant.create" }),
        (events) => events.some((e) => e.subject?.tenantId === tenantId),
      );
      expect(written.find((e) => e.subject?.tenantId === tenantId)!.actor!.apiKeyId).to.not.equal("");
      ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, caller.key));
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // the key's first use, and any auth.fail window
      const calls = {
        "keyward.v1.AuthService.GetAuthInfo": (door: DoorName) => doors.call(door, AuthService.method.getAuthInfo, {}, caller.key),
        "keyward.v1.UserRegistry.GetUser": (door: DoorName) => doors.call(door, UserRegistry.method.getUser, { userId: caller.userId }, admin),
        "keyward.v1.UserRegistry.ListUsers": (door: DoorName) => doors.call(door, UserRegistry.method.listUsers, { pageSize: 5 }, admin),
        "keyward.v1.ApiKeyRegistry.GetApiKey": (door: DoorName) => doors.call(door, ApiKeyRegistry.method.getApiKey, { userId: caller.userId, keyId: caller.apiKey.id }, admin),
        "keyward.v1.ApiKeyRegistry.ListApiKeys": (door: DoorName) => doors.call(door, ApiKeyRegistry.method.listApiKeys, { userId: caller.userId }, admin),
        "keyward.v1.SessionRegistry.ListSessions": (door: DoorName) => doors.call(door, SessionRegistry.method.listSessions, { userId: caller.userId }, admin),
        "keyward.v1.TenantRegistry.GetTenant": (door: DoorName) => doors.call(door, TenantRegistry.method.getTenant, { tenantId }, admin),
        "keyward.v1.TenantRegistry.ListTenants": (door: DoorName) => doors.call(door, TenantRegistry.method.listTenants, {}, admin),
        "keyward.v1.EventRegistry.ListEvents": (door: DoorName) => doors.call(door, EventRegistry.method.listEvents, { pageSize: 1 }, admin),
        "keyward.v1.WebhookRegistry.ListWebhooks": (door: DoorName) => doors.call(door, WebhookRegistry.method.listWebhooks, {}, admin),
        // Refused as not found: still the method's whole path, and a refusal records no event either.
        "keyward.v1.WebhookRegistry.GetWebhook": (door: DoorName) => doors.call(door, WebhookRegistry.method.getWebhook, { webhookId: "A".repeat(ID_LENGTH) }, admin),
      };
      // Every unary method so declared is here (StreamEvents, a stream, is tailed by its own tests).
      const declared = [AuthService, UserRegistry, ApiKeyRegistry, SessionRegistry, TenantRegistry, EventRegistry, WebhookRegistry]
        .flatMap((service) => service.methods)
        .filter((m) => m.idempotency === MethodOptions_IdempotencyLevel.NO_SIDE_EFFECTS && m.methodKind === "unary")
        .map((m) => `${m.parent.typeName}.${m.name}`);
      expect(Object.keys(calls).sort()).to.deep.equal(declared.sort());
      const head = async () => ok(await doors.call("connect", EventRegistry.method.listEvents, { pageSize: 1 }, admin)).events[0]!.id;
      const before = await head();
      for (const door of ["grpc", "connect", "grpc-web"] as const) {
        for (const [name, call] of Object.entries(calls)) {
          const answer = await call(door);
          expect(answer.ok || answer.reason, `${name} on ${door}`).to.equal(name.endsWith("GetWebhook") ? "WEBHOOK_NOT_FOUND" : true);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a whole auth.fail window
      expect(await head()).to.equal(before);
    });
  });

  describe("ListEvents", () => {
    it("refuses bad filters with VALIDATION_FAILED naming each field", async () => {
      const { doors, admin } = ctx;
      const refused = await doors.call("grpc", EventRegistry.method.listEvents, { type: "API_KEY*", pageSize: 5000, afterId: "42", apiKeyId: "short" }, admin);
      expect(refused.ok || refused.reason).to.equal("VALIDATION_FAILED");
      const message = refused.ok ? "" : refused.message;
      for (const field of ["type", "page_size", "after_id", "api_key_id"]) expect(message).to.contain(field);
    });

    it("needs RIGHT_USER_EVENTS_READ for one's own events and RIGHT_ADMIN_EVENTS_READ for anyone's or everyone's", async () => {
      const { doors, fx } = ctx;
      const reader = await fx.actor([Right.USER_EVENTS_READ]);
      const other = await fx.user();
      ok(await doors.call("grpc", EventRegistry.method.listEvents, { userId: reader.userId }, reader.key));
      const everyone = await doors.call("grpc", EventRegistry.method.listEvents, {}, reader.key);
      expect(everyone.ok || everyone.reason).to.equal("INSUFFICIENT_RIGHTS");
      const another = await doors.call("connect", EventRegistry.method.listEvents, { userId: other }, reader.key);
      expect(another.ok || another.reason).to.equal("INSUFFICIENT_RIGHTS");
      const withoutRight = await fx.actor([Right.USER_INFO]);
      const own = await doors.call("connect", EventRegistry.method.listEvents, { userId: withoutRight.userId }, withoutRight.key);
      expect(own.ok || own.reason).to.equal("INSUFFICIENT_RIGHTS");
    });

    it("keeps a tenant admin to its tenant: every user's list holds its tenant's events only, another tenant's user is USER_NOT_FOUND", async () => {
      const { doors, fx, admin } = ctx;
      const tenantA = `ev-a-${process.pid}`;
      const tenantB = `ev-b-${process.pid}`;
      for (const tenantId of [tenantA, tenantB]) ok(await doors.call("connect", TenantRegistry.method.createTenant, { tenant: { tenantId, name: tenantId } }, admin));
      const tenantAdmin = uniqueUserId("ev-ta");
      ok(await doors.call("connect", UserRegistry.method.createUser, { user: { userId: tenantAdmin, name: "a", admin: true, tenantId: tenantA } }, admin));
      const inB = uniqueUserId("ev-b");
      ok(await doors.call("connect", UserRegistry.method.createUser, { user: { userId: inB, name: "b", tenantId: tenantB } }, admin));
      const key = (await fx.key(tenantAdmin, [Right.ADMIN_EVENTS_READ])).key;
      const seen = ok(await doors.call("grpc", EventRegistry.method.listEvents, { pageSize: 1000 }, key)).events;
      expect(seen.length).to.be.greaterThan(0);
      expect(seen.every((e) => e.subject!.tenantId === tenantA), JSON.stringify(seen.map((e) => e.subject))).to.equal(true);
      const outside = await doors.call("grpc", EventRegistry.method.listEvents, { userId: inB }, key);
      expect(outside.ok || outside.reason).to.equal("USER_NOT_FOUND");
    });

    it("is GET /api/v1/events over REST, and StreamEvents has no REST route", async () => {
      const { server, admin } = ctx;
      const listed = await fetch(`${server.httpUrl}/api/v1/events?type=user.&pageSize=2`, { headers: { authorization: `Bearer ${admin}` } });
      expect(listed.status).to.equal(200);
      const body = (await listed.json()) as { events: Array<{ type: string; id: string }> };
      expect(body.events).to.have.length(2);
      expect(body.events.every((e) => e.type.startsWith("user.") && /^\d{16}$/.test(e.id))).to.equal(true);
      const streamed = await fetch(`${server.httpUrl}/api/v1/events:stream`, { headers: { authorization: `Bearer ${admin}` } });
      expect(streamed.status).to.equal(404);
    });
  });

  describe("StreamEvents", () => {
    it("tails new events over Connect and resumes after an event id", async () => {
      const { server, doors, admin } = ctx;
      const client = createClient(EventRegistry, createConnectTransport({ baseUrl: server.httpUrl, httpVersion: "1.1" }));
      const abort = new AbortController();
      const stream = client.streamEvents({ type: "user.create" }, { headers: { authorization: `Bearer ${admin}` }, signal: abort.signal })[Symbol.asyncIterator]();
      const first = stream.next();
      await new Promise((resolve) => setTimeout(resolve, 300)); // the stream is open
      const ids = [uniqueUserId("ev-tail"), uniqueUserId("ev-tail")];
      for (const userId of ids) ok(await doors.call("grpc", UserRegistry.method.createUser, { user: { userId, name: userId } }, admin));
      const a = (await first).value!.event!;
      const b = (await stream.next()).value!.event!;
      expect([a.subject!.userId, b.subject!.userId]).to.deep.equal(ids);
      abort.abort();
      // Resumed after the first: the second comes again, nothing before it.
      const resumed = client.streamEvents({ type: "user.create", afterId: a.id }, { headers: { authorization: `Bearer ${admin}` } })[Symbol.asyncIterator]();
      const again = (await resumed.next()).value!.event!;
      expect(again.id).to.equal(b.id);
      await resumed.return?.();
    });

    it("tails over gRPC through the same authorization: refused without the right, then events as they are written", async () => {
      const { server, doors, fx, admin } = ctx;
      const narrow = await fx.actor([Right.USER_INFO]);
      const refused = await grpcStream(server.grpcAddress, narrow.key, { userId: narrow.userId }, 0);
      expect(refused.status.code).to.equal(grpc.status.PERMISSION_DENIED);
      const reader = await fx.actor([Right.USER_EVENTS_READ, Right.USER_SETTINGS_API_KEYS, Right.USER_INFO]);
      const pending = grpcStream(server.grpcAddress, reader.key, { userId: reader.userId, type: "api_key." }, 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      const key = ok(await doors.call("connect", ApiKeyRegistry.method.createApiKey, { userId: reader.userId, name: "tail", rights: [Right.USER_INFO] }, reader.key));
      issuedKeys.add(key.key);
      const got = await pending;
      expect(got.events.map((e) => [e.type, e.subject!.apiKeyId])).to.deep.equal([["api_key.create", key.apiKey!.id]]);
      void admin;
    });

    it("is refused on gRPC-Web with UNIMPLEMENTED / STREAMING_UNSUPPORTED", async () => {
      const { server, admin } = ctx;
      const response = await fetch(`${server.httpUrl}/keyward.v1.EventRegistry/StreamEvents`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", authorization: `Bearer ${admin}` },
        body: new Uint8Array([0, 0, 0, 0, 0]),
      });
      expect(response.headers.get("grpc-status") ?? (await trailerStatus(response))).to.equal(String(grpc.status.UNIMPLEMENTED));
    });

    it("ends with EVENTS_STREAM_BEHIND's sibling refusals: an after_id past the newest event is VALIDATION_FAILED", async () => {
      const { server, admin } = ctx;
      const result = await grpcStream(server.grpcAddress, admin, { afterId: "9999999999999999" }, 0);
      expect(result.status.code).to.equal(grpc.status.INVALID_ARGUMENT);
      expect(result.status.details).to.contain("after_id");
    });
  });

  describe("a stopping server", () => {
    let server: ServerProcess | undefined;
    after(() => {
      if (server) removeDataDir(server.dataDir);
    });

    it("ends open streams cleanly on both doors and exits 0", async () => {
      server = await startServer();
      const admin = server.adminKey();
      issuedKeys.add(admin);
      const doors = openDoors(server.httpUrl, server.grpcAddress);
      try {
        const overGrpc = grpcStream(server.grpcAddress, admin, {}, Infinity);
        const client = createClient(EventRegistry, createConnectTransport({ baseUrl: server.httpUrl, httpVersion: "1.1" }));
        const overConnect = (async () => {
          let n = 0;
          for await (const _ of client.streamEvents({}, { headers: { authorization: `Bearer ${admin}` } })) n++;
          return n;
        })();
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(await server.stop()).to.equal(0);
        const grpcEnd = await overGrpc;
        expect(grpcEnd.status.code).to.equal(grpc.status.OK);
        expect(await overConnect).to.equal(0);
      } finally {
        doors.close();
      }
    });
  });
});

/** Opens a gRPC stream and collects `count` events (or until it ends), then cancels it. */
function grpcStream(
  address: string,
  key: string,
  request: { userId?: string; type?: string; afterId?: string },
  count: number,
): Promise<{ events: Event[]; status: { code: number; details: string } }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set("authorization", `Bearer ${key}`);
  const call = client.makeServerStreamRequest(
    "/keyward.v1.EventRegistry/StreamEvents",
    (m: StreamEventsRequest) => Buffer.from(toBinary(StreamEventsRequestSchema, m)),
    (b: Buffer) => fromBinary(StreamEventsResponseSchema, b),
    create(StreamEventsRequestSchema, request),
    metadata,
  );
  const events: Event[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (status: { code: number; details: string }) => {
      if (done) return;
      done = true;
      client.close();
      resolve({ events, status });
    };
    call.on("data", (response: { event?: Event }) => {
      events.push(response.event!);
      if (events.length >= count) {
        finish({ code: grpc.status.OK, details: "" });
        call.cancel();
      }
    });
    call.on("error", (error: grpc.ServiceError) => finish({ code: error.code, details: error.details }));
    call.on("status", (status: grpc.StatusObject) => finish({ code: status.code, details: status.details }));
  });
}

/** The grpc-status in a gRPC-Web body's trailer frame. */
async function trailerStatus(response: Response): Promise<string | null> {
  const body = Buffer.from(await response.arrayBuffer());
  const text = body.toString("latin1");
  return /grpc-status:\s*(\d+)/.exec(text)?.[1] ?? null;
}
