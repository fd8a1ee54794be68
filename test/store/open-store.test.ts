// openStore: each kind of store setting, data directory creation, and redacted descriptions.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "../../src/logger.js";
import { describeStoreLocation, openStore } from "../../src/store/open-store.js";
import { redactMongoUrl, resolveStoreLocation } from "../../src/store/store-location.js";
import type { Store } from "../../src/store/store.js";
import { expectStoreError, userRecord } from "./conformance/fixtures.js";

describe("store: openStore", () => {
  let dir: string;
  const opened: Store[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "keyward-open-"));
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(store: string, dataDir = dir): Promise<Store> {
    const opening = await openStore({ store, dataDir });
    opened.push(opening);
    return opening;
  }

  it("opens sqlite as <dataDir>/keyward.db, creating the directory (owner-only)", async () => {
    const dataDir = join(dir, "nested", "data");
    const store = await open("sqlite", dataDir);
    const user = userRecord();
    await store.createUser(user);
    await store.close();
    expect(existsSync(join(dataDir, "keyward.db"))).to.equal(true);
    expect((await stat(dataDir)).mode & 0o777).to.equal(0o700);

    const reopened = await open("sqlite", dataDir);
    expect(await reopened.getUser(user.userId)).to.deep.equal(user);
  });

  it("makes a database, -wal and -shm left readable by others private (0600) before opening, and says so", async () => {
    const first = await open("sqlite");
    const user = userRecord();
    await first.createUser(user);
    await first.close();
    opened.splice(0);
    const db = join(dir, "keyward.db");
    chmodSync(db, 0o644);
    writeFileSync(`${db}-wal`, "", { mode: 0o664 });
    writeFileSync(`${db}-shm`, "", { mode: 0o640 });
    chmodSync(`${db}-wal`, 0o664);
    chmodSync(`${db}-shm`, 0o640);
    const lines: string[] = [];
    const reopened = await openStore({ store: "sqlite", dataDir: dir }, createLogger("info", (line) => lines.push(line)));
    opened.push(reopened);
    expect(await reopened.getUser(user.userId)).to.deep.equal(user);
    for (const file of [db, `${db}-wal`, `${db}-shm`]) expect((await stat(file)).mode & 0o777, file).to.equal(0o600);
    expect(lines.map((line) => JSON.parse(line) as { level: string; path: string; mode: string }).map(({ level, path, mode }) => `${level} ${path} ${mode}`)).to.deep.equal([
      `warn ${db} 0644`,
      `warn ${db}-wal 0664`,
      `warn ${db}-shm 0640`,
    ]);
    // Private already: nothing to say the next time.
    await reopened.close();
    opened.splice(0);
    opened.push(await openStore({ store: "sqlite", dataDir: dir }, createLogger("info", (line) => lines.push(line))));
    expect(lines).to.have.length(3);
  });

  it("fails at once, naming the directory and the OS error, where a directory cannot be made", async () => {
    // /proc refuses new entries with ENOENT under a parent that exists: Node's recursive mkdir retried
    // that forever. A regular file in the way gives EEXIST (or ENOTDIR below it).
    const file = join(dir, "a-file");
    await writeFile(file, "");
    for (const [dataDir, osError] of [
      ["/proc/keyward", "ENOENT"],
      ["/proc/keyward/deeper", "ENOENT"],
      [file, "EEXIST"],
      [join(file, "data"), "ENOTDIR"],
    ] as const) {
      const error = await expectStoreError(openStore({ store: "sqlite", dataDir }), "unavailable");
      expect(error.message).to.contain(`cannot create the data directory ${dataDir} (--data-dir)`).and.contain(osError);
    }
  });

  it("opens memory without touching the data directory, and forgets on close", async () => {
    const dataDir = join(dir, "never-created");
    const first = await open("memory", dataDir);
    const user = userRecord();
    await first.createUser(user);
    expect(await first.getUser(user.userId)).to.deep.equal(user);
    const second = await open("memory", dataDir);
    await expectStoreError(second.getUser(user.userId), "not_found", "user");
    expect(existsSync(dataDir)).to.equal(false);
  });

  it("loads the MongoDB driver only for a MongoDB store (it costs about 9 MB of memory)", () => {
    // A fresh process: the mocha run itself has loaded the driver for the MongoDB tests.
    const script = `
      import { createRequire } from "node:module";
      import { openStore } from "./src/store/open-store.ts";
      const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((path) => path.includes("/node_modules/mongodb/"));
      const store = await openStore({ store: "memory", dataDir: "." });
      await store.close();
      const onSqlite = loaded();
      await openStore({ store: "mongodb://127.0.0.1:1/x?serverSelectionTimeoutMS=1" }).catch(() => undefined);
      console.log(JSON.stringify({ onSqlite, onMongo: loaded() }));`;
    const output = execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(JSON.parse(output)).to.deep.equal({ onSqlite: false, onMongo: true });
  });

  it("opens a mongodb:// URL with the MongoDB adapter (unavailable when nothing listens)", async function () {
    this.timeout(10_000);
    await expectStoreError(open("mongodb://127.0.0.1:1/kw?serverSelectionTimeoutMS=200"), "unavailable");
    await expectStoreError(open("mongodb+srv://user:pw@invalid.invalid/?serverSelectionTimeoutMS=200"), "unavailable");
  });

  it("rejects a malformed mongodb:// URL with invalid_argument", async () => {
    await expectStoreError(open("mongodb://host:not-a-port/db"), "invalid_argument");
    await expectStoreError(open("mongodb://host/db?serverSelectionTimeoutMS=soon"), "invalid_argument");
  });

  it("rejects unknown settings with invalid_argument, without echoing credentials", async () => {
    for (const setting of ["", "SQLite", "postgres://u:secret@h/db", "mongo://u:secret@h"]) {
      const error = await expectStoreError(open(setting), "invalid_argument");
      expect(error.message).to.not.include("secret");
    }
  });

  it("reports an uncreatable data directory as unavailable", async () => {
    await (await open("sqlite", dir)).close();
    // A path below a regular file cannot become a directory.
    await expectStoreError(open("sqlite", join(dir, "keyward.db", "sub")), "unavailable");
  });
});

describe("store: describeStoreLocation", () => {
  it("names the SQLite file by absolute path", () => {
    expect(describeStoreLocation({ store: "sqlite", dataDir: "./data" })).to.equal(
      `sqlite ${join(process.cwd(), "data", "keyward.db")}`,
    );
    expect(resolveStoreLocation({ store: "sqlite", dataDir: "/var/lib/keyward" })).to.deep.equal({
      kind: "sqlite",
      path: "/var/lib/keyward/keyward.db",
    });
  });

  it("says memory is not persistent", () => {
    expect(describeStoreLocation({ store: "memory", dataDir: "./data" })).to.match(/^memory .*lost/);
  });

  it("never prints a MongoDB password", () => {
    const cases: [string, string][] = [
      ["mongodb://alice:s3cret@db1:27017,db2/keyward?replicaSet=rs0", "mongodb://alice:***@db1:27017,db2/keyward?replicaSet=rs0"],
      ["mongodb+srv://alice:p%40ss@cluster.example.net/", "mongodb+srv://alice:***@cluster.example.net/"],
      ["mongodb://alice:pa@ss/word@host/db", "mongodb://alice:***@host/db"],
      ["mongodb://host/db?authMechanismProperties=AWS_SESSION_TOKEN:tok&w=1", "mongodb://host/db?authMechanismProperties=***&w=1"],
      ["mongodb://host/db?tlsCertificateKeyFilePassword=pw", "mongodb://host/db?tlsCertificateKeyFilePassword=***"],
      ["mongodb://x509user@host/?authMechanism=MONGODB-X509", "mongodb://x509user@host/?authMechanism=MONGODB-X509"],
      ["mongodb://localhost:27017", "mongodb://localhost:27017"],
    ];
    for (const [url, redacted] of cases) {
      expect(redactMongoUrl(url)).to.equal(redacted);
      expect(describeStoreLocation({ store: url, dataDir: "." })).to.equal(`mongodb ${redacted}`);
    }
  });
});
