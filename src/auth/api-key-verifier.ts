/**
 * Verifies a presented API key and returns its principal, in DESIGN §6's order: parse → lookup by id →
 * secret hash → user state → key state → expiry. Unknown ids and wrong secrets give the same error.
 *
 * Verified keys are cached by id (LRU, TTL; DESIGN §9). The cache saves the store reads only: the secret
 * hash, states and expiry are checked on every call, so the cache never extends a key's life. Changes
 * made on this node evict at once (`forgetKey`, `forgetUser`); other nodes see them within the TTL.
 * Unknown ids are remembered briefly so random keys cannot hammer the store.
 */
import { ApiKeyDisabled, ApiKeyExpired, ApiKeyInvalid, CredentialsMalformed, UserSuspended } from "../errors.js";
import { KEY_PROBLEM_TEXT, parseKey, verifySecret } from "../keys/index.js";
import { rights as keywardRights, type RightsModel } from "../rights/index.js";
import type { ApiKeyRecord, Store, UserRecord } from "../store/store.js";
import type { Principal } from "./principal.js";
import type { UsageRecorder } from "./usage-recorder.js";

export interface VerifierOptions {
  /** How long a verified key's records are reused before re-reading the store. 0 disables the cache. */
  readonly cacheTtlMs: number;
  /** Most keys cached at once. */
  readonly cacheSize: number;
  /** How long an unknown key id is remembered as unknown. */
  readonly negativeTtlMs: number;
  readonly now?: () => number;
  readonly rights?: RightsModel;
}

export const DEFAULT_VERIFIER_OPTIONS: VerifierOptions = { cacheTtlMs: 5_000, cacheSize: 10_000, negativeTtlMs: 1_000 };

interface CacheEntry {
  readonly key: ApiKeyRecord;
  readonly user: UserRecord;
  readonly rights: ReadonlySet<number>;
  readonly fetchedAt: number;
}

export class ApiKeyVerifier {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly unknown = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<CacheEntry | undefined>>();
  /** Bumped by every eviction, so a read that raced with a change is not cached. */
  private generation = 0;
  private readonly now: () => number;
  private readonly rights: RightsModel;

  constructor(
    private readonly store: Store,
    private readonly options: VerifierOptions = DEFAULT_VERIFIER_OPTIONS,
    private readonly usage?: UsageRecorder,
  ) {
    this.now = options.now ?? Date.now;
    this.rights = options.rights ?? keywardRights;
  }

  /** The principal of `credential`, or a KeywardError (`UNAUTHENTICATED`) saying why not. */
  async verify(credential: string): Promise<Principal> {
    const parsed = parseKey(credential);
    if (!parsed.ok) throw CredentialsMalformed.create({ problem: KEY_PROBLEM_TEXT[parsed.problem] });
    const entry = await this.lookup(parsed.id);
    const now = this.now();
    if (!entry || !secretMatches(entry.key, parsed.secret, now)) throw ApiKeyInvalid.create();
    const { key, user } = entry;
    if (user.state === "suspended") throw UserSuspended.create({ user_id: user.userId });
    if (key.state === "disabled") throw ApiKeyDisabled.create({ key_id: key.id });
    if (key.expiresAt && key.expiresAt.getTime() <= now) {
      throw ApiKeyExpired.create({ key_id: key.id, expired_at: key.expiresAt.toISOString() });
    }
    this.usage?.record(key.id, now, key.lastUsedAt);
    return entry;
  }

  /** Drops a key from the caches (it was changed, regenerated, deleted or created on this node). */
  forgetKey(keyId: string): void {
    this.generation++;
    this.cache.delete(keyId);
    this.unknown.delete(keyId);
  }

  /** Drops every cached key of a user (the user was changed, suspended or deleted on this node). */
  forgetUser(userId: string): void {
    this.generation++;
    for (const [id, entry] of this.cache) if (entry.user.userId === userId) this.cache.delete(id);
  }

  private async lookup(id: string): Promise<CacheEntry | undefined> {
    const now = this.now();
    const cached = this.cache.get(id);
    if (cached && now - cached.fetchedAt < this.options.cacheTtlMs) {
      // Refresh its LRU position.
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    const unknownSince = this.unknown.get(id);
    if (unknownSince !== undefined && now - unknownSince < this.options.negativeTtlMs) return undefined;
    // Concurrent misses for one id share one store read.
    let pending = this.inflight.get(id);
    if (!pending) {
      pending = this.fetch(id).finally(() => this.inflight.delete(id));
      this.inflight.set(id, pending);
    }
    return pending;
  }

  private async fetch(id: string): Promise<CacheEntry | undefined> {
    const generation = this.generation;
    const key = await this.store.findApiKey(id);
    const user = key && (await this.store.getUser(key.userId).catch(() => undefined));
    const fetchedAt = this.now();
    if (generation !== this.generation) return this.build(key, user, fetchedAt);
    if (!key || !user) {
      this.remember(this.unknown, id, fetchedAt, this.options.cacheSize);
      return undefined;
    }
    const entry = this.build(key, user, fetchedAt)!;
    if (this.options.cacheTtlMs > 0) this.remember(this.cache, id, entry, this.options.cacheSize);
    return entry;
  }

  private build(key: ApiKeyRecord | undefined, user: UserRecord | undefined, fetchedAt: number): CacheEntry | undefined {
    if (!key || !user) return undefined;
    const owner = { admin: user.admin, suspended: user.state === "suspended" };
    return { key, user, rights: this.rights.effective(key.rights, owner), fetchedAt };
  }

  private remember<V>(map: Map<string, V>, id: string, value: V, limit: number): void {
    map.set(id, value);
    if (map.size > limit) map.delete(map.keys().next().value!);
  }
}

function secretMatches(key: ApiKeyRecord, secret: string, now: number): boolean {
  if (verifySecret(secret, key.secretHash)) return true;
  const graceEnds = key.previousSecretValidUntil?.getTime();
  return key.previousSecretHash !== undefined && graceEnds !== undefined && now < graceEnds && verifySecret(secret, key.previousSecretHash);
}
