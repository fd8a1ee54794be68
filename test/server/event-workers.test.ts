// The events' workers composed for each store: SQLite makes its signing key next to the database;
// MongoDB without --webhook-signing-key-file starts with no sender (and says why), so WebhookRegistry
// refuses to create or test with WEBHOOK_SIGNING_KEY_MISSING; a named key file that cannot be read stops
// the start, naming the flag.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { createContextValues } from "@connectrpc/connect";
import { CreateWebhookRequestSchema } from "../../gen/keyward/v1/webhook_pb.js";
import { expect } from "chai";
import { kPrincipal } from "../../src/authn/principal.js";
import { KeywardError } from "../../src/errors/errors.js";
import { createLogger } from "../../src/logger.js";
import { loadConfig } from "../../src/server/config.js";
import { createEventWorkers } from "../../src/server/event-workers.js";
import { createWebhookRegistry } from "../../src/services/webhook-registry.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";

function configOf(flags: Record<string, string>) {
  const result = loadConfig(flags, {});
  if (!result.ok) throw new Error(result.problems.join("; "));
  return result.config;
}

describe("event workers", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "keyward-workers-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("on MongoDB without a key file: no sender, a warning saying why, and WebhookRegistry refuses with WEBHOOK_SIGNING_KEY_MISSING", async () => {
    const store = openSqliteStore(":memory:");
    const lines: string[] = [];
    try {
      const config = configOf({ store: "mongodb://127.0.0.1:1/keyward", "data-dir": dir });
      const workers = createEventWorkers(config, { store, outbox: store }, createLogger("info", (line) => lines.push(line)), () => {});
      expect(workers.sender).to.equal(undefined);
      expect(lines.join("")).to.contain("webhooks are not sent by this process").and.contain("--webhook-signing-key-file");
      const registry = createWebhookRegistry({ store, sender: undefined, targets: workers.targets, maxWebhooksPerScope: 20, now: Date.now });
      const values = createContextValues().set(kPrincipal, { user: { userId: "root", admin: true } } as never);
      const refused = await Promise.resolve(registry.createWebhook(create(CreateWebhookRequestSchema, { webhook: { url: "https://hooks.example.com/" } }), { values } as never)).catch((e: unknown) => e);
      expect(refused).to.be.instanceOf(KeywardError);
      expect((refused as KeywardError).reason).to.equal("WEBHOOK_SIGNING_KEY_MISSING");
      expect((await store.listWebhooks({ pageSize: 10, pageToken: "" })).items).to.deep.equal([]);
    } finally {
      await store.close();
    }
  });

  it("refuses to start with a named key file it cannot read, naming the flag", async () => {
    const store = openSqliteStore(":memory:");
    try {
      const config = configOf({ "data-dir": dir, "webhook-signing-key-file": join(dir, "missing.key") });
      expect(() => createEventWorkers(config, { store, outbox: store }, createLogger("error", () => {}), () => {})).to.throw(/--webhook-signing-key-file: cannot read .*missing\.key: ENOENT/);
    } finally {
      await store.close();
    }
  });

  it("on SQLite makes the key next to the database and signs with it", async () => {
    const store = openSqliteStore(":memory:");
    try {
      const workers = createEventWorkers(configOf({ "data-dir": dir }), { store, outbox: store }, createLogger("error", () => {}), () => {});
      expect(workers.sender?.secretOf({ webhookId: "W", secretSalt: "s" })).to.match(/^whsec_/);
    } finally {
      await store.close();
    }
  });
});
