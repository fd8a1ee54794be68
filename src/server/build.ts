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
import { DEFAULT_THROTTLE, LoginThrottle } from "../auth/login-throttle.js";
import { PasswordHasher } from "../auth/password-hasher.js";
import { sessionUses, UsageRecorder } from "../auth/usage-recorder.js";
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
  readonly sessionUsage: UsageRecorder;
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
  const sessionUsage = new UsageRecorder(store, logger, undefined, sessionUses(config.sessionIdleMs));
  const verifier = new ApiKeyVerifier(
    store,
    {
      ...DEFAULT_VERIFIER_OPTIONS,
      cacheTtlMs: config.authCacheTtlMs,
      cacheSize: config.authCacheSize,
      sessionIdleMs: config.sessionIdleMs,
      now,
    },
    usage,
    sessionUsage,
  );
  const passwords = new PasswordHasher();
  // The dummy hash that unknown users are checked against is made now, not by the first of them.
  await passwords.warmUp();
  const deps: ServiceDeps = {
    store,
    caches: verifier,
    sessions: {
      absoluteMs: config.sessionLifetimeMs,
      idleMs: config.sessionIdleMs,
      end: (session) => verifier.sessionEnd(session),
      secureCookie: config.tls !== undefined,
    },
    passwords,
    throttle: new LoginThrottle(
      { ...DEFAULT_THROTTLE, freeFailuresPerUser: config.loginFreeFailures, freeFailuresPerAddress: config.loginFreeFailuresPerAddress },
      now,
    ),
    limits: { maxKeysPerUser: config.maxKeysPerUser, maxKeyLifetimeMs: config.maxKeyLifetimeMs },
    now,
  };
  const bindings = [
    bindService(UserRegistry, createUserRegistry(deps)),
    bindService(ApiKeyRegistry, createApiKeyRegistry(deps)),
    bindService(AuthService, createAuthService((session) => verifier.sessionEnd(session))),
    bindService(SessionRegistry, createSessionRegistry(deps)),
  ];
  const interceptors = [createErrorMappingInterceptor(logger), createAuthorizationInterceptor(verifier, { secure: config.tls !== undefined })];
  return {
    store,
    verifier,
    usage,
    sessionUsage,
    bindings,
    interceptors,
    invoker: createInvoker(bindings, interceptors),
    async close() {
      await usage.flush();
      await sessionUsage.flush();
      await store.close();
    },
  };
}
