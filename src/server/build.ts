/**
 * The composition root: opens the store and wires the verifier, the interceptor list and the service
 * implementations that every front door shares. Listeners are started by serve.ts.
 */
import type { Interceptor } from "@connectrpc/connect";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { EventRegistry } from "../../gen/keyward/v1/event_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { WebhookRegistry } from "../../gen/keyward/v1/webhook_pb.js";
import { createWebhookRegistry } from "../services/webhook-registry.js";
import { createEventWorkers, type EventWorkers } from "./event-workers.js";
import { ApiKeyVerifier, DEFAULT_VERIFIER_OPTIONS } from "../authn/verifier.js";
import { DEFAULT_KEY_METER_OPTIONS, KeyMeter } from "../authn/key-meter.js";
import { AuthFailureLog, DEFAULT_AUTH_FAIL_MAX_TUPLES } from "../authn/auth-failure-log.js";
import { createAuthorizationInterceptor, userLookupOf } from "../authz/authorization-interceptor.js";
import { ClientResolver } from "../net/client-address.js";
import { createErrorMappingInterceptor } from "../errors/error-mapping.js";
import { DEFAULT_THROTTLE, LoginThrottle } from "../passwords/login-throttle.js";
import { PasswordHasher } from "../passwords/password-hasher.js";
import { createPasswordTransportInterceptor } from "../net/password-transport.js";
import { DEFAULT_REVOCATION_POLLER_OPTIONS, RevocationPoller } from "../authn/revocation-poller.js";
import { TransportPolicy } from "../net/transport-policy.js";
import { sessionUses, UsageRecorder } from "../authn/usage-recorder.js";
import type { Logger } from "../logger.js";
import { createCallMetricsInterceptor } from "../metrics/call-metrics.js";
import { instrumentStore } from "../metrics/instrumented-store.js";
import { KeywardMetrics } from "../metrics/metrics.js";
import { rights } from "../rights/index.js";
import { createApiKeyRegistry } from "../services/api-key-registry.js";
import { createAuthService } from "../services/auth-service.js";
import { createEventRegistry } from "../services/event-registry.js";
import { DEFAULT_EVENT_STREAM_OPTIONS, EventStreams, wakingStore } from "../services/event-streams.js";
import type { ServiceDeps } from "../services/service-deps.js";
import { createSessionRegistry } from "../services/session-registry.js";
import { createTenantRegistry } from "../services/tenant-registry.js";
import { createUserRegistry } from "../services/user-registry.js";
import { openStore } from "../store/open-store.js";
import type { Store } from "../store/store.js";
import { bindService, createInvoker, type Invoker, type ServiceBinding } from "../transport/invoke.js";
import type { Config } from "./config.js";
import { Readiness } from "./readiness.js";

/** Everything the front doors share. */
export interface Keyward {
  readonly store: Store;
  readonly verifier: ApiKeyVerifier;
  readonly usage: UsageRecorder;
  /** Follows the store's revocation feed; started before build() returns. */
  readonly revocations: RevocationPoller;
  readonly sessionUsage: UsageRecorder;
  /** Counts refused credentials and writes them as `auth.fail` events each window (ARCHITECTURE.md, "Events"). */
  readonly authFailures: AuthFailureLog;
  /** The open `StreamEvents` tails; serve.ts ends them when the server stops. */
  readonly eventStreams: EventStreams;
  readonly bindings: readonly ServiceBinding[];
  /**
   * Outermost first: call metrics, then error mapping wrapping the password transport check and
   * authorization, so every refusal carries a reason and is counted with its final code.
   */
  readonly interceptors: readonly Interceptor[];
  readonly invoker: Invoker;
  readonly metrics: KeywardMetrics;
  /** Whether the store answers; serve.ts starts its checks and drains it on shutdown. */
  readonly readiness: Readiness;
  /** The webhook dispatcher, expiry warnings and retention; serve.ts starts them (ARCHITECTURE.md, "Events"). */
  readonly eventWorkers: EventWorkers;
  /** Stops following the feed, gives back leased usage credits, flushes pending usage and closes the store. */
  close(): Promise<void>;
}

export async function build(config: Config, logger: Logger, now: () => number = Date.now): Promise<Keyward> {
  const opened = await openStore({ store: config.store, dataDir: config.dataDir }, logger);
  const metrics = new KeywardMetrics();
  const instrumented = instrumentStore(opened, metrics.storeDuration);
  const eventStreams = new EventStreams(instrumented, {
    ...DEFAULT_EVENT_STREAM_OPTIONS,
    maxStreams: config.maxEventStreams,
    maxStreamsPerClient: config.maxEventStreamsPerClient,
  });
  metrics.observeEvents(instrumented);
  // Writes made here wake this process's event streams and webhook dispatcher at once; other processes'
  // writes reach them by polling (ARCHITECTURE.md, "Events").
  let wakeDispatcher = (): void => {};
  const store = wakingStore(instrumented, () => {
    eventStreams.wake();
    wakeDispatcher();
  });
  let eventWorkers: EventWorkers;
  try {
    // The dispatcher's own claims and outcomes go to the store unwrapped: they must not wake it again.
    eventWorkers = createEventWorkers(config, { store, outbox: instrumented }, logger, metrics.countDelivery, now);
  } catch (error) {
    await store.close();
    throw error;
  }
  wakeDispatcher = () => eventWorkers.wake();
  // Readiness asks the store itself, so its probes stay out of the store latency metrics.
  const readiness = new Readiness(opened, logger);
  readiness.subscribe((ready) => metrics.setReady(ready));
  const usage = new UsageRecorder(store, logger);
  // One policy for every credential: keys and sessions (the verifier) and passwords (an interceptor).
  const transport = new TransportPolicy(config.insecureTransport, logger);
  const sessionUsage = new UsageRecorder(store, logger, undefined, sessionUses(config.sessionIdleMs));
  const verifier = new ApiKeyVerifier(
    store,
    {
      ...DEFAULT_VERIFIER_OPTIONS,
      cacheTtlMs: config.authCacheTtlMs,
      cacheSize: config.authCacheSize,
      sessionIdleMs: config.sessionIdleMs,
      now,
      transport,
      meter: new KeyMeter(store, now, DEFAULT_KEY_METER_OPTIONS, logger),
    },
    usage,
    sessionUsage,
  );
  metrics.observeCache(() => ({ ...verifier.counts, size: verifier.cachedKeys }));
  metrics.observeMeter(() => verifier.meter.counts);
  const revocations = new RevocationPoller(store, verifier, logger, {
    ...DEFAULT_REVOCATION_POLLER_OPTIONS,
    intervalMs: config.revocationPollIntervalMs,
    now,
  });
  try {
    // Before anything can be cached: see RevocationPoller.start.
    await revocations.start();
  } catch (error) {
    await store.close();
    throw error;
  }
  const passwords = new PasswordHasher();
  // The dummy hash that unknown users are checked against is made now, not by the first of them.
  await passwords.warmUp();
  const clients = new ClientResolver(config.trustedProxies);
  const authFailures = new AuthFailureLog(store, logger, { windowMs: config.authFailWindowMs, maxTuples: DEFAULT_AUTH_FAIL_MAX_TUPLES, now });
  authFailures.start();
  const deps: ServiceDeps = {
    store,
    caches: verifier,
    sessions: {
      absoluteMs: config.sessionLifetimeMs,
      idleMs: config.sessionIdleMs,
      end: (session) => verifier.sessionEnd(session),
    },
    passwords,
    clients,
    throttle: new LoginThrottle(
      store,
      {
        ...DEFAULT_THROTTLE,
        freeFailuresPerUser: config.loginFreeFailures,
        freeFailuresPerAddress: config.loginFreeFailuresPerAddress,
        ipv6Prefix: config.clientIpv6Prefix,
      },
      now,
    ),
    limits: { maxKeysPerUser: config.maxKeysPerUser, maxKeyLifetimeMs: config.maxKeyLifetimeMs },
    authFailures,
    now,
  };
  const bindings = [
    bindService(UserRegistry, createUserRegistry(deps)),
    bindService(ApiKeyRegistry, createApiKeyRegistry(deps)),
    bindService(AuthService, createAuthService(deps)),
    bindService(SessionRegistry, createSessionRegistry(deps)),
    bindService(TenantRegistry, createTenantRegistry(deps)),
    bindService(
      WebhookRegistry,
      createWebhookRegistry({ store, sender: eventWorkers.sender, targets: eventWorkers.targets, maxWebhooksPerScope: config.eventWorkers.maxWebhooksPerScope, now }),
    ),
    bindService(EventRegistry, createEventRegistry({ store, clients, streams: eventStreams })),
  ];
  // Call metrics outermost, so they see the final code of every call, refusals included.
  const interceptors = [
    createCallMetricsInterceptor(metrics),
    createErrorMappingInterceptor(logger),
    // Before authorization: a password sent in the clear is refused before anything checks or hashes it.
    createPasswordTransportInterceptor(transport, clients, now),
    createAuthorizationInterceptor(verifier, userLookupOf(store), {
      clients,
      rights,
      observe: metrics.countAuthentication,
      failures: authFailures,
    }),
  ];
  return {
    store,
    verifier,
    usage,
    revocations,
    sessionUsage,
    authFailures,
    eventStreams,
    bindings,
    interceptors,
    invoker: createInvoker(bindings, interceptors),
    metrics,
    readiness,
    eventWorkers,
    async close() {
      readiness.drain();
      eventStreams.close();
      // Before the store closes: an attempt in flight records its outcome.
      await eventWorkers.stop();
      await revocations.stop();
      // Leased usage credits not used go back, so a graceful stop loses none.
      await verifier.meter.stop();
      await usage.flush();
      await sessionUsage.flush();
      // What was refused since the last window is written before the store goes.
      await authFailures.stop();
      await store.close();
    },
  };
}
