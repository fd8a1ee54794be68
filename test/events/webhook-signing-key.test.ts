// The signing key webhook secrets are derived from: made private next to a SQLite database on first
// start and the same on every later start or concurrent worker, read from a named file, refused when
// too short, and absent (with the reason) for MongoDB without a file.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { loadWebhookSigningKey, newSecretSalt, SIGNING_KEY_FILE_NAME, WebhookSigningKey } from "../../src/events/webhook-signing-key.js";

describe("webhook signing key", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "keyward-signing-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const sqlite = () => ({ kind: "sqlite" as const, path: join(dir, "keyward.db") });

  it("is made 0600 next to a SQLite database once, then read again with the same secrets", () => {
    const first = loadWebhookSigningKey(undefined, sqlite());
    if (!first.ok) throw new Error(first.problem);
    expect(first.created).to.equal(true);
    expect(first.path).to.equal(join(dir, SIGNING_KEY_FILE_NAME));
    expect(statSync(first.path!).mode & 0o777).to.equal(0o600);
    const again = loadWebhookSigningKey(undefined, sqlite());
    if (!again.ok) throw new Error(again.problem);
    expect(again.created).to.equal(false);
    expect(again.key.secretOf("HOOK", "salt")).to.equal(first.key.secretOf("HOOK", "salt"));
  });

  it("derives whsec_ secrets that differ by webhook and salt and need the key", () => {
    const key = new WebhookSigningKey(Buffer.alloc(32, 1));
    const secret = key.secretOf("HOOK", "salt");
    expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(key.secretOf("HOOK2", "salt")).to.not.equal(secret);
    expect(key.secretOf("HOOK", newSecretSalt())).to.not.equal(secret);
    expect(new WebhookSigningKey(Buffer.alloc(32, 2)).secretOf("HOOK", "salt")).to.not.equal(secret);
  });

  it("reads a named file, and refuses one that is missing or too short", () => {
    const file = join(dir, "given.key");
    writeFileSync(file, "0123456789abcdef0123456789abcdef0123\n", { mode: 0o600 });
    const given = loadWebhookSigningKey(file, { kind: "mongodb", url: "mongodb://db/keyward" });
    expect(given.ok && given.path).to.equal(file);
    writeFileSync(file, "short\n");
    const short = loadWebhookSigningKey(file, sqlite());
    expect(short.ok ? "" : short.problem).to.contain("shorter than 32 characters");
    const missing = loadWebhookSigningKey(join(dir, "nope.key"), sqlite());
    expect(missing.ok ? "" : missing.problem).to.contain("ENOENT");
    expect(readFileSync(file, "utf8")).to.equal("short\n");
  });

  it("is missing for MongoDB without a file, saying why", () => {
    const result = loadWebhookSigningKey(undefined, { kind: "mongodb", url: "mongodb://db/keyward" });
    expect(result.ok ? "" : result.problem).to.contain("--webhook-signing-key-file").and.contain("every node");
  });

  it("flags a key file others can read", () => {
    const file = join(dir, "open.key");
    writeFileSync(file, "0123456789abcdef0123456789abcdef0123\n", { mode: 0o644 });
    const result = loadWebhookSigningKey(file, sqlite());
    expect(result.ok && result.shared).to.equal(true);
  });
});
