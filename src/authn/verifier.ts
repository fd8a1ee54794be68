/**
 * Verifies a presented credential, an API key or a session token (`ONSXG...`, ARCHITECTURE.md, "Sessions
 * and passwords"), and returns its principal. Both go through the same parser, the same cache and a hash
 * check; their own checks are in key-verification.ts and session-verification.ts.
 *
 * A miss reads the credential and its owner in one store call (`findApiKeyWithOwner`,
 * `findSessionWithOwner`) through the credential cache (credential-cache.ts; ARCHITECTURE.md, "Caches and
 * the revocation feed"), which saves store reads only: the secret hash, states and expiry are checked on
 * every call. Changes made on this node evict at once (`forgetKey`, `forgetUser`); other processes and
 * nodes evict through the revocation feed (revocation-poller.ts), with the TTL as the safety net.
 *
 * The client (ARCHITECTURE.md, "The network edge") is judged here too, so every door and forward auth
 * share it: the transport policy refuses or warns about credentials that crossed a network unencrypted.
 * So are a key's rate limit and usage credits (key-meter.ts), after every other check of the key.
 */
import { CredentialsMalformed } from "../errors/errors.js";
import { parseToken, SESSION_PREFIX, TOKEN_PROBLEM_TEXT } from "../keys/index.js";
import type { Client } from "../net/client-address.js";
import type { TransportPolicy } from "../net/transport-policy.js";
import { rights as keywardRights, type RightsModel } from "../rights/index.js";
import type { SessionRecord, Store } from "../store/store.js";
import { CredentialCache, type VerifierCacheCounts } from "./credential-cache.js";
import { checkKey, keyEntry, type KeyEntry } from "./key-verification.js";
import type { Principal } from "./principal.js";
import { sessionEnd } from "./session-lifetime.js";
import { checkSession, sessionEntry, type SessionEntry } from "./session-verification.js";
import type { UsageRecorder } from "./usage-recorder.js";
import { KeyMeter } from "./key-meter.js";
import type { RateLimitReading } from "./meter-reading.js";

export interface VerifierOptions {
  /** How long a verified key's records are reused before re-reading the store. 0 disables the cache. */
  readonly cacheTtlMs: number;
  /** Most keys cached at once. */
  readonly cacheSize: number;
  /** How long an unknown key id is remembered as unknown. */
  readonly negativeTtlMs: number;
  /** A session unused this long has ended (ARCHITECTURE.md, "Sessions and passwords": 8 h by default). */
  readonly sessionIdleMs?: number;
  readonly now?: () => number;
  readonly rights?: RightsModel;
  /** What to do with credentials sent unencrypted over a network; none: allow them. */
  readonly transport?: TransportPolicy;
  /** Judges keys' rate limits and usage credits; default: a meter of its own on the same store and clock. */
  readonly meter?: KeyMeter;
}

/** The client of a call made without a network connection (tests, tools): no address, not loopback. */
export const NO_CLIENT: Client = Object.freeze({ address: "", secure: false, loopback: false, userAgent: undefined });

export const DEFAULT_VERIFIER_OPTIONS: VerifierOptions = { cacheTtlMs: 5_000, cacheSize: 10_000, negativeTtlMs: 1_000 };

/** The default idle timeout of sessions. */
export const DEFAULT_SESSION_IDLE_MS = 8 * 3_600_000;

/**
 * Sessions share the cache with keys under `ONSXG.<id>`, which no key id (39 base32 characters) can be,
 * so a session and a key with the same id never meet.
 */
const SESSION_CACHE_PREFIX = `${SESSION_PREFIX}.`;

/** Notes uses of sessions for their `last_used_at` (a {@link UsageRecorder} writing sessions). */
export interface UseRecorder {
  record(id: string, now: number, storedLastUsed?: Date): void;
}

export class ApiKeyVerifier {
  private readonly cache: CredentialCache<KeyEntry | SessionEntry>;
  private readonly now: () => number;
  private readonly rights: RightsModel;
  private readonly sessionIdleMs: number;
  /** Keys' rate limits and usage credits. */
  readonly meter: KeyMeter;

  constructor(
    private readonly store: Store,
    private readonly options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
    private readonly usage?: UsageRecorder,
    private readonly sessionUsage?: UseRecorder,
  ) {
    this.now = options.now ?? Date.now;
    this.rights = options.rights ?? keywardRights;
    this.sessionIdleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
    this.meter = options.meter ?? new KeyMeter(store, this.now);
    this.cache = new CredentialCache({ ttlMs: options.cacheTtlMs, size: options.cacheSize, negativeTtlMs: options.negativeTtlMs }, this.now);
  }

  /** Cache hits, misses and evictions since start. */
  get counts(): VerifierCacheCounts {
    return this.cache.counts;
  }

  /**
   * The principal of `credential` (an API key or a session token) presented by `client`, or a KeywardError
   * saying why not (`UNAUTHENTICATED`, or `PERMISSION_DENIED` / `API_KEY_IP_NOT_ALLOWED` from outside the
   * key's networks, `RESOURCE_EXHAUSTED` from its rate limit or usage credits). A key's rate-limit
   * window is written into `reading` when given (the `X-RateLimit-*` headers), on refusal too.
   */
  async verify(credential: string, client: Client = NO_CLIENT, reading?: RateLimitReading): Promise<Principal> {
    const parsed = parseToken(credential);
    if (!parsed.ok) throw CredentialsMalformed.create({ problem: TOKEN_PROBLEM_TEXT[parsed.problem] });
    this.options.transport?.refuseInsecure(client);
    const isKey = parsed.kind === "api_key";
    const cacheKey = isKey ? parsed.id : SESSION_CACHE_PREFIX + parsed.id;
    let now = this.now();
    // A cache hit, like a remembered unknown id, is answered without awaiting another promise.
    let entry = this.cache.cached(cacheKey, now);
    if (entry === undefined) {
      const read = isKey ? this.lookupKey(parsed.id, now) : this.lookupSession(parsed.id, now);
      if (read !== undefined) {
        entry = await read;
        now = this.now();
      }
    }
    if (!isKey) {
      const principal = checkSession(entry?.kind === "session" ? entry : undefined, parsed.secret, now, this.sessionIdleMs);
      const session = principal.session!;
      this.sessionUsage?.record(session.id, now, session.lastUsedAt);
      return principal;
    }
    const keyEntry = entry?.kind === "api_key" ? entry : undefined;
    const principal = checkKey(keyEntry, parsed.secret, now, client);
    const key = principal.key!;
    if (keyEntry!.metered) {
      const admitted = this.meter.admit(key, now, reading);
      if (admitted !== undefined) await admitted;
    }
    this.usage?.record(key.id, now, key.lastUsedAt, client);
    this.options.transport?.warnInsecure(client, key.id, now);
    return principal;
  }

  /** When a session ends if it is not used again, counting the uses this process saw. */
  sessionEnd(session: SessionRecord): Date {
    return new Date(sessionEnd(session, this.sessionIdleMs, this.sessionEntry(session.id)?.lastUsed));
  }

  /** Drops a key from the caches (it was changed, regenerated, deleted or created on this node; other nodes hear of it from the revocation feed). */
  forgetKey(keyId: string): void {
    this.cache.forget(keyId);
    this.meter.forgetKey(keyId);
  }

  /** Drops a session from the caches (it was ended on this node). */
  forgetSession(sessionId: string): void {
    this.cache.forget(SESSION_CACHE_PREFIX + sessionId);
  }

  /** Drops every cached key of a user (the user was changed, suspended or deleted on this node). */
  forgetUser(userId: string): void {
    this.cache.forgetUser(userId);
    this.meter.forgetUser(userId);
  }

  /** Drops every cached key and every remembered unknown id (the revocation feed could not say what changed). */
  forgetAll(): void {
    this.cache.forgetAll();
    this.meter.forgetAll();
  }

  /** How many keys are cached now (expired ones are dropped within two TTLs). For monitoring and tests. */
  get cachedKeys(): number {
    return this.cache.size;
  }

  private lookupKey(keyId: string, now: number): Promise<KeyEntry | SessionEntry | undefined> | undefined {
    return this.cache.lookup(
      keyId,
      now,
      () => this.store.findApiKeyWithOwner(keyId),
      (found, fetchedAt) => keyEntry(found, fetchedAt, this.rights),
    );
  }

  private lookupSession(sessionId: string, now: number): Promise<KeyEntry | SessionEntry | undefined> | undefined {
    return this.cache.lookup(
      SESSION_CACHE_PREFIX + sessionId,
      now,
      () => this.store.findSessionWithOwner(sessionId),
      // A re-read after the TTL keeps the uses this process saw.
      (found, fetchedAt) => sessionEntry(found, fetchedAt, this.rights, this.sessionEntry(sessionId)),
    );
  }

  private sessionEntry(sessionId: string): SessionEntry | undefined {
    const entry = this.cache.peek(SESSION_CACHE_PREFIX + sessionId);
    return entry?.kind === "session" ? entry : undefined;
  }
}
