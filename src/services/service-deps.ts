import type { AuthFailureRecorder } from "../authn/auth-failure-log.js";
import type { ClientResolver } from "../net/client-address.js";
import type { LoginThrottle } from "../passwords/login-throttle.js";
import type { PasswordHasher } from "../passwords/password-hasher.js";
import type { SessionRecord, Store } from "../store/store.js";

/** What every service implementation needs. Composed by src/server/build.ts. */
export interface ServiceDeps {
  readonly store: Store;
  /** Evicts verified keys and sessions on this node the moment they or their owner change (ARCHITECTURE.md, "Caches and the revocation feed"). */
  readonly caches: {
    forgetKey(keyId: string): void;
    forgetUser(userId: string): void;
    forgetSession(sessionId: string): void;
  };
  /** Sign-in (ARCHITECTURE.md, "Sessions and passwords"). */
  readonly sessions: SessionPolicy;
  readonly passwords: PasswordHasher;
  readonly throttle: LoginThrottle;
  /** Who is calling, by the interceptor's rule (`--trusted-proxies`), for handlers that need the client. */
  readonly clients: ClientResolver;
  readonly limits: ServiceLimits;
  /** Told every refused sign-in (`auth.fail`, ARCHITECTURE.md, "Events"); none: nobody. */
  readonly authFailures?: AuthFailureRecorder;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now: () => number;
}

/** Configurable limits (ARCHITECTURE.md, "Configuration and lifecycle"; docs/configuration.md). */
export interface ServiceLimits {
  /** Most keys one user may have (default 100). */
  readonly maxKeysPerUser: number;
  /** Longest lifetime a key may be given, in ms; undefined for no maximum (keys may then never expire). */
  readonly maxKeyLifetimeMs: number | undefined;
}

/** How sessions are made and when they end (ARCHITECTURE.md, "Sessions and passwords"). */
export interface SessionPolicy {
  /** A session ends this long after sign-in, whatever its use. */
  readonly absoluteMs: number;
  /** A session unused this long has ended. */
  readonly idleMs: number;
  /**
   * When a session ends unless used again (`authn/session-lifetime.ts`), counting the uses this process
   * saw that are not stored yet: the verifier's answer.
   */
  end(session: SessionRecord): Date;
}
