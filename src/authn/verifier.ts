/**
 * Verifies a presented API key and returns its principal, in the order of ARCHITECTURE.md, "Credentials and errors": parse → lookup by id →
 * secret hash → user state → key state → expiry. Unknown ids and wrong secrets give the same error.
 * Session tokens (`ONSXG...`, ARCHITECTURE.md, "Sessions and passwords") go through the same parser, cache and hash check; their checks
 * after the secret are user state → absolute expiry → idle expiry, and their principal holds the user's
 * whole universe.
 *
 * A miss reads the key and its owner in one store call (`findApiKeyWithOwner`). Verified keys are cached
 * by id (LRU, TTL; ARCHITECTURE.md, "Caches and the revocation feed"). The cache saves the store reads only: the secret hash, states and expiry
 * are checked on every call, so the cache never extends a key's life. Changes made on this node evict at
 * once (`forgetKey`, `forgetUser`); other processes and nodes evict through the revocation feed
 * (revocation-poller.ts), with the TTL as the safety net.
 * Unknown ids are remembered briefly so random keys cannot hammer the store.
 *
 * During a regenerate's grace period the previous secret still authenticates, with a principal marked
 * `supersededSecret` (built once per cache entry), so the grace rule (principal-access.ts) can refuse it
 * whatever would mint or change a credential.
 *
 * The client (ARCHITECTURE.md, "The network edge") is judged here too, so every door and forward auth share it: a key with
 * `allowedIps` is refused from any other address (after the secret matched, so a guesser learns nothing),
 * and the transport policy refuses or warns about credentials that crossed a network unencrypted.
 */
import {
  ApiKeyDisabled,
  ApiKeyExpired,
  ApiKeyInvalid,
  ApiKeyIpNotAllowed,
  CredentialsMalformed,
  SessionExpired,
  SessionInvalid,
  UserSuspended,
} from "../errors/errors.js";
import { parseToken, SESSION_PREFIX, secretChecker, TOKEN_PROBLEM_TEXT } from "../keys/index.js";
import { rights as keywardRights, type RightsModel, type RightsOwner } from "../rights/index.js";
import type { ApiKeyRecord, ApiKeyWithOwner, SessionRecord, SessionWithOwner, Store, UserRecord } from "../store/store.js";
import type { Client } from "../net/client-address.js";
import { networkListOf } from "../net/networks.js";
import type { Principal } from "./principal.js";
import type { TransportPolicy } from "../net/transport-policy.js";
import type { UsageRecorder } from "./usage-recorder.js";

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

interface CacheEntry {
  /** Built once per store read, handed to every call the entry serves. */
  readonly principal: Principal;
  /**
   * The same principal marked as authenticated by the previous secret (the grace rule), built with it
   * while a rotation grace period is set, so a call with the old secret allocates nothing either.
   */
  readonly supersededPrincipal: Principal | undefined;
  /** The key's stored hashes, decoded once per store read (see `secretChecker`). */
  readonly checkSecret: (secret: string) => boolean;
  /** The replaced secret's check, while a rotation grace period is set. */
  readonly checkPreviousSecret: ((secret: string) => boolean) | undefined;
  readonly fetchedAt: number;
  /** When the entry last moved to the recently-used end of the LRU order. */
  touchedAt: number;
  /**
   * A session's last use seen by this process: its idle end follows uses the store has not been told of
   * yet (uses are written in batches). 0 for keys.
   */
  lastUsed: number;
}

/**
 * A hit moves its entry to the recently-used end of the LRU order at most this often. Moving is a Map
 * delete and set, which cost as much as the rest of a cached lookup; at a hit rate of thousands per
 * second per key, doing it once a second keeps the eviction order just as useful.
 */
const LRU_TOUCH_INTERVAL_MS = 1_000;

/** What the cache did since start, for /metrics. Plain counters: a hit costs one increment. */
export class VerifierCacheCounts {
  hits = 0;
  misses = 0;
  capacityEvictions = 0;
  changeEvictions = 0;
  expiredEvictions = 0;
}

export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly unknown = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<CacheEntry | undefined>>();
  /** Bumped by every eviction, so a read that raced with a change is not cached. */
  private generation = 0;
  /** Drops expired entries while there are any (see {@link sweep}). */
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly rights: RightsModel;
  /** Cache hits, misses and evictions since start. */
  readonly counts = new VerifierCacheCounts();

  private readonly sessionIdleMs: number;

  constructor(
    private readonly store: Store,
    private readonly options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
    private readonly usage?: UsageRecorder,
    private readonly sessionUsage?: UseRecorder,
  ) {
    this.now = options.now ?? Date.now;
    this.rights = options.rights ?? keywardRights;
    this.sessionIdleMs = options.sessionIdleMs ?? DEFAULT_SESSION_IDLE_MS;
  }

  /**
   * The principal of `credential` (an API key or a session token) presented by `client`, or a KeywardError
   * saying why not (`UNAUTHENTICATED`, or `PERMISSION_DENIED` / `API_KEY_IP_NOT_ALLOWED` from outside the
   * key's networks).
   */
  async verify(credential: string, client: Client = NO_CLIENT): Promise<Principal> {
    const parsed = parseToken(credential);
    if (!parsed.ok) throw CredentialsMalformed.create({ problem: TOKEN_PROBLEM_TEXT[parsed.problem] });
    this.options.transport?.refuseInsecure(client);
    const isKey = parsed.kind === "api_key";
    const cacheKey = isKey ? parsed.id : SESSION_CACHE_PREFIX + parsed.id;
    let now = this.now();
    // A cache hit, like a remembered unknown id, is answered without awaiting another promise.
    let entry = this.cached(cacheKey, now);
    if (entry !== undefined) this.counts.hits++;
    else {
      const read = this.lookup(cacheKey, now);
      if (read !== undefined) {
        this.counts.misses++;
        entry = await read;
        now = this.now();
      }
    }
    if (!isKey) return this.checkSession(entry, parsed.secret, now);
    const principal = entry && principalOfSecret(entry, parsed.secret, now);
    if (!principal) throw ApiKeyInvalid.create();
    const { user } = principal;
    const key = principal.key!;
    if (user.state === "suspended") throw UserSuspended.create({ user_id: user.userId });
    if (key.state === "disabled") throw ApiKeyDisabled.create({ key_id: key.id });
    if (key.expiresAt && key.expiresAt.getTime() <= now) {
      throw ApiKeyExpired.create({ key_id: key.id, expired_at: key.expiresAt.toISOString() });
    }
    if (key.allowedIps !== undefined && key.allowedIps.length > 0 && !networkListOf(key.allowedIps).includes(client.address)) {
      throw ApiKeyIpNotAllowed.create({ key_id: key.id, address: client.address === "" ? "an unknown address" : client.address });
    }
    this.usage?.record(key.id, now, key.lastUsedAt, client);
    this.options.transport?.warnInsecure(client, key.id, now);
    return principal;
  }

  /** A session's checks after the lookup: secret → user state → absolute expiry → idle expiry. */
  private checkSession(entry: CacheEntry | undefined, secret: string, now: number): Principal {
    if (!entry || !entry.checkSecret(secret)) throw SessionInvalid.create();
    const { user } = entry.principal;
    const session = entry.principal.session!;
    // Suspension deletes the user's sessions (store contract); this covers a cached entry meanwhile.
    if (user.state === "suspended") throw UserSuspended.create({ user_id: user.userId });
    const idleEnd = Math.max(entry.lastUsed, session.lastUsedAt.getTime()) + this.sessionIdleMs;
    const end = Math.min(idleEnd, session.expiresAt.getTime());
    if (end <= now) throw SessionExpired.create({ session_id: session.id, expired_at: new Date(end).toISOString() });
    entry.lastUsed = now;
    this.sessionUsage?.record(session.id, now, session.lastUsedAt);
    return entry.principal;
  }

  /** When a session ends if it is not used again: the earlier of its idle and absolute ends. */
  sessionEnd(session: SessionRecord): Date {
    const lastUsed = Math.max(this.cache.get(SESSION_CACHE_PREFIX + session.id)?.lastUsed ?? 0, session.lastUsedAt.getTime());
    return new Date(Math.min(lastUsed + this.sessionIdleMs, session.expiresAt.getTime()));
  }

  /** The idle timeout sessions are checked against. */
  get sessionIdleTimeoutMs(): number {
    return this.sessionIdleMs;
  }

  /** Drops a key from the caches (it was changed, regenerated, deleted or created on this node; other nodes hear of it from the revocation feed). */
  forgetKey(keyId: string): void {
    this.generation++;
    if (this.cache.delete(keyId)) this.counts.changeEvictions++;
    this.unknown.delete(keyId);
  }

  /** Drops a session from the caches (it was ended on this node). */
  forgetSession(sessionId: string): void {
    this.forgetKey(SESSION_CACHE_PREFIX + sessionId);
  }

  /** Drops every cached key of a user (the user was changed, suspended or deleted on this node). */
  forgetUser(userId: string): void {
    this.generation++;
    for (const [id, entry] of this.cache) {
      if (entry.principal.user.userId !== userId) continue;
      this.cache.delete(id);
      this.counts.changeEvictions++;
    }
  }

  /** Drops every cached key and every remembered unknown id (the revocation feed could not say what changed). */
  forgetAll(): void {
    this.generation++;
    this.cache.clear();
    this.unknown.clear();
  }

  /** How many keys are cached now (expired ones are dropped within two TTLs). For monitoring and tests. */
  get cachedKeys(): number {
    return this.cache.size;
  }

  /** The cached entry of `id` if it is fresh, moved to the recently-used end of the LRU order. */
  private cached(id: string, now: number): CacheEntry | undefined {
    const cached = this.cache.get(id);
    if (cached === undefined || now - cached.fetchedAt >= this.options.cacheTtlMs) return undefined;
    if (now - cached.touchedAt >= LRU_TOUCH_INTERVAL_MS) {
      cached.touchedAt = now;
      this.cache.delete(id);
      this.cache.set(id, cached);
    }
    return cached;
  }

  /**
   * A cache miss: undefined for an id remembered as unknown, else one store read shared by concurrent
   * misses for `id` (single flight).
   */
  private lookup(id: string, now: number): Promise<CacheEntry | undefined> | undefined {
    const unknownSince = this.unknown.get(id);
    if (unknownSince !== undefined && now - unknownSince < this.options.negativeTtlMs) return undefined;
    return this.inflight.get(id) ?? this.fetch(id);
  }

  /**
   * Reads key (or session) and owner in one store call, and caches the result unless a change raced with
   * the read.
   */
  private fetch(id: string): Promise<CacheEntry | undefined> {
    const generation = this.generation;
    const read: Promise<ApiKeyWithOwner | SessionWithOwner | undefined> = id.startsWith(SESSION_CACHE_PREFIX)
      ? this.store.findSessionWithOwner(id.slice(SESSION_CACHE_PREFIX.length))
      : this.store.findApiKeyWithOwner(id);
    // Plain `then` callbacks rather than async functions and `finally`: each of those adds a promise and
    // a turn of the microtask queue to every miss.
    const pending = read.then(
      (found) => {
        this.inflight.delete(id);
        return this.settle(id, found, generation);
      },
      (error: unknown) => {
        this.inflight.delete(id);
        throw error;
      },
    );
    this.inflight.set(id, pending);
    return pending;
  }

  private settle(id: string, found: ApiKeyWithOwner | SessionWithOwner | undefined, generation: number): CacheEntry | undefined {
    const fetchedAt = this.now();
    const current = generation === this.generation;
    if (found === undefined) {
      if (current) this.remember(this.unknown, id, fetchedAt, this.options.cacheSize);
      return undefined;
    }
    const entry = "key" in found ? this.build(found.key, found.user, fetchedAt) : this.buildSession(found.session, found.user, fetchedAt);
    if (current && this.options.cacheTtlMs > 0) this.remember(this.cache, id, entry, this.options.cacheSize);
    return entry;
  }

  private build(key: ApiKeyRecord, user: UserRecord, fetchedAt: number): CacheEntry {
    const owner = ownerOf(user);
    const principal: Principal = { key, session: undefined, user, rights: this.rights.effective(key.rights, owner), supersededSecret: false };
    const inGrace = key.previousSecretHash !== undefined && key.previousSecretValidUntil !== undefined;
    return {
      principal,
      supersededPrincipal: inGrace ? { ...principal, supersededSecret: true } : undefined,
      checkSecret: secretChecker(key.secretHash),
      checkPreviousSecret: inGrace ? secretChecker(key.previousSecretHash!) : undefined,
      fetchedAt,
      touchedAt: fetchedAt,
      lastUsed: 0,
    };
  }

  /** A session's principal carries its user's whole universe (ARCHITECTURE.md, "Sessions and passwords"). */
  private buildSession(session: SessionRecord, user: UserRecord, fetchedAt: number): CacheEntry {
    const previous = this.cache.get(SESSION_CACHE_PREFIX + session.id);
    return {
      principal: {
        key: undefined,
        session,
        user,
        rights: this.rights.universe(ownerOf(user)),
        supersededSecret: false,
      },
      supersededPrincipal: undefined,
      checkSecret: secretChecker(session.secretHash),
      checkPreviousSecret: undefined,
      fetchedAt,
      touchedAt: fetchedAt,
      // A re-read after the TTL keeps the uses this process saw.
      lastUsed: previous?.lastUsed ?? 0,
    };
  }

  private remember<V>(map: Map<string, V>, id: string, value: V, limit: number): void {
    map.set(id, value);
    if (map.size > limit) {
      map.delete(map.keys().next().value!);
      if (map === (this.cache as Map<string, unknown>)) this.counts.capacityEvictions++;
    }
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    this.sweepTimer ??= setTimeout(() => this.sweep(), Math.max(this.options.cacheTtlMs, this.options.negativeTtlMs)).unref();
  }

  /**
   * Drops the entries whose TTL has passed: a lookup would read the store again anyway, so keeping them
   * only holds memory (about 2 KB per key with its answers). Memory then follows the keys used in the
   * last TTL rather than every key used since the cache last filled up. Runs while anything is cached.
   */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.now();
    for (const [id, entry] of this.cache) {
      if (now - entry.fetchedAt < this.options.cacheTtlMs) continue;
      this.cache.delete(id);
      this.counts.expiredEvictions++;
    }
    for (const [id, since] of this.unknown) if (now - since >= this.options.negativeTtlMs) this.unknown.delete(id);
    if (this.cache.size > 0 || this.unknown.size > 0) this.scheduleSweep();
  }
}

/**
 * The principal `secret` authenticates: the entry's own for the current secret, the superseded one for the
 * previous secret within its grace period, undefined for anything else.
 */
function principalOfSecret(entry: CacheEntry, secret: string, now: number): Principal | undefined {
  if (entry.checkSecret(secret)) return entry.principal;
  const graceEnds = entry.principal.key?.previousSecretValidUntil?.getTime();
  const previous = entry.checkPreviousSecret !== undefined && graceEnds !== undefined && now < graceEnds && entry.checkPreviousSecret(secret);
  return previous ? entry.supersededPrincipal : undefined;
}

/** What decides `user`'s universe (ARCHITECTURE.md, "Rights and access" and "Tenants"). */
function ownerOf(user: UserRecord): RightsOwner {
  return { admin: user.admin, suspended: user.state === "suspended", inTenant: user.tenantId !== undefined };
}
