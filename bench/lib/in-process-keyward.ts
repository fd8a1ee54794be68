/**
 * Keyward built in-process for a bench, as `keyward serve` builds it but without listeners: store,
 * services, verifier and interceptors on a fresh data directory with its admin key. From `dist/` when
 * `built` (see keyward-module.ts), else from the source.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Logger } from "../../src/logger.js";
import type { Keyward } from "../../src/server/build.js";
import type { Config } from "../../src/server/config.js";
import { keywardModule } from "./keyward-module.js";

export interface InProcessKeyward {
  readonly keyward: Keyward;
  readonly config: Config;
  /** The bootstrap admin key (all rights), as `data/admin.key` holds it. */
  readonly adminKey: string;
  /** The logger it was built with; silent. */
  readonly logger: Logger;
}

/** Builds Keyward on the empty directory `dataDir` with the default configuration. Close `keyward` when done. */
export async function buildInProcessKeyward(dataDir: string, built: boolean): Promise<InProcessKeyward> {
  const [{ silentLogger }, { ADMIN_KEY_FILE, ensureAdmin }, { build }, { loadConfig }] = await Promise.all([
    keywardModule<typeof import("../../src/logger.js")>("src/logger", built),
    keywardModule<typeof import("../../src/server/bootstrap.js")>("src/server/bootstrap", built),
    keywardModule<typeof import("../../src/server/build.js")>("src/server/build", built),
    keywardModule<typeof import("../../src/server/config.js")>("src/server/config", built),
  ]);
  // `keyward serve`'s defaults, but free ports: a bench listener must not need 8080 and 9090 to be free.
  const loaded = loadConfig({ "data-dir": dataDir, "http-addr": "127.0.0.1:0", "grpc-addr": "127.0.0.1:0" }, {});
  if (!loaded.ok) throw new Error(loaded.problems.join("; "));
  const keyward = await build(loaded.config, silentLogger);
  await ensureAdmin(keyward.store, dataDir, loaded.config.maxKeysPerUser, silentLogger);
  const adminKey = readFileSync(join(dataDir, ADMIN_KEY_FILE), "utf8").trim();
  return { keyward, config: loaded.config, adminKey, logger: silentLogger };
}
