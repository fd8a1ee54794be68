/**
 * `keyward events list|tail|verify` against a real server and its real SQLite file: the four kinds of
 * event of a key's life (created, disabled, used with a wrong secret, deleted) with actor and client in
 * the list; a tail that prints events as they come, resumes after the server restarts, and exits 0 on
 * Ctrl-C; and verify, which passes, then names the row a test edited, deleted, or the newest row deleted,
 * straight in the SQLite file.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { openDatabase } from "../../src/store/sqlite/connection.js";
import { generateKey } from "../../src/keys/index.js";
import { allServerOutput, issuedKeys } from "../e2e/support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "../e2e/support/server-process.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT_CLI = join(ROOT, "dist/src/cli/main.js");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("cli: keyward events", function () {
  this.timeout(90_000);
  let server: ServerProcess;
  let admin: string;
  let dataDir: string;

  before(async function () {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` (npm test builds first)`);
    server = await startServer({ args: ["--auth-fail-window", "1s"] });
    dataDir = server.dataDir;
    admin = server.adminKey();
    issuedKeys.add(admin);
  });
  after(async () => {
    if (server !== undefined) await server.stop();
    removeDataDir(dataDir);
  });

  function envFor(url = server.httpUrl): Record<string, string> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYWARD_"))) as Record<string, string>;
    return { ...base, KEYWARD_URL: url, KEYWARD_API_KEY: admin };
  }

  function start(args: string[], env = envFor()): { child: ChildProcess; done: Promise<Run>; stdout: () => string } {
    const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const done = new Promise<Run>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code) => {
        // A created key belongs on stdout of create alone; everything else joins the run's secret scan.
        allServerOutput.push(stderr);
        if (!args.includes("create")) allServerOutput.push(stdout);
        resolve({ code, stdout, stderr });
      });
    });
    return { child, done, stdout: () => stdout };
  }

  const keyward = (args: string[], env?: Record<string, string>) => start(args, env).done;

  async function ok(args: string[]): Promise<Run> {
    const run = await keyward(args);
    expect(run.code, `keyward ${args.join(" ")}\n${run.stderr}`).to.equal(0);
    return run;
  }

  async function until(read: () => string, pattern: RegExp, ms = 20_000): Promise<void> {
    const end = Date.now() + ms;
    while (!pattern.test(read())) {
      if (Date.now() > end) expect.fail(`no ${pattern} in:\n${read()}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it("lists a key created, disabled, used with a wrong secret and deleted as four kinds of event, with actor and client", async () => {
    await ok(["users", "create", "cli-ev-dana"]);
    const created = JSON.parse((await ok(["api-keys", "create", "--user-id", "cli-ev-dana", "--right-user-info", "--json"])).stdout) as { apiKey: { id: string }; key: string };
    issuedKeys.add(created.key);
    const keyId = created.apiKey.id;
    await ok(["api-keys", "update", keyId, "--user-id", "cli-ev-dana", "--state", "disabled"]);
    const wrong = generateKey(keyId).key;
    const refused = await keyward(["auth-info"], { ...envFor(), KEYWARD_API_KEY: wrong });
    expect(refused.code).to.equal(1);
    await ok(["api-keys", "delete", keyId, "--user-id", "cli-ev-dana"]);
    let types: string[] = [];
    const end = Date.now() + 10_000;
    let rows: Array<{ type: string; actor?: { userId?: string }; client?: { address?: string }; reason?: string }> = [];
    while (Date.now() < end) {
      rows = (JSON.parse((await ok(["events", "list", "--api-key-id", keyId, "--json"])).stdout) as { events: typeof rows }).events.reverse();
      types = rows.map((e) => e.type);
      if (types.includes("auth.fail")) break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    expect(types).to.have.members(["api_key.create", "api_key.update", "auth.fail", "api_key.delete"]);
    // A wrong secret is API_KEY_INVALID whatever the key's state (the answer an unknown id gets).
    expect(rows.find((e) => e.type === "auth.fail")!.reason).to.equal("API_KEY_INVALID");
    for (const row of rows.filter((e) => e.type !== "auth.fail")) expect([row.actor?.userId, row.client?.address]).to.deep.equal(["admin", "127.0.0.1"]);
    const table = (await ok(["events", "list", "--api-key-id", keyId])).stdout;
    expect(table.split("\n")[0]).to.match(/^ID\s+TIME\s+TYPE\s+ACTOR\s+SUBJECT\s+CLIENT\s+DETAIL$/);
    expect(table).to.match(/api_key\.update\s+admin key \S+\s+user cli-ev-dana key \S+\s+127\.0\.0\.1\s+state: "active" -> "disabled"/);
  });

  it("refuses a bad filter with the field named, exit 1", async () => {
    const run = await keyward(["events", "list", "--type", "API*"]);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain("INVALID_ARGUMENT VALIDATION_FAILED").and.contain("- type:");
  });

  it("tails events as they are written, resumes after the server restarts, and exits 0 on Ctrl-C", async () => {
    const tail = start(["events", "tail", "--type", "user.create", "--json"]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await ok(["users", "create", "cli-ev-tail-1"]);
    await until(tail.stdout, /cli-ev-tail-1/);
    // The server stops and comes back on the same ports and data: the tail resumes after what it printed.
    const { httpUrl } = server;
    const port = new URL(httpUrl).port;
    const grpcPort = server.grpcAddress.split(":").at(-1)!;
    expect(await server.stop()).to.equal(0);
    server = await startServer({ dataDir, args: ["--http-addr", `127.0.0.1:${port}`, "--grpc-addr", `127.0.0.1:${grpcPort}`, "--auth-fail-window", "1s"] });
    await ok(["users", "create", "cli-ev-tail-2"]);
    await until(tail.stdout, /cli-ev-tail-2/);
    tail.child.kill("SIGINT");
    const run = await tail.done;
    expect(run.code, run.stderr).to.equal(0);
    const printed = run.stdout.trim().split("\n").map((line) => (JSON.parse(line) as { subject: { userId: string } }).subject.userId);
    expect(printed).to.deep.equal(["cli-ev-tail-1", "cli-ev-tail-2"]);
  });

  it("verify passes, then names an edited row, a deleted row and a deleted newest row, straight in the SQLite file", async () => {
    const file = join(dataDir, "keyward.db");
    for (const userId of ["cli-ev-v1", "cli-ev-v2", "cli-ev-v3", "cli-ev-v4"]) await ok(["users", "create", userId]);
    const verify = () => keyward(["events", "verify", "--store", `sqlite:${file}`, "--page-size", "7"]);
    const clean = await verify();
    expect(clean.code, clean.stdout + clean.stderr).to.equal(0);
    expect(clean.stdout).to.match(/OK: \d+ events, chain intact/);
    await server.stop(); // nothing appends while the rows are changed
    const db = openDatabase(file);
    try {
      const { n } = db.prepare("SELECT MAX(seq) AS n FROM events").get() as { n: number };
      expect(n).to.be.greaterThan(10);
      const type = (db.prepare("SELECT type FROM events WHERE seq = 5").get() as { type: string }).type;
      db.prepare("UPDATE events SET type = 'user.delete' WHERE seq = 5").run();
      let run = await verify();
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain("BROKEN at event 0000000000000005 (edited)");
      db.prepare("UPDATE events SET type = ? WHERE seq = 5").run(type);
      expect((await verify()).code).to.equal(0);
      db.prepare("DELETE FROM events WHERE seq = 8").run();
      run = await verify();
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain("BROKEN at event 0000000000000009 (missing): events 8 to 8 are missing");
    } finally {
      db.close();
    }
    // A fresh copy of the same trail where only the newest row is gone.
    const db2 = openDatabase(file);
    try {
      const { n } = db2.prepare("SELECT MAX(seq) AS n FROM events").get() as { n: number };
      db2.prepare("DELETE FROM events WHERE seq < 10").run();
      db2.prepare("UPDATE event_chain SET pruned_through_seq = 9, pruned_through_hash = (SELECT previous_hash FROM events WHERE seq = 10)").run();
      expect((await verify()).code).to.equal(0);
      db2.prepare("DELETE FROM events WHERE seq = ?").run(n);
      const run = await verify();
      expect(run.code).to.equal(1);
      expect(run.stdout).to.contain(`BROKEN at event ${String(n).padStart(16, "0")} (head)`);
    } finally {
      db2.close();
    }
    server = await startServer({ dataDir, args: ["--auth-fail-window", "1s"] });
  });

  it("verify explains a store it cannot open and bad flags", async () => {
    const missing = await keyward(["events", "verify", "--store", "postgres://x"]);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain("unknown store");
    const bad = await keyward(["events", "verify", "--page-size", "0"]);
    expect(bad.code).to.equal(2);
    const help = await keyward(["events", "--help"]);
    expect(help.stdout).to.contain("list").and.contain("tail").and.contain("verify");
  });
});
