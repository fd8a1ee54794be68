/**
 * Keyward's real services, interceptors and gateway over a memory store, behind the real HTTP listener
 * in this process: what the gateway tests send arbitrary requests to.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGateway } from "../../../src/gateway/gateway.js";
import { createLogger, type Logger } from "../../../src/logger.js";
import { createAdmin } from "../../../src/server/bootstrap.js";
import { build, type Keyward } from "../../../src/server/build.js";
import { loadConfig } from "../../../src/server/config.js";
import { startHttpListener, type HttpListener } from "../../../src/http/http-listener.js";

export interface InProcessServer {
  readonly url: URL;
  readonly adminKey: string;
  /** Every log line the server wrote. */
  readonly logLines: string[];
  stop(): Promise<void>;
}

/** Starts it; `bodyLimit` is the REST body limit in bytes. */
export async function startInProcessServer(options: { bodyLimit?: number } = {}): Promise<InProcessServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "keyward-gateway-"));
  const loaded = loadConfig({ store: "memory", "data-dir": dataDir, "body-limit": String(options.bodyLimit ?? 4096) }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const logLines: string[] = [];
  const logger: Logger = createLogger("warn", (line) => logLines.push(line));
  const keyward: Keyward = await build(loaded.config, logger);
  const { key: adminKey } = await createAdmin(keyward.store, "admin", 100);
  const gateway = createGateway({ invoker: keyward.invoker, maxBodyBytes: loaded.config.bodyLimitBytes, logger });
  const listener: HttpListener = await startHttpListener({
    bindings: keyward.bindings,
    interceptors: keyward.interceptors,
    address: "127.0.0.1:0",
    logger,
    fallback: gateway.handler,
    maxRequestBytes: loaded.config.bodyLimitBytes,
  });
  return {
    url: new URL(listener.url),
    adminKey,
    logLines,
    async stop() {
      await listener.shutdown();
      await keyward.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
