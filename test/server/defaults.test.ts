/**
 * Each default is written once (ARCHITECTURE.md, "Configuration and lifecycle"): the settings table's
 * defaults are the modules' own constants, which tests and the bench get when they start a part without
 * the configuration; and `keyward serve` started with no flag enforces them.
 */
import * as http2 from "node:http2";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { DEFAULT_REVOCATION_POLLER_OPTIONS } from "../../src/authn/revocation-poller.js";
import { DEFAULT_SESSION_IDLE_MS, DEFAULT_VERIFIER_OPTIONS } from "../../src/authn/verifier.js";
import { DEFAULT_URL } from "../../src/cli/client.js";
import { silentLogger } from "../../src/logger.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "../../src/request-limits.js";
import { loadConfig, type Config } from "../../src/server/config.js";
import { startKeyward, type RunningServer } from "../../src/server/serve.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_STREAMS } from "../../src/transport/listener-defaults.js";

function defaults(flags: Record<string, string> = {}): Config {
  const loaded = loadConfig(flags, {});
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  return loaded.config;
}

describe("server: each default written once", () => {
  it("the settings table's defaults are those the modules use when started without it", () => {
    const config = defaults();
    expect(config.bodyLimitBytes, "--body-limit").to.equal(DEFAULT_MAX_REQUEST_BYTES);
    expect(config.authCacheTtlMs, "--auth-cache-ttl").to.equal(DEFAULT_VERIFIER_OPTIONS.cacheTtlMs);
    expect(config.authCacheSize, "--auth-cache-size").to.equal(DEFAULT_VERIFIER_OPTIONS.cacheSize);
    expect(config.revocationPollIntervalMs, "--revocation-poll-interval").to.equal(DEFAULT_REVOCATION_POLLER_OPTIONS.intervalMs);
    expect(config.shutdownTimeoutMs, "--shutdown-timeout").to.equal(DEFAULT_DRAIN_TIMEOUT_MS);
    expect(config.limits.maxConcurrentStreams, "--max-concurrent-streams").to.equal(DEFAULT_MAX_CONCURRENT_STREAMS);
    expect(config.sessionIdleMs, "--session-idle-timeout").to.equal(DEFAULT_SESSION_IDLE_MS);
    expect(DEFAULT_URL, "the CLI's --url").to.equal(`http://${config.httpAddr}`);
  });

  describe("keyward serve with no flag but free ports", () => {
    let dataDir: string;
    let server: RunningServer;
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), "keyward-defaults-"));
      server = await startKeyward(defaults({ store: "memory", "data-dir": dataDir, "http-addr": "127.0.0.1:0", "grpc-addr": "127.0.0.1:0" }), silentLogger);
    });
    after(async () => {
      await server?.shutdown();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it("takes a REST body of the default limit and refuses one byte more with BODY_TOO_LARGE", async () => {
      const post = (bytes: number) =>
        fetch(`${server.httpUrl}/api/v1/users`, { method: "POST", headers: { "content-type": "application/json" }, body: " ".repeat(bytes) });
      const atLimit = await post(DEFAULT_MAX_REQUEST_BYTES);
      expect(await atLimit.text()).to.not.contain("BODY_TOO_LARGE");
      const over = await post(DEFAULT_MAX_REQUEST_BYTES + 1);
      expect(over.status).to.equal(413);
      expect(await over.text()).to.contain("BODY_TOO_LARGE");
    });

    it("announces the default streams cap to a gRPC client", async () => {
      const announced = await new Promise<number | undefined>((resolve, reject) => {
        const session = http2.connect(`http://${server.grpcAddress}`);
        session.once("error", reject);
        session.once("remoteSettings", (settings) => {
          session.close();
          resolve(settings.maxConcurrentStreams);
        });
      });
      expect(announced).to.equal(DEFAULT_MAX_CONCURRENT_STREAMS);
    });
  });
});
