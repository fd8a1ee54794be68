/**
 * The composition root: opens the store and wires the verifier, the interceptor list and the service
 * implementations that every front door shares. Listeners are started by serve.ts.
 */
import type { Interceptor } from "@connectrpc/connect";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { ApiKeyVerifier, DEFAULT_VERIFIER_OPTIONS } from "../auth/api-key-verifier.js";
import { createAuthorizationInterceptor } from "../auth/authorization.js";
import { createErrorMappingInterceptor } from "../auth/error-mapping.js";
import { UsageRecorder } from "../auth/usage-recorder.js";
import type { Logger } from "../logger.js";
import { createApiKeyRegistry } from "../services/api-key-registry.js";
import { createAuthService } from "../services/auth-service.js";
import type { ServiceDeps } from "../services/service-deps.js";
import { createSessionRegistry } from "../services/session-registry.js";
import { createUserRegistry } from "../services/user-registry.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { bindService, createInvoker, type Invoker, type ServiceBinding } from "../transport/invoke.js";
import type { Config } from "./config.js";

/** Everything the front doors share. */
export interface Keyward {
  readonly store: Store;
  readonly verifier: ApiKeyVerifier;
  readonly usage: UsageRecorder;
  readonly bindings: readonly ServiceBinding[];
  /** Outermost first: error mapping wraps authorization, so every refusal carries a reason. */
  readonly interceptors: readonly Interceptor[];
  readonly invoker: Invoker;
  /** Flushes pending usage and closes the store. */
  close(): Promise<void>;
}

export async function build(config: Config, logger: Logger, now: () => number = Date.now): Promise<Keyward> {
  const store = await openStore({ store: config.store, dataDir: config.dataDir });
  const usage = new UsageRecorder(store, logger);
  const verifier = new ApiKeyVerifier(
    store,
    { ...DEFAULT_VERIFIER_OPTIONS, cacheTtlMs: config.authCacheTtlMs, cacheSize: config.authCacheSize, now },
    usage,
  );
  const deps: ServiceDeps = {
    store,
    caches: verifier,
    limits: { maxKeysPerUser: config.maxKeysPerUser, maxKeyLifetimeMs: config.maxKeyLifetimeMs },
    now,
  };
  const bindings = [
    bindService(UserRegistry, createUserRegistry(deps)),
    bindService(ApiKeyRegistry, createApiKeyRegistry(deps)),
    bindService(AuthService, createAuthService()),
    bindService(SessionRegistry, createSessionRegistry(deps)),
  ];
  const interceptors = [createErrorMappingInterceptor(logger), createAuthorizationInterceptor(verifier)];
  return {
    store,
    verifier,
    usage,
    bindings,
    interceptors,
    invoker: createInvoker(bindings, interceptors),
    async close() {
      await usage.flush();
      await store.close();
    },
  };
}
