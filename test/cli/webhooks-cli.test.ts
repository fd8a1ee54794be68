/**
 * `keyward webhooks …` (the built CLI) against a real server and a receiver on 127.0.0.1: create prints
 * the secret once under its notice, and no other command prints it; list, get, update, test and delete
 * read as documented; bad usage exits 2 and an API refusal 1 with its reason.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { useServer } from "../e2e/support/server-process.js";
import { startReceiver, type Receiver } from "../e2e/support/webhook-receiver.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT_CLI = join(ROOT, "dist/src/cli/main.js");
const SECRET = /whsec_[A-Za-z0-9_-]{43}/;

describe("cli: keyward webhooks", function () {
  this.timeout(60_000);
  // The receiver is on 127.0.0.1, which webhooks reach only when the operator lists it.
  const ctx = useServer({ args: ["--webhook-target-networks", "127.0.0.1/32"] });
  let receiver: Receiver;

  before(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` (npm test builds first)`);
    receiver = await startReceiver();
  });
  after(() => receiver?.close());

  function keyward(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYWARD_"))), KEYWARD_URL: ctx.server.httpUrl, KEYWARD_API_KEY: ctx.admin };
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BUILT_CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("creates a webhook, printing its secret once with the notice; the other commands never print it", async () => {
    const created = await keyward(["webhooks", "create", "--webhook-url", receiver.url, "--event", "api_key.", "--event", "auth.fail"]);
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout).to.contain("Copy the signing secret now: it will not be shown again.").and.match(/Events:\s+api_key\., auth\.fail/);
    const secret = SECRET.exec(created.stdout)![0];
    receiver.secret = secret;
    const webhookId = /Webhook ID:\s+(\S+)/.exec(created.stdout)![1]!;

    const listed = await keyward(["webhooks", "list"]);
    expect(listed.stdout.split("\n")[0]).to.match(/^ID\s+URL\s+EVENTS\s+ENABLED\s+PENDING\s+DELIVERED\s+FAILED\s+LAST ERROR$/);
    expect(listed.stdout).to.contain(webhookId).and.contain(receiver.url);
    const got = await keyward(["webhooks", "get", webhookId, "--json"]);
    expect(JSON.parse(got.stdout).webhook).to.include({ webhookId, url: receiver.url, enabled: true });

    const tested = await keyward(["webhooks", "test", webhookId]);
    expect(tested.code).to.equal(0);
    expect(tested.stdout).to.equal("Sent test event 0000000000000000 (webhook.test): the receiver answered HTTP 204.\n");
    expect(receiver.attempts.at(-1)).to.include({ signed: true });

    const disabled = await keyward(["webhooks", "update", webhookId, "--disable", "--all-events"]);
    expect(disabled.stdout).to.match(/Enabled:\s+no/).and.match(/Events:\s+all/);
    receiver.policy = () => "fail";
    const failing = await keyward(["webhooks", "test", webhookId]);
    expect(failing.code).to.equal(1);
    expect(failing.stdout).to.contain("the receiver failed: HTTP 500");

    for (const run of [listed, got, tested, disabled, failing]) expect(run.stdout + run.stderr).to.not.contain(secret.slice(6));
    const deleted = await keyward(["webhooks", "delete", webhookId]);
    expect(deleted.stdout).to.equal(`Deleted webhook ${webhookId}.\n`);
    const gone = await keyward(["webhooks", "get", webhookId]);
    expect(gone.code).to.equal(1);
    expect(gone.stderr).to.contain("NOT_FOUND WEBHOOK_NOT_FOUND");
    expect(ctx.server.output()).to.not.contain(secret.slice(6));
  });

  it("exits 2 on bad usage and 1 with the field named on a bad URL", async () => {
    const none = await keyward(["webhooks", "update", "AAAA"]);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.contain("nothing to update");
    const both = await keyward(["webhooks", "update", "AAAA", "--enable", "--disable"]);
    expect(both.code).to.equal(2);
    const missing = await keyward(["webhooks", "create"]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("--webhook-url");
    const plain = await keyward(["webhooks", "create", "--webhook-url", "http://hooks.example.com/x"]);
    expect(plain.code).to.equal(1);
    expect(plain.stderr).to.contain("INVALID_ARGUMENT VALIDATION_FAILED").and.contain("webhook.url");
  });
});
