/**
 * `npm start` as service managers, scripts and `kill $!` stop it: the signal goes to npm's own process,
 * not to node. The server must get it, drain and exit 0 through npm, and leave both ports free, so the
 * next `npm start` does not fail with EADDRINUSE. (npm runs the script through `sh -c`; without `exec`
 * the shell died and node, re-parented, kept serving.)
 */
import { createServer } from "node:net";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { openDoors } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, viaNpmStart } from "./support/server-process.js";

/** Resolves when `port` on 127.0.0.1 can be bound again, i.e. nothing listens there any more. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

describe("e2e: npm start and signals sent to npm's process", function () {
  this.timeout(60_000);

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} to the npm pid drains, exits 0 and frees both ports`, async () => {
      const server = await startServer({ launch: viaNpmStart });
      try {
        const doors = openDoors(server.httpUrl, server.grpcAddress);
        const key = server.adminKey();
        issuedKeys.add(key);
        ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, key));
        doors.close();
        expect(await server.stop(signal), server.output()).to.equal(0);
        expect(server.output()).to.contain(`"signal":"${signal}"`).and.contain('"msg":"stopped"');
        const ports = [new URL(server.httpUrl).port, server.grpcAddress.split(":").at(-1)!].map(Number);
        expect(await Promise.all(ports.map(bindable)), `ports ${ports.join(", ")} still in use`).to.deep.equal([true, true]);
      } finally {
        if (server.child.exitCode === null) server.child.kill("SIGKILL");
        removeDataDir(server.dataDir);
      }
    });
  }
});
