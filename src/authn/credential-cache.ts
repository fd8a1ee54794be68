/**
 * The per-process cache of verified credentials (ARCHITECTURE.md, "Caches and the revocation feed"): an
 * LRU with a TTL, one store read shared by concurrent misses for an id (single flight), and unknown ids
 * remembered briefly so random keys cannot hammer the store. It saves store reads only; what an entry
 * holds is checked on every call by its verifier.
 */

/** What the cache needs of an entry. */
export interface CachedCredential {
  /** When the store read it. */
  readonly fetchedAt: number;
  /** When the entry last moved to the recently-used end of the LRU order. */
  touchedAt: number;
  /** The owner, so that a change of the user evicts all of its credentials. */
  readonly principal: { readonly user: { readonly userId: string } };
}

export interface CredentialCacheOptions {
  /** How long an entry is reused before re-reading the store. 0 disables the cache. */
  readonly ttlMs: number;
  /** Most entries at once (and most unknown ids remembered). */
  readonly size: number;
  /** How long an unknown id is remembered as unknown. */
  readonly negativeTtlMs: number;
}

/** What the cache did since start, for /metrics. Plain counters: a hit costs one increment. */
export class VerifierCacheCounts {
  hits = 0;
  misses = 0;
  capacityEvictions = 0;
  changeEvictions = 0;
  expiredEvictions = 0;
}

/**
 * A hit moves its entry to the recently-used end of the LRU order at most this often. Moving is a Map
 * delete and set, which cost as much as the rest of a cached lookup; at a hit rate of thousands per
 * second per key, doing it once a second keeps the eviction order just as useful.
 */
const LRU_TOUCH_INTERVAL_MS = 1_000;

export class CredentialCache<E extends CachedCredential> {
  private readonly entries = new Map<string, E>();
  private readonly unknown = new Map<string, number>();
  private readonly inflight = new Map<string, Promise<E | undefined>>();
  /** Bumped by every eviction, so a read that raced with a change is not cached. */
  private generation = 0;
  /** Drops expired entries while there are any (see {@link sweep}). */
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Hits, misses and evictions since start. */
  readonly counts = new VerifierCacheCounts();

  constructor(
    private readonly options: CredentialCacheOptions,
    private readonly now: () => number,
  ) {}

  /** The fresh entry of `id`, moved to the recently-used end of the LRU order; counts a hit. */
  cached(id: string, now: number): E | undefined {
    const cached = this.entries.get(id);
    if (cached === undefined || now - cached.fetchedAt >= this.options.ttlMs) return undefined;
    if (now - cached.touchedAt >= LRU_TOUCH_INTERVAL_MS) {
      cached.touchedAt = now;
      this.entries.delete(id);
      this.entries.set(id, cached);
    }
    this.counts.hits++;
    return cached;
  }

  /** The entry of `id` as held, fresh or not, without touching the LRU order. */
  peek(id: string): E | undefined {
    return this.entries.get(id);
  }

  /**
   * A miss: undefined for an id remembered as unknown, else one store read shared by concurrent misses
   * for `id` (single flight), counted once. `read` reads the store; `build` makes the entry of what it
   * found, stamped with the time the read ended. The entry is cached unless a change raced with the read.
   */
  lookup<F>(id: string, now: number, read: () => Promise<F | undefined>, build: (found: F, fetchedAt: number) => E): Promise<E | undefined> | undefined {
    const unknownSince = this.unknown.get(id);
    if (unknownSince !== undefined && now - unknownSince < this.options.negativeTtlMs) return undefined;
    this.counts.misses++;
    return this.inflight.get(id) ?? this.fetch(id, read, build);
  }

  private fetch<F>(id: string, read: () => Promise<F | undefined>, build: (found: F, fetchedAt: number) => E): Promise<E | undefined> {
    const generation = this.generation;
    // Plain `then` callbacks rather than async functions and `finally`: each of those adds a promise and
    // a turn of the microtask queue to every miss.
    const pending = read().then(
      (found) => {
        this.inflight.delete(id);
        return this.settle(id, found, generation, build);
      },
      (error: unknown) => {
        this.inflight.delete(id);
        throw error;
      },
    );
    this.inflight.set(id, pending);
    return pending;
  }

  private settle<F>(id: string, found: F | undefined, generation: number, build: (found: F, fetchedAt: number) => E): E | undefined {
    const fetchedAt = this.now();
    const current = generation === this.generation;
    if (found === undefined) {
      if (current) this.remember(this.unknown, id, fetchedAt);
      return undefined;
    }
    const entry = build(found, fetchedAt);
    if (current && this.options.ttlMs > 0) this.remember(this.entries, id, entry);
    return entry;
  }

  /** Drops `id` from the cache and from the unknown ids (it changed on this node). */
  forget(id: string): void {
    this.generation++;
    if (this.entries.delete(id)) this.counts.changeEvictions++;
    this.unknown.delete(id);
  }

  /** Drops every entry of a user. */
  forgetUser(userId: string): void {
    this.generation++;
    for (const [id, entry] of this.entries) {
      if (entry.principal.user.userId !== userId) continue;
      this.entries.delete(id);
      this.counts.changeEvictions++;
    }
  }

  /** Drops every entry and every remembered unknown id. */
  forgetAll(): void {
    this.generation++;
    this.entries.clear();
    this.unknown.clear();
  }

  /** How many entries are held now (expired ones are dropped within two TTLs). */
  get size(): number {
    return this.entries.size;
  }

  private remember<V>(map: Map<string, V>, id: string, value: V): void {
    map.set(id, value);
    if (map.size > this.options.size) {
      map.delete(map.keys().next().value!);
      if (map === (this.entries as Map<string, unknown>)) this.counts.capacityEvictions++;
    }
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    this.sweepTimer ??= setTimeout(() => this.sweep(), Math.max(this.options.ttlMs, this.options.negativeTtlMs)).unref();
  }

  /**
   * Drops the entries whose TTL has passed: a lookup would read the store again anyway, so keeping them
   * only holds memory (each key's principal and answers). Memory then follows the keys used in the
   * last TTL rather than every key used since the cache last filled up. Runs while anything is cached.
   */
  private sweep(): void {
    this.sweepTimer = undefined;
    const now = this.now();
    for (const [id, entry] of this.entries) {
      if (now - entry.fetchedAt < this.options.ttlMs) continue;
      this.entries.delete(id);
      this.counts.expiredEvictions++;
    }
    for (const [id, since] of this.unknown) if (now - since >= this.options.negativeTtlMs) this.unknown.delete(id);
    if (this.entries.size > 0 || this.unknown.size > 0) this.scheduleSweep();
  }
}
