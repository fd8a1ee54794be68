/**
 * The built `keyward` CLI (`node dist/src/cli/main.js`, as users run it) against a real server: every
 * command, `--json` parsed back, the generated rights flags, usage errors (exit 2), API errors (exit 1)
 * and the rule that the `--api-key` value and a key's secret never reach output they should not.
 * Independent runs are started together: each spawn costs about 0.3 s.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { Right, RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { generateKey } from "../../src/keys/index.js";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { allServerOutput, issuedKeys } from "../e2e/support/secret-scan.js";
import { useServer } from "../e2e/support/server-process.js";
import { PACKAGES, requirePackages } from "../support/test-packages.js";
import { reasonOfBody } from "../support/error-reasons.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUILT_CLI = join(ROOT, "dist/src/cli/main.js");
const KEY_PATTERN = /NNSXS\.[A-Z2-7]{39}\.[A-Z2-7]{52}/g;
const NOTICE = "Copy the key now: it will not be shown again.";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface JsonKey {
  id: string;
  userId: string;
  name?: string;
  rights: string[];
  state: string;
  expiresAt?: string;
  createdAt: string;
  previousSecretValidUntil?: string;
}

interface JsonUser {
  userId: string;
  name?: string;
  email?: string;
  admin?: boolean;
  state: string;
}

const secretOf = (key: string) => key.split(".")[2]!;

describe("cli: the keyward command against a real server", function () {
  // Each spawn of node costs 0.3 to 1 s depending on the machine's load; some tests chain a dozen.
  this.timeout(60_000);
  const ctx = useServer();
  let userCounter = 0;
  const newUserId = (prefix = "cli") => `${prefix}-${process.pid}-${++userCounter}`;

  /** Key files the tests write; removed after the file. */
  let scratch: string;

  before(function () {
    if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` (npm test builds first)`);
    scratch = mkdtempSync(join(tmpdir(), "keyward-cli-"));
  });
  after(() => rmSync(scratch, { recursive: true, force: true }));

  /**
   * Runs the built CLI. By default KEYWARD_URL points at the test server and KEYWARD_API_KEY is the
   * admin key; `env` entries set to undefined are removed.
   */
  function keyward(args: string[], env: Record<string, string | undefined> = {}, stdin?: string): Promise<Run> {
    const base: Record<string, string | undefined> = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("KEYWARD_")));
    const merged = { ...base, KEYWARD_URL: ctx.server.httpUrl, KEYWARD_API_KEY: ctx.admin, ...env };
    const finalEnv = Object.fromEntries(Object.entries(merged).filter((entry): entry is [string, string] => entry[1] !== undefined));
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BUILT_CLI, ...args], { cwd: ROOT, env: finalEnv, stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
      if (stdin !== undefined) child.stdin!.end(stdin);
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.once("error", reject);
      child.once("close", (code) => {
        for (const key of stdout.match(KEY_PATTERN) ?? []) issuedKeys.add(key);
        // Keys belong on stdout of create, regenerate and rotate-self only; everything else joins the run's secret scan.
        allServerOutput.push(stderr);
        if (!args.some((arg) => ["create", "regenerate", "rotate-self"].includes(arg))) allServerOutput.push(stdout);
        resolve({ code, stdout, stderr });
      });
    });
  }

  async function ok(args: string[], env?: Record<string, string | undefined>): Promise<Run> {
    const run = await keyward(args, env);
    expect(run.code, `keyward ${args.join(" ")}\n${run.stderr}`).to.equal(0);
    return run;
  }

  async function json<T>(args: string[], env?: Record<string, string | undefined>): Promise<T> {
    return JSON.parse((await ok([...args, "--json"], env)).stdout) as T;
  }

  async function createUser(userId: string, ...flags: string[]): Promise<JsonUser> {
    return (await json<{ user: JsonUser }>(["users", "create", userId, ...flags])).user;
  }

  async function createKey(userId: string, ...flags: string[]): Promise<{ apiKey: JsonKey; key: string }> {
    return json<{ apiKey: JsonKey; key: string }>(["api-keys", "create", "--user-id", userId, ...flags]);
  }

  describe("help", () => {
    it("prints the package's version with --version and -V", async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
      const [long, short] = await Promise.all([ok(["--version"]), ok(["-V"])]);
      expect(long.stdout).to.equal(`${version}\n`);
      expect(short.stdout).to.equal(`${version}\n`);
    });

    it("documents every command with examples, and the create/update commands offer a flag for every right", async () => {
      const [root, users, keys, create, update] = await Promise.all([
        ok(["--help"]),
        ok(["users", "--help"]),
        ok(["api-keys", "--help"]),
        ok(["api-keys", "create", "--help"]),
        ok(["api-keys", "update", "--help"]),
      ]);
      expect(root.stdout).to.contain("auth-info").and.contain("users").and.contain("api-keys").and.contain("serve").and.contain("bootstrap").and.contain("Examples:");
      for (const command of ["create", "get", "list", "update", "delete"]) expect(users.stdout).to.contain(command);
      for (const command of ["create", "get", "list", "update", "delete", "regenerate", "rotate-self"]) expect(keys.stdout).to.contain(command);
      const rights = RightSchema.values.filter((v) => v.number !== 0);
      expect(rights.length).to.be.greaterThan(5);
      for (const help of [create.stdout, update.stdout]) {
        for (const right of rights) expect(help).to.contain(`--${right.name.toLowerCase().replaceAll("_", "-")} `);
        expect(help).to.not.contain("--right-invalid");
        expect(help).to.contain("--rights <names>").and.contain("--url <url>").and.contain("KEYWARD_API_KEY").and.contain("Examples:");
      }
      expect(create.stdout).to.contain(NOTICE);
      expect(create.stdout).to.contain("--rate-limit <calls/period>").and.contain("--refill <uses/period>").and.contain("--metadata <key=value>").and.contain("is metered");
      expect(update.stdout).to.contain("--no-rate-limit").and.contain("--no-remaining-uses").and.contain("--no-refill").and.contain("--no-metadata");
    });
  });

  describe("auth-info and where the key and URL come from", () => {
    it("reads KEYWARD_URL and KEYWARD_API_KEY, --api-key-file and --url, and prints the caller", async () => {
      const file = join(scratch, "admin.key");
      writeFileSync(file, `\n  ${ctx.admin}  \n`, { mode: 0o600 });
      const [fromEnv, fromFile, human, help] = await Promise.all([
        json<{ user: JsonUser; apiKey: JsonKey; rights: string[] }>(["auth-info"]),
        json<{ user: JsonUser }>(["auth-info", "--url", ctx.server.httpUrl, "--api-key-file", file], { KEYWARD_URL: "http://127.0.0.1:1", KEYWARD_API_KEY: undefined }),
        ok(["whoami"]),
        // The default URL is read from the help, never called: whatever serves 127.0.0.1:8080 on this
        // machine (a developer's `npm start`) is not this test's server and must not get its admin key.
        ok(["--help"], { KEYWARD_URL: undefined }),
      ]);
      expect(fromEnv.user.userId).to.equal("admin");
      expect(fromEnv.user.admin).to.equal(true);
      expect(fromEnv.apiKey.id).to.equal(ctx.admin.split(".")[1]);
      expect(fromEnv.rights).to.include.members(["RIGHT_ALL", "RIGHT_USER_INFO", "RIGHT_ADMIN_API_KEYS"]);
      expect(fromFile.user.userId).to.equal("admin");
      expect(human.stdout).to.match(/User ID:\s+admin/).and.match(/Rights:\s+RIGHT_ALL/).and.contain("RIGHT_ADMIN_USERS_WRITE");
      expect(help.stdout).to.match(/--url <url>\s[^]*?\(default:\s+"http:\/\/127\.0\.0\.1:8080"/);
    });

    it("warns when --api-key is given on the command line, and a key file beats KEYWARD_API_KEY", async () => {
      const file = join(scratch, "bad.key");
      writeFileSync(file, "not-a-key-but-a-secret-nonetheless\n");
      const [flag, fileWins] = await Promise.all([
        keyward(["auth-info", "--api-key", ctx.admin], { KEYWARD_API_KEY: undefined }),
        keyward(["auth-info", "--api-key-file", file]),
      ]);
      expect(flag.code).to.equal(0);
      expect(flag.stderr).to.contain("warning: --api-key").and.contain("KEYWARD_API_KEY").and.contain("--api-key-file");
      expect(fileWins.code).to.equal(1);
      expect(fileWins.stderr).to.contain("UNAUTHENTICATED CREDENTIALS_MALFORMED");
      expect(fileWins.stdout + fileWins.stderr).to.not.contain("not-a-key-but-a-secret-nonetheless");
    });
  });

  describe("users", () => {
    it("create, get, update and delete, in human and --json output", async () => {
      const userId = newUserId();
      const created = await createUser(userId, "--name", "Ada Lovelace", "--email", "ada@example.com");
      expect(created).to.include({ userId, name: "Ada Lovelace", email: "ada@example.com", state: "USER_STATE_ACTIVE" });
      expect(created.admin ?? false).to.equal(false);

      const [human, got] = await Promise.all([ok(["users", "get", userId]), json<{ user: JsonUser }>(["users", "info", userId])]);
      expect(human.stdout).to.match(new RegExp(`User ID:\\s+${userId}\\n`)).and.match(/Email:\s+ada@example\.com/).and.match(/Admin:\s+no/);
      expect(got.user).to.deep.include({ userId, name: "Ada Lovelace" });

      const updated = (await json<{ user: JsonUser }>(["users", "update", userId, "--name", "Ada", "--admin", "--state", "suspended"])).user;
      expect(updated).to.include({ name: "Ada", email: "ada@example.com", admin: true, state: "USER_STATE_SUSPENDED" });
      const back = (await json<{ user: JsonUser }>(["users", "set", userId, "--no-admin", "--state", "active"])).user;
      expect(back.admin ?? false).to.equal(false);
      expect(back.state).to.equal("USER_STATE_ACTIVE");

      expect((await ok(["users", "delete", userId])).stdout).to.contain(`Deleted user ${userId}`);
      const gone = await keyward(["users", "get", userId]);
      expect(gone.code).to.equal(1);
      expect(gone.stderr).to.contain("error: NOT_FOUND USER_NOT_FOUND:").and.contain(userId);
    });

    it("lists one page at a time, hints at the next, follows --page-token and walks every page with --all", async () => {
      const ids = await Promise.all(Array.from({ length: 5 }, () => ctx.fx.user()));
      const [first, table, all, allTable] = await Promise.all([
        json<{ users: JsonUser[]; nextPageToken: string; totalSize: number }>(["users", "list", "--page-size", "2"]),
        ok(["users", "ls", "--page-size", "2"]),
        json<{ users: JsonUser[]; nextPageToken?: string; totalSize: number }>(["users", "list", "--page-size", "2", "--all"]),
        ok(["users", "list", "--page-size", "2", "--all"]),
      ]);
      expect(first.users).to.have.length(2);
      expect(first.nextPageToken).to.be.a("string").and.not.equal("");
      expect(first.totalSize).to.be.at.least(6);
      const lines = table.stdout.trimEnd().split("\n");
      expect(lines).to.have.length(3);
      expect(lines[0]).to.match(/^USER ID\s+TENANT\s+NAME\s+EMAIL\s+ADMIN\s+STATE\s+CREATED$/);
      expect(lines[1]!.indexOf(" active ") > 0 && lines[1]!.indexOf("active")).to.equal(lines[0]!.indexOf("STATE"));
      expect(table.stderr).to.contain("--page-token").and.contain("--all");

      const second = await json<{ users: JsonUser[] }>(["users", "list", "--page-size", "2", "--page-token", first.nextPageToken]);
      expect(second.users).to.have.length(2);
      expect(second.users.map((u) => u.userId)).to.not.include.members(first.users.map((u) => u.userId));

      expect(all.users).to.have.length(all.totalSize);
      expect(all.nextPageToken ?? "").to.equal("");
      expect(all.users.map((u) => u.userId)).to.include.members([...ids, "admin"]);
      expect(allTable.stdout.trimEnd().split("\n")).to.have.length(all.totalSize + 1);
      expect(allTable.stderr).to.not.contain("--page-token");
    });
  });

  describe("tenants", () => {
    interface JsonTenant {
      tenantId: string;
      name?: string;
      createdAt: string;
      updatedAt: string;
    }

    it("create, get, list, update and delete, in human and --json output; delete is refused while the tenant has users", async () => {
      const tenantId = newUserId("tenant");
      const created = await ok(["tenants", "create", tenantId, "--name", "Acme Corp"]);
      expect(created.stdout).to.match(new RegExp(`^Tenant ID:\\s+${tenantId}\\nName:\\s+Acme Corp\\nCreated:\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\nUpdated:\\s+\\d{4}-`));
      const [got, info, list] = await Promise.all([
        json<{ tenant: JsonTenant }>(["tenants", "get", tenantId]),
        ok(["tenant", "info", tenantId]),
        ok(["tenants", "list", "--all"]),
      ]);
      expect(got.tenant).to.include({ tenantId, name: "Acme Corp" });
      expect(info.stdout).to.equal(created.stdout);
      const [header, ...rows] = list.stdout.trimEnd().split("\n");
      expect(header).to.match(/^TENANT ID\s+NAME\s+CREATED$/);
      const row = rows.find((line) => line.startsWith(`${tenantId} `));
      expect(row, list.stdout).to.match(new RegExp(`^${tenantId}\\s+Acme Corp\\s+\\d{4}-`));
      expect(row!.indexOf("Acme Corp")).to.equal(header!.indexOf("NAME"));

      const renamed = await json<{ tenant: JsonTenant }>(["tenants", "update", tenantId, "--name", "Acme Inc."]);
      expect(renamed.tenant).to.include({ tenantId, name: "Acme Inc." });

      const member = await createUser(newUserId(), "--tenant", tenantId);
      const refused = await keyward(["tenants", "delete", tenantId]);
      expect(refused.code, refused.stderr).to.equal(1);
      expect(refused.stderr).to.match(/^error: FAILED_PRECONDITION TENANT_NOT_EMPTY: /).and.contain(tenantId);
      expect(refused.stderr).to.contain("hint: `keyward users list --tenant <tenant-id>` lists the tenant's users\n");
      expect(refused.stdout).to.equal("");

      await ok(["users", "delete", member.userId]);
      expect((await ok(["tenants", "rm", tenantId])).stdout).to.equal(`Deleted tenant ${tenantId}.\n`);
      const gone = await keyward(["tenants", "get", tenantId]);
      expect(gone.code).to.equal(1);
      expect(gone.stderr).to.contain("error: NOT_FOUND TENANT_NOT_FOUND:").and.contain(tenantId);
    });

    it("pages through tenants with --page-size, --page-token and --all", async () => {
      const ids = [newUserId("tenant"), newUserId("tenant"), newUserId("tenant")];
      for (const id of ids) await ok(["tenants", "create", id]);
      const first = await json<{ tenants: JsonTenant[]; nextPageToken: string; totalSize: number }>(["tenants", "list", "--page-size", "2"]);
      expect(first.tenants).to.have.length(2);
      expect(first.totalSize).to.be.at.least(3);
      const [table, rest, all] = await Promise.all([
        ok(["tenants", "ls", "--page-size", "2"]),
        json<{ tenants: JsonTenant[] }>(["tenants", "list", "--page-size", "2", "--page-token", first.nextPageToken]),
        json<{ tenants: JsonTenant[]; totalSize: number }>(["tenants", "list", "--page-size", "2", "--all"]),
      ]);
      expect(table.stderr).to.contain("--page-token").and.contain("--all");
      expect(rest.tenants.map((t) => t.tenantId)).to.not.include.members(first.tenants.map((t) => t.tenantId));
      expect(all.tenants).to.have.length(all.totalSize);
      expect(all.tenants.map((t) => t.tenantId)).to.include.members(ids);
    });

    it("users create --tenant makes tenant users and admins; a tenant admin's key lists, creates and reaches only its tenant's users", async () => {
      const [acme, globex] = [newUserId("acme"), newUserId("globex")];
      await Promise.all([ok(["tenants", "create", acme]), ok(["tenants", "create", globex])]);
      const acmeAdmin = newUserId("acme-admin");
      const created = await ok(["users", "create", acmeAdmin, "--tenant", acme, "--admin"]);
      expect(created.stdout).to.match(new RegExp(`^User ID:\\s+${acmeAdmin}\\nTenant:\\s+${acme}\\n`)).and.match(/Admin:\s+yes/);
      const globexUser = (await createUser(newUserId("globex-user"), "--tenant", globex)) as JsonUser & { tenantId?: string };
      expect(globexUser.tenantId).to.equal(globex);
      const systemUser = await createUser(newUserId("system-user"));
      expect((systemUser as JsonUser & { tenantId?: string }).tenantId ?? "").to.equal("");

      const { key } = await createKey(acmeAdmin, "--right-all");
      const asAcme = { KEYWARD_API_KEY: key };
      const made = (await json<{ user: JsonUser & { tenantId?: string } }>(["users", "create", newUserId("acme-user")], asAcme)).user;
      expect(made.tenantId, "a tenant admin's user lands in its tenant").to.equal(acme);

      const [listed, table, bySystem, otherTenant, otherUser, systemOne, tenants, elsewhere] = await Promise.all([
        json<{ users: (JsonUser & { tenantId?: string })[]; totalSize: number }>(["users", "list", "--all"], asAcme),
        ok(["users", "list"], asAcme),
        json<{ users: (JsonUser & { tenantId?: string })[]; totalSize: number }>(["users", "list", "--tenant", acme, "--all"]),
        keyward(["users", "list", "--tenant", globex], asAcme),
        keyward(["users", "get", globexUser.userId], asAcme),
        keyward(["api-keys", "list", "--user-id", systemUser.userId], asAcme),
        keyward(["tenants", "list"], asAcme),
        keyward(["users", "create", newUserId("moved"), "--tenant", globex], asAcme),
      ]);
      expect(listed.users.map((u) => u.userId).sort()).to.deep.equal([acmeAdmin, made.userId].sort());
      expect(listed.totalSize).to.equal(2);
      expect(listed.users.every((u) => u.tenantId === acme)).to.equal(true);
      expect(table.stdout.trimEnd().split("\n").slice(1).map((line) => line.split(/\s+/).slice(0, 2))).to.have.deep.members([
        [acmeAdmin, acme],
        [made.userId, acme],
      ]);
      expect(bySystem.users.map((u) => u.userId).sort()).to.deep.equal([acmeAdmin, made.userId].sort());
      for (const run of [otherTenant, otherUser, systemOne, tenants, elsewhere]) {
        expect(run.code, run.stderr).to.equal(1);
        expect(run.stdout).to.equal("");
      }
      expect(otherTenant.stderr).to.match(/^error: NOT_FOUND TENANT_NOT_FOUND: /);
      expect(otherUser.stderr).to.match(/^error: NOT_FOUND USER_NOT_FOUND: /).and.contain(globexUser.userId);
      expect(systemOne.stderr).to.match(/^error: NOT_FOUND USER_NOT_FOUND: /);
      expect(tenants.stderr).to.match(/^error: PERMISSION_DENIED INSUFFICIENT_RIGHTS: .*RIGHT_ADMIN_TENANTS/);
      expect(elsewhere.stderr).to.match(/^error: NOT_FOUND TENANT_NOT_FOUND: /);

      const whoami = await ok(["auth-info"], asAcme);
      expect(whoami.stdout).to.match(new RegExp(`User\\n  User ID:\\s+${acmeAdmin}\\n  Tenant:\\s+${acme}\\n`));
      expect(whoami.stdout).to.not.contain("RIGHT_ADMIN_TENANTS");
    });

    it("documents the tenants commands and --tenant, and refuses an update with nothing to change", async () => {
      const [help, create, usersCreate, usersList, empty] = await Promise.all([
        ok(["tenants", "--help"]),
        ok(["tenants", "create", "--help"]),
        ok(["users", "create", "--help"]),
        ok(["users", "list", "--help"]),
        keyward(["tenants", "update", "acme"], { KEYWARD_URL: "http://127.0.0.1:1" }),
      ]);
      for (const command of ["create", "get", "list", "update", "delete"]) expect(help.stdout).to.contain(command);
      expect(create.stdout).to.contain("--name <name>").and.contain("Examples:").and.contain("keyward users create acme-admin --tenant acme --admin");
      expect(usersCreate.stdout).to.contain("--tenant <tenant-id>").and.contain("keyward users create acme-admin --tenant acme --admin");
      expect(usersList.stdout).to.contain("--tenant <tenant-id>");
      expect(empty.code).to.equal(2);
      expect(empty.stderr).to.contain("nothing to update: give --name").and.contain("--help");
    });
  });

  describe("api-keys", () => {
    it("--rate-limit, --remaining-uses, --refill and --metadata set a key's limits; get shows them; update changes and --no-* clears them", async () => {
      const userId = await ctx.fx.user();
      type Limited = JsonKey & { rateLimit?: { requests: number; period: string }; remainingUses?: number; refill?: { amount: number; period: string }; nextRefillAt?: string; metadata?: Record<string, string> };
      const created = await json<{ apiKey: Limited; key: string }>([
        "api-keys", "create", "--user-id", userId, "--right-user-info",
        "--rate-limit", "100/60s", "--remaining-uses", "1000", "--refill", "1000/1d", "--metadata", "plan=pro", "--metadata", "region=eu=west",
      ]);
      expect(created.apiKey.rateLimit).to.deep.equal({ requests: 100, period: "60s" });
      expect(created.apiKey.remainingUses).to.equal(1000);
      expect(created.apiKey.refill).to.deep.equal({ amount: 1000, period: "86400s" });
      expect(Date.parse(created.apiKey.nextRefillAt!) - Date.parse(created.apiKey.createdAt)).to.be.within(86_399_000, 86_401_000);
      expect(created.apiKey.metadata).to.deep.equal({ plan: "pro", region: "eu=west" });
      const keyId = created.apiKey.id;
      const get = await ok(["api-keys", "get", "--user-id", userId, keyId]);
      expect(get.stdout).to.match(/Rate limit:\s+100 calls per 1m\n/).and.match(/Remaining uses:\s+1000\n/).and.match(/Refill:\s+1000 uses every 1d, next 20/);
      expect(get.stdout).to.match(/Metadata:\s+plan=pro, region=eu=west\n/);
      const changed = await json<{ apiKey: Limited }>(["api-keys", "update", "--user-id", userId, keyId, "--rate-limit", "5/s", "--remaining-uses", "3", "--metadata", "plan=free"]);
      expect(changed.apiKey.rateLimit).to.deep.equal({ requests: 5, period: "1s" });
      expect(changed.apiKey.remainingUses).to.equal(3);
      expect(changed.apiKey.refill, "a refill not named stays").to.deep.equal({ amount: 1000, period: "86400s" });
      expect(changed.apiKey.metadata).to.deep.equal({ plan: "free" });
      const cleared = await json<{ apiKey: Limited }>(["api-keys", "update", "--user-id", userId, keyId, "--no-rate-limit", "--no-remaining-uses", "--no-metadata"]);
      expect([cleared.apiKey.rateLimit, cleared.apiKey.remainingUses, cleared.apiKey.refill, cleared.apiKey.nextRefillAt]).to.deep.equal([undefined, undefined, undefined, undefined]);
      expect(cleared.apiKey.metadata ?? {}).to.deep.equal({});
      const plain = await ok(["api-keys", "get", "--user-id", userId, keyId]);
      expect(plain.stdout).to.not.match(/Rate limit|Remaining uses|Refill|Metadata/);
      const bad = await keyward(["api-keys", "create", "--user-id", userId, "--right-user-info", "--rate-limit", "0/1d", "--refill", "5/1d", "--metadata", "bad key=x"]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain("VALIDATION_FAILED").and.contain("rate_limit.requests: must be 1 to 1,000,000").and.contain("refill: needs remaining_uses").and.contain("metadata: key `bad key`");
    });

    it("rotate-self gives the key it runs with a new secret, printed once, with --grace keeping the old one, which may not rotate the key again", async () => {
      const userId = await ctx.fx.user();
      const { apiKey, key } = await createKey(userId, "--right-user-info", "--remaining-uses", "50");
      const human = await ok(["api-keys", "rotate-self", "--grace", "1h"], { KEYWARD_API_KEY: key });
      const [rotated] = human.stdout.match(KEY_PATTERN) ?? [];
      expect(rotated!.split(".")[1]).to.equal(apiKey.id);
      expect(rotated).to.not.equal(key);
      expect(human.stdout).to.contain(NOTICE).and.match(/Old secret valid until:\s+20/).and.match(/Remaining uses:\s+\d+/);
      expect(human.stdout.split(secretOf(rotated!))).to.have.length(2);
      // The old secret works during its grace but may not rotate the key again.
      const again = await keyward(["api-keys", "rotate-self"], { KEYWARD_API_KEY: key });
      expect(again.code).to.equal(1);
      expect(again.stderr).to.contain("PERMISSION_DENIED API_KEY_SECRET_SUPERSEDED");
      const viaJson = await json<{ apiKey: JsonKey; key: string }>(["api-keys", "rotate-self"], { KEYWARD_API_KEY: rotated });
      expect(viaJson.apiKey.id).to.equal(apiKey.id);
      expect((await keyward(["auth-info"], { KEYWARD_API_KEY: rotated })).code, "without --grace the previous secret stops at once").to.equal(1);
      const help = await ok(["api-keys", "rotate-self", "--help"]);
      expect(help.stdout).to.contain("--grace <duration>").and.contain("needs no right").and.contain("Examples:");
    });

    it("--allowed-ip (repeatable) on create and update sets the key's networks, get and list show them, --any-ip clears them", async () => {
      const userId = await ctx.fx.user();
      const created = await json<{ apiKey: JsonKey & { allowedIps?: string[] }; key: string }>([
        "api-keys", "create", "--user-id", userId, "--right-user-info", "--allowed-ip", "127.0.0.1", "--allowed-ip", "2001:DB8::/32,10.0.0.0/8",
      ]);
      expect(created.apiKey.allowedIps).to.deep.equal(["127.0.0.1/32", "2001:db8::/32", "10.0.0.0/8"]);
      const keyId = created.apiKey.id;
      const [get, list] = await Promise.all([ok(["api-keys", "get", "--user-id", userId, keyId]), ok(["api-keys", "list", "--user-id", userId])]);
      expect(get.stdout).to.match(/Allowed networks:\s+127\.0\.0\.1\/32, 2001:db8::\/32, 10\.0\.0\.0\/8/);
      expect(list.stdout).to.contain("127.0.0.1/32,2001:db8::/32,10.0.0.0/8");
      const narrowed = await json<{ apiKey: { allowedIps?: string[] } }>(["api-keys", "update", "--user-id", userId, keyId, "--allowed-ip", "192.0.2.0/24"]);
      expect(narrowed.apiKey.allowedIps).to.deep.equal(["192.0.2.0/24"]);
      const cleared = await json<{ apiKey: { allowedIps?: string[] } }>(["api-keys", "update", "--user-id", userId, keyId, "--any-ip"]);
      expect(cleared.apiKey.allowedIps ?? []).to.deep.equal([]);
      const bad = await keyward(["api-keys", "create", "--user-id", userId, "--right-user-info", "--allowed-ip", "10.1.2.3/8"]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.contain("allowed_ips[0]").and.contain("10.0.0.0/8");
    });

    it("create with rights flags prints the key once; list, get, update, regenerate and delete never print it", async () => {
      const userId = await ctx.fx.user();
      const created = await ok(["api-keys", "create", "--user-id", userId, "--name", "ci", "--right-user-info", "--right-user-settings-api-keys", "--expires-in", "90d"]);
      const key = created.stdout.match(KEY_PATTERN)?.[0];
      expect(key, created.stdout).to.be.a("string");
      expect(created.stdout.split(secretOf(key!))).to.have.length(2);
      expect(created.stdout).to.contain(NOTICE).and.match(/Rights:\s+RIGHT_USER_INFO, RIGHT_USER_SETTINGS_API_KEYS/);
      expect(created.stdout.trimEnd().endsWith(key!)).to.equal(true);
      const keyId = key!.split(".")[1]!;

      const [list, listJson, get, getJson] = await Promise.all([
        ok(["api-keys", "list", "--user-id", userId]),
        json<{ apiKeys: JsonKey[]; totalSize: number }>(["api-keys", "ls", "--user-id", userId]),
        ok(["api-keys", "get", "--user-id", userId, keyId]),
        json<{ apiKey: JsonKey }>(["api-keys", "info", "--user-id", userId, keyId]),
      ]);
      // Only after `get` has shown "never": a call with the key records its use a moment later.
      const own = await json<{ user: JsonUser; apiKey: JsonKey; rights: string[] }>(["auth-info"], { KEYWARD_API_KEY: key });
      const [header, row] = list.stdout.split("\n");
      expect(header).to.match(/^ID\s+NAME\s+STATE\s+RIGHTS\s+CREATED\s+EXPIRES\s+LAST USED\s+LAST IP\s+NETWORKS$/);
      expect(row!.split(/\s+/).slice(0, 4)).to.deep.equal([keyId, "ci", "active", "USER_INFO,USER_SETTINGS_API_KEYS"]);
      expect(row!.indexOf("USER_INFO")).to.equal(header!.indexOf("RIGHTS"));
      expect(listJson.totalSize).to.equal(1);
      expect(listJson.apiKeys[0]).to.include({ id: keyId, userId, name: "ci", state: "API_KEY_STATE_ACTIVE" });
      expect(get.stdout).to.match(new RegExp(`ID:\\s+${keyId}`)).and.match(/Last used:\s+never/);
      expect(getJson.apiKey.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_API_KEYS"]);
      const days = (Date.parse(getJson.apiKey.expiresAt!) - Date.now()) / 86_400_000;
      expect(days).to.be.within(89.9, 90.1);
      expect(own.user.userId).to.equal(userId);
      expect(own.rights).to.deep.equal(["RIGHT_USER_INFO", "RIGHT_USER_SETTINGS_API_KEYS"]);

      const updated = await json<{ apiKey: JsonKey }>(["api-keys", "update", "--user-id", userId, keyId, "--name", "ci-2", "--rights", "user_info", "--state", "disabled", "--expiry", "2099-01-31T00:00:00Z"]);
      expect(updated.apiKey).to.deep.include({ name: "ci-2", rights: ["RIGHT_USER_INFO"], state: "API_KEY_STATE_DISABLED", expiresAt: "2099-01-31T00:00:00Z" });
      const [disabled, active] = await Promise.all([
        json<{ apiKeys: JsonKey[] }>(["api-keys", "list", "--user-id", userId, "--state", "disabled", "--query", "CI-"]),
        json<{ apiKeys?: JsonKey[] }>(["api-keys", "list", "--user-id", userId, "--state", "active"]),
      ]);
      const never = await json<{ apiKey: JsonKey }>(["api-keys", "set", "--user-id", userId, keyId, "--no-expiry", "--state", "active"]);
      expect(disabled.apiKeys.map((k) => k.id)).to.deep.equal([keyId]);
      expect(active.apiKeys ?? []).to.deep.equal([]);
      expect(never.apiKey.expiresAt).to.equal(undefined);

      const regenerated = await ok(["api-keys", "regenerate", "--user-id", userId, keyId, "--grace-period", "1h"]);
      const newKey = regenerated.stdout.match(KEY_PATTERN)?.[0];
      expect(newKey).to.be.a("string").and.not.equal(key);
      expect(newKey!.split(".")[1]).to.equal(keyId);
      expect(regenerated.stdout).to.contain(NOTICE).and.match(/Old secret valid until:\s+\d{4}-/);
      const again = await json<{ apiKey: JsonKey; key: string }>(["api-keys", "regenerate", "--user-id", userId, keyId]);
      expect(again.key).to.match(/^NNSXS\./).and.not.equal(newKey);

      // Only create and regenerate print a secret.
      const readers = [list, listJson, get, getJson, own, updated, disabled, never].map((r) => JSON.stringify(r));
      for (const secret of [key!, newKey!, again.key].map(secretOf)) for (const text of readers) expect(text).to.not.contain(secret);

      expect((await ok(["api-keys", "rm", "--user-id", userId, keyId])).stdout).to.contain(`Deleted API key ${keyId}`);
      const gone = await keyward(["api-keys", "get", "--user-id", userId, keyId]);
      expect(gone.code).to.equal(1);
      expect(gone.stderr).to.contain("error: NOT_FOUND API_KEY_NOT_FOUND:");
    });

    it("accepts --rights in full or short names and any case, repeated, with --expiry", async () => {
      const userId = await ctx.fx.user({ admin: true });
      const created = await createKey(userId, "--rights", "user_info,Right_Admin_Users_Read", "--rights", "ADMIN-API-KEYS", "--right-user-all", "--expiry", "2099-06-01T12:00:00+02:00");
      expect(created.apiKey.rights).to.have.members(["RIGHT_USER_INFO", "RIGHT_ADMIN_USERS_READ", "RIGHT_ADMIN_API_KEYS", "RIGHT_USER_ALL"]);
      expect(created.apiKey.expiresAt).to.equal("2099-06-01T10:00:00Z");
      expect(created.key).to.match(/^NNSXS\./);
    });

    it("walks more than one page of keys with --all", async () => {
      const userId = await ctx.fx.user();
      await Promise.all([1, 2, 3].map((n) => ctx.fx.key(userId, [Right.USER_INFO], { name: `k${n}` })));
      const [page, all] = await Promise.all([
        json<{ apiKeys: JsonKey[]; nextPageToken: string }>(["api-keys", "list", "--user-id", userId, "--page-size", "2"]),
        ok(["api-keys", "list", "--user-id", userId, "--page-size", "2", "--all"]),
      ]);
      expect(page.apiKeys).to.have.length(2);
      expect(page.nextPageToken).to.not.equal("");
      const rows = all.stdout.trimEnd().split("\n").slice(1);
      expect(rows.map((r) => r.split(/\s+/)[1]).sort()).to.deep.equal(["k1", "k2", "k3"]);
    });
  });

  describe("API errors: exit 1 with code, reason and message", () => {
    it("reports refusals, bad input with every field, missing credentials and an unreachable server", async () => {
      const scoped = await ctx.fx.actor([Right.USER_INFO]);
      const userId = scoped.userId;
      const grpcPort = `http://${ctx.server.grpcAddress}`;
      const [denied, invalid, missing, unreachable, otherUser, notHttp1] = await Promise.all([
        keyward(["users", "list"], { KEYWARD_API_KEY: scoped.key }),
        keyward(["api-keys", "create", "--user-id", userId, "--name", "x".repeat(60), "--right-user-info"]),
        keyward(["users", "list"], { KEYWARD_API_KEY: undefined }),
        keyward(["users", "list"], { KEYWARD_URL: "http://127.0.0.1:1" }),
        keyward(["users", "get", "admin"], { KEYWARD_API_KEY: scoped.key }),
        keyward(["whoami", "--url", grpcPort]),
      ]);
      for (const run of [denied, invalid, missing, unreachable, otherUser, notHttp1]) expect(run.code, run.stderr).to.equal(1);
      expect(denied.stderr).to.match(/^error: PERMISSION_DENIED INSUFFICIENT_RIGHTS: .*RIGHT_ADMIN_USERS_READ/m);
      expect(otherUser.stderr).to.contain("error: PERMISSION_DENIED INSUFFICIENT_RIGHTS:");
      expect(invalid.stderr).to.match(/^error: INVALID_ARGUMENT VALIDATION_FAILED: /).and.match(/^ {2}- name: must be at most 50 characters$/m);
      expect(missing.stderr).to.contain("error: UNAUTHENTICATED CREDENTIALS_MISSING:").and.contain("KEYWARD_API_KEY");
      expect(unreachable.stderr).to.contain("cannot reach Keyward at http://127.0.0.1:1").and.contain("`keyward serve`").and.contain("KEYWARD_URL");
      // The gRPC port speaks HTTP/2 only: the CLI says so instead of INTERNAL "Parse Error: Expected HTTP/".
      expect(notHttp1.stderr).to.equal(
        `error: ${grpcPort} answered with something other than HTTP/1.1: is this the gRPC port? The CLI uses Keyward's HTTP listener (--http-addr, default 127.0.0.1:8080); set --url or KEYWARD_URL.\n`,
      );
      for (const run of [denied, invalid, missing, unreachable, otherUser, notHttp1]) expect(run.stdout).to.equal("");
    });
  });

  describe("usage errors: exit 2 with a useful message", () => {
    const cases: [string, string[], RegExp][] = [
      ["unknown flag", ["users", "list", "--bogus"], /unknown option '--bogus'/],
      ["unknown command", ["userz"], /unknown command 'userz'/],
      ["missing --user-id", ["api-keys", "list"], /required option '--user-id <id>' not specified/],
      ["no rights", ["api-keys", "create", "--user-id", "u-1"], /no rights given.*--right-user-info/],
      ["unknown right", ["api-keys", "create", "--user-id", "u-1", "--rights", "user_info,root"], /unknown right `root`.*user_settings_api_keys/],
      ["unparsable --expiry", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--expiry", "tomorrow"], /--expiry `tomorrow` is not an RFC 3339 time/],
      ["past --expiry", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--expiry", "2001-01-01T00:00:00Z"], /in the past/],
      ["--expiry with --expires-in", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--expiry", "2099-01-01T00:00:00Z", "--expires-in", "1d"], /--expires-in cannot be combined with --expiry/],
      ["--expiry with --no-expiry", ["api-keys", "update", "--user-id", "u-1", "K", "--expiry", "2099-01-01T00:00:00Z", "--no-expiry"], /--expiry and --no-expiry/],
      ["an --expires-in unit Keyward does not know", ["api-keys", "create", "--user-id", "u-1", "--right-user-info", "--expires-in", "1y"], /--expires-in `1y` has the unknown unit `y`; the units are ms, s, m, h, d/],
      ["bad --grace-period", ["api-keys", "regenerate", "--user-id", "u-1", "K", "--grace-period", "a bit"], /--grace-period `a bit` is not a duration/],
      ["bad --grace", ["api-keys", "rotate-self", "--grace", "soon"], /--grace `soon` is not a duration/],
      ["--rate-limit without a period", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--rate-limit", "100"], /--rate-limit `100` must be <count>\/<duration>, e.g. 100\/60s/],
      ["--refill with an unknown unit", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--refill", "5/1w"], /--refill `5\/1w`: the period has the unknown unit `w`/],
      ["--remaining-uses not a number", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--remaining-uses", "lots"], /--remaining-uses `lots` must be a whole number/],
      ["--metadata without =", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--metadata", "plan"], /--metadata `plan` must be key=value/],
      ["--metadata key twice", ["api-keys", "create", "--user-id", "u-1", "--right-all", "--metadata", "a=1", "--metadata", "a=2"], /--metadata key `a` is given twice/],
      ["--rate-limit with --no-rate-limit", ["api-keys", "update", "--user-id", "u-1", "K", "--rate-limit", "5/s", "--no-rate-limit"], /--rate-limit and --no-rate-limit contradict/],
      ["bad --page-size", ["users", "list", "--page-size", "0"], /--page-size `0` must be a whole number from 1 to 1000/],
      ["bad --state", ["api-keys", "list", "--user-id", "u-1", "--state", "paused"], /Allowed choices are active, disabled/],
      ["nothing to update", ["users", "update", "u-1"], /nothing to update/],
      ["bad --url", ["auth-info", "--url", "localhost:8080"], /--url must be http:\/\/ or https:\/\//],
      ["missing key file", ["auth-info", "--api-key-file", "/nonexistent/admin.key"], /cannot read --api-key-file \/nonexistent\/admin\.key: ENOENT/],
    ];
    it(`refuses ${cases.length} bad command lines before calling the API`, async () => {
      const runs = await Promise.all(cases.map(([, args]) => keyward(args, { KEYWARD_URL: "http://127.0.0.1:1" })));
      runs.forEach((run, i) => {
        const [name, , message] = cases[i]!;
        expect(run.code, `${name}: ${run.stderr}`).to.equal(2);
        expect(run.stderr, name).to.match(message).and.contain("--help");
        expect(run.stderr, name).to.not.contain("cannot reach");
      });
    });
  });

  describe("text the store holds is printed with control characters escaped", () => {
    it("escapes ESC, BEL, NUL and bidi overrides in tables, blocks and JSON, even from data stored before they were refused", async () => {
      // Written straight into the server's database, as a store from before the validation would hold it.
      const store = openSqliteStore(join(ctx.server.dataDir, "keyward.db"));
      const userId = newUserId("escapes");
      const now = new Date();
      const hostile = { name: "\x1b]0;pwned\x07\x1b[2Jevil\u202egnp.exe", email: "ops\x00@example.com" };
      await store.createUser({ userId, ...hostile, admin: false, state: "active", createdAt: now, updatedAt: now });
      await store.close();
      const [list, get, asJson] = await Promise.all([
        ok(["users", "list", "--all"]),
        ok(["users", "get", userId]),
        ok(["users", "get", userId, "--json"]),
      ]);
      for (const run of [list, get, asJson]) expect(run.stdout).to.not.match(/[\x00\x07\x1b\u202e]/);
      expect(get.stdout).to.contain("\\x1B]0;pwned\\x07\\x1B[2Jevil\\u202Egnp.exe").and.contain("ops\\x00@example.com");
      expect(list.stdout).to.contain("\\x1B]0;pwned");
      // The JSON still means the same text.
      expect((JSON.parse(asJson.stdout) as { user: JsonUser }).user).to.include(hostile);
    });
  });

  describe("the --api-key value never reaches the output", () => {
    it("is absent from stdout and stderr of failing commands, whatever the failure", async () => {
      const unknownKey = generateKey().key; // well-formed, checksum and all, but never issued
      const notAKey = "hunter2-super-secret-value";
      const runs = await Promise.all([
        keyward(["auth-info", "--api-key", unknownKey]),
        keyward([`--api-key=${notAKey}`, "users", "get", "nobody-here"]),
        keyward(["users", "get", "nobody-here", "--api-key", ctx.admin]),
        keyward(["users", "list", "--api-key", notAKey, "--bogus"]),
        keyward(["users", "list", "--api-key", notAKey, "--api-key-file", "/nonexistent"]),
        keyward(["api-keys", "get", "--user-id", "admin", unknownKey, "--api-key", unknownKey]),
        keyward(["auth-info", "--api-key", unknownKey], { KEYWARD_URL: "http://127.0.0.1:1" }),
        keyward(["auth-info"], { KEYWARD_API_KEY: notAKey }),
        // A key pasted twice: commander would echo the "unknown command", so the output is redacted.
        keyward(["--api-key", unknownKey, unknownKey]),
      ]);
      expect(runs.map((r) => r.code)).to.deep.equal([1, 1, 1, 2, 2, 1, 1, 1, 2]);
      for (const run of runs) {
        const output = run.stdout + run.stderr;
        for (const secret of [unknownKey, secretOf(unknownKey), notAKey, ctx.admin, secretOf(ctx.admin)]) expect(output).to.not.contain(secret);
        expect(run.stderr).to.match(/error: /);
      }
      expect(runs[0]!.stderr).to.contain("UNAUTHENTICATED API_KEY_INVALID");
      expect(runs[2]!.stderr).to.contain("NOT_FOUND USER_NOT_FOUND");
    });
  });

  describe("users set-password", () => {
    /** Signs in over REST: the status, and the reason when refused. */
    async function signIn(userId: string, password: string): Promise<{ status: number; reason?: string }> {
      const response = await fetch(`${ctx.server.httpUrl}/api/v1/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ userId, password }),
      });
      return { status: response.status, reason: reasonOfBody(await response.text()) };
    }

    it("sets a password from stdin that signs in, and changes it on one's own user only with --current", async () => {
      const userId = newUserId("pw");
      await createUser(userId);
      const { key } = await createKey(userId, "--rights", "USER_ALL");
      const first = "first correct horse battery";
      const set = await keyward(["users", "set-password", userId, "--password-stdin"], {}, `${first}\n`);
      expect(set.code, set.stderr).to.equal(0);
      expect(set.stdout).to.equal(`Password of ${userId} set. Sign in with it in the console or with SessionRegistry.CreateSession.\n`);
      expect((await signIn(userId, first)).status).to.equal(200);
      // The user's own key, changing its own password: without the current one, a field violation.
      const second = "second staple battery horse";
      const bare = await keyward(["users", "set-password", userId, "--password-stdin"], { KEYWARD_API_KEY: key }, `${second}\n`);
      expect(bare.code).to.equal(1);
      expect(bare.stderr).to.contain("INVALID_ARGUMENT VALIDATION_FAILED").and.contain("current_password");
      const changed = await keyward(["users", "set-password", userId, "--password-stdin", "--current", "--revoke-sessions"], { KEYWARD_API_KEY: key }, `${first}\n${second}\n`);
      expect(changed.code, changed.stderr).to.equal(0);
      expect(changed.stdout).to.contain("its other sessions ended");
      expect((await signIn(userId, first)).reason).to.equal("LOGIN_FAILED");
      expect((await signIn(userId, second)).status).to.equal(200);
      for (const run of [set, bare, changed]) for (const password of [first, second]) expect(run.stdout + run.stderr).to.not.contain(password);
    });

    it("refuses what it cannot read before calling the API, and reports the API's password rules", async () => {
      const userId = newUserId("pw");
      await createUser(userId);
      const [noTerminal, empty, oneLine, short] = await Promise.all([
        keyward(["users", "set-password", userId]),
        keyward(["users", "set-password", userId, "--password-stdin"], {}, ""),
        keyward(["users", "set-password", userId, "--password-stdin", "--current"], {}, "only-one-line-here\n"),
        keyward(["users", "set-password", userId, "--password-stdin"], {}, "short\n"),
      ]);
      expect([noTerminal.code, empty.code, oneLine.code, short.code]).to.deep.equal([2, 2, 2, 1]);
      expect(noTerminal.stderr).to.contain("stdin is not a terminal").and.contain("--password-stdin");
      expect(empty.stderr).to.contain("stdin must hold the new password on its first line");
      expect(oneLine.stderr).to.contain("the current password on its first line and the new one on its second");
      expect(short.stderr).to.contain("VALIDATION_FAILED").and.contain("new_password");
      expect((await signIn(userId, "short")).reason).to.equal("LOGIN_FAILED");
    });

    it("asks twice on a terminal without echoing what is typed", async function () {
      requirePackages(this, "test/cli/cli.test.ts (a terminal through `script`)", PACKAGES.script);
      const userId = newUserId("pw");
      await createUser(userId);
      const password = "typed without any echo 42";
      const env = { ...process.env, KEYWARD_URL: ctx.server.httpUrl, KEYWARD_API_KEY: ctx.admin };
      const command = `${process.execPath} ${BUILT_CLI} users set-password ${userId}`;
      const child = spawn("script", ["-qefc", command, "/dev/null"], { cwd: ROOT, env, stdio: ["pipe", "pipe", "pipe"] });
      let output = "";
      const prompts = ["New password", "Repeat the new password"];
      child.stdout.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        // Typed only once the prompt is up, i.e. once the terminal is in raw mode.
        if (prompts.length > 0 && output.includes(prompts[0]!)) {
          prompts.shift();
          child.stdin.write(`${password}\r`);
        }
      });
      const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
      expect(code, output).to.equal(0);
      expect(output).to.contain(`Password of ${userId} set.`);
      expect(output).to.not.contain(password);
      expect((await signIn(userId, password)).status).to.equal(200);
    });
  });
});
