/**
 * Keyward's real services, interceptors and HTTP port (src/server/http-port.ts: what `keyward serve`
 * serves, with its listener settings) over a memory store, in this process: what the gateway tests send
 * arbitrary requests to.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "../../../src/logger.js";
import { createAdmin } from "../../../src/server/bootstrap.js";
import { build, type Keyward } from "../../../src/server/build.js";
import { loadConfig } from "../../../src/server/config.js";
import { keywardHttpPort, startHttpPort } from "../../../src/server/http-port.js";
import type { HttpListener } from "../../../src/http/http-listener.js";

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
  // The defaults of `keyward serve` but a small body limit, so the gateway tests reach it cheaply.
  const loaded = loadConfig({ store: "memory", "data-dir": dataDir, "http-addr": "127.0.0.1:0", "body-limit": String(options.bodyLimit ?? 4096) }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const logLines: string[] = [];
  const logger: Logger = createLogger("warn", (line) => logLines.push(line));
  const keyward: Keyward = await build(loaded.config, logger);
  const { key: adminKey } = await createAdmin(keyward.store, "admin", loaded.config.maxKeysPerUser);
  const listener: HttpListener = await startHttpPort(keywardHttpPort(keyward, loaded.config, logger), loaded.config);
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
