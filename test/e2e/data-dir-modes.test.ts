/**
 * The data directory's files are private: in a directory made beforehand with a wide mode (a
 * volume) and under a umask of 000, the real server creates `keyward.db`, its `-wal` and `-shm`, and
 * `admin.key` as 0600, and warns once, naming the path and the mode, that the directory is open to others.
 */
import { chmodSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { openDoors } from "./support/doors.js";
import { ok, uniqueUserId } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type Launch } from "./support/server-process.js";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

/** `keyward serve` from the sources, under a umask that would leave every new file world-readable. */
const withUmask000: Launch = (flags) => ["sh", ["-c", 'umask 000 && exec "$0" "$@"', process.execPath, "--import", "tsx", CLI, "serve", ...flags]];

const modeOf = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

describe("e2e: the data directory's files are private", function () {
  this.timeout(30_000);

  it("creates keyward.db, -wal, -shm and admin.key 0600 in a world-open directory under umask 000, and warns about the directory once", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "keyward-volume-"));
    chmodSync(dataDir, 0o777);
    const server = await startServer({ dataDir, launch: withUmask000 });
    const doors = openDoors(server.httpUrl, server.grpcAddress);
    try {
      issuedKeys.add(server.adminKey());
      // A write, so the write-ahead log and its index exist.
      ok(await doors.call("grpc", UserRegistry.method.createUser, { user: { userId: uniqueUserId() } }, server.adminKey()));
      const files = ["keyward.db", "keyward.db-wal", "keyward.db-shm", "admin.key"];
      expect(Object.fromEntries(files.map((file) => [file, modeOf(join(dataDir, file))]))).to.deep.equal(Object.fromEntries(files.map((file) => [file, "0600"])));

      const warnings = server
        .output()
        .split("\n")
        .filter((line) => line.startsWith("{") && line.includes("data directory"))
        .map((line) => JSON.parse(line) as { level: string; path: string; mode: string });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.deep.include({ level: "warn", path: dataDir, mode: "0777" });
    } finally {
      doors.close();
      expect(await server.stop()).to.equal(0);
      removeDataDir(dataDir);
    }
  });

  it("says nothing about a private data directory", async () => {
    const server = await startServer();
    try {
      issuedKeys.add(server.adminKey());
      expect(modeOf(server.dataDir)).to.equal("0700");
      expect(server.output()).to.not.contain("data directory is open");
    } finally {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });
});
