import type { Store } from "../store/store.js";

/** What every service implementation needs. Composed by src/server/build.ts. */
export interface ServiceDeps {
  readonly store: Store;
  /** Evicts verified keys on this node the moment they or their owner change (DESIGN §9). */
  readonly caches: {
    forgetKey(keyId: string): void;
    forgetUser(userId: string): void;
  };
  readonly limits: ServiceLimits;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now: () => number;
}

/** Configurable limits (DESIGN §3, §8). */
export interface ServiceLimits {
  /** Most keys one user may have (default 100). */
  readonly maxKeysPerUser: number;
  /** Longest lifetime a key may be given, in ms; undefined for no maximum (keys may then never expire). */
  readonly maxKeyLifetimeMs: number | undefined;
}
