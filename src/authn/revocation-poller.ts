/**
 * Follows the store's revocation feed (ARCHITECTURE.md, "Caches and the revocation feed") and evicts what it names from this process's
 * verification cache, so a key or user changed on another process or node stops working here within
 * about one poll interval. Runs on a timer, never on the request path. Falling behind the feed's
 * retention (entries pruned before this process read them) drops the whole cache; the cache TTL stays
 * the safety net for anything the feed cannot deliver (the store unreachable for a while).
 */
import type { Logger } from "../logger.js";
import type { RevocationEntry, Store } from "../store/store.js";

/** What the poller evicts from; the verifier implements it. */
export interface RevocableCaches {
  forgetKey(keyId: string): void;
  forgetUser(userId: string): void;
  forgetSession(sessionId: string): void;
  forgetAll(): void;
}

export interface RevocationPollerOptions {
  /** Time between the end of one poll and the start of the next. */
  readonly intervalMs: number;
  /** How long entries are kept; older ones are pruned. A process that cannot poll for longer drops its cache. */
  readonly retentionMs: number;
  /** How often this process prunes (each process does; pruning twice deletes nothing twice). */
  readonly pruneIntervalMs: number;
  /** Entries read per store call; a poll reads until a batch comes back short. */
  readonly batchSize: number;
  readonly now?: () => number;
}

/** The revocation feed's defaults (ARCHITECTURE.md, "Caches and the revocation feed"): poll every 250 ms, keep ten minutes, prune about once a minute. */
export const DEFAULT_REVOCATION_POLLER_OPTIONS: RevocationPollerOptions = {
  intervalMs: 250,
  retentionMs: 10 * 60_000,
  pruneIntervalMs: 60_000,
  batchSize: 500,
};

export class RevocationPoller {
  private cursor = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private failing = false;
  private nextPruneAt = 0;
  private lastPolledAt = 0;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly caches: RevocableCaches,
    private readonly logger: Logger,
    private readonly options: RevocationPollerOptions = DEFAULT_REVOCATION_POLLER_OPTIONS,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Reads the feed's head and starts polling after it. Must complete before the cache serves anything:
   * a key cached before the head was read could be revoked by an entry this poller would skip.
   */
  async start(): Promise<void> {
    this.cursor = await this.store.revocationHead();
    this.lastPolledAt = this.now();
    // Spread the processes' pruning over the interval rather than all pruning at the same moment.
    this.nextPruneAt = this.now() + Math.random() * this.options.pruneIntervalMs;
    this.schedule();
  }

  /** Reads every entry after the cursor and evicts what they name. Polls never overlap. */
  poll(): Promise<void> {
    this.running ??= this.pollOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Stops the timer and waits for a poll in progress. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Milliseconds since the feed was last read in full: how stale this process's view may be. */
  get lagMs(): number {
    return this.now() - this.lastPolledAt;
  }

  /** The seq of the last entry applied. */
  get position(): number {
    return this.cursor;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.poll().then(() => this.schedule());
    }, this.options.intervalMs).unref();
  }

  private async pollOnce(): Promise<void> {
    const startedAt = this.now();
    try {
      for (;;) {
        const batch = await this.store.readRevocations(this.cursor, this.options.batchSize);
        if (batch.missed) {
          this.caches.forgetAll();
          this.logger.warn("revocation feed: fell behind its retention, dropped the whole verification cache", {
            retentionMs: this.options.retentionMs,
          });
        }
        for (const entry of batch.entries) this.apply(entry);
        this.cursor = batch.cursor;
        if (!batch.missed && batch.entries.length < this.options.batchSize) break;
      }
      this.lastPolledAt = startedAt;
      if (this.failing) this.logger.info("revocation feed: reading again");
      this.failing = false;
      await this.pruneWhenDue();
    } catch (error) {
      // Logged once per outage, not every 250 ms; the cache TTL bounds what is missed meanwhile.
      if (!this.failing) this.logger.warn("revocation feed: cannot read it; relying on the cache TTL until it is back", { error });
      this.failing = true;
    }
  }

  private apply(entry: RevocationEntry): void {
    switch (entry.kind) {
      case "api_key":
        this.caches.forgetKey(entry.subjectId);
        return;
      case "user":
        this.caches.forgetUser(entry.subjectId);
        return;
      case "session":
        this.caches.forgetSession(entry.subjectId);
        return;
      default:
        // A kind from a newer Keyward: whatever it revokes, nothing cached survives.
        this.caches.forgetAll();
    }
  }

  private async pruneWhenDue(): Promise<void> {
    const now = this.now();
    if (now < this.nextPruneAt) return;
    this.nextPruneAt = now + this.options.pruneIntervalMs;
    const deleted = await this.store.pruneRevocations(new Date(now - this.options.retentionMs));
    if (deleted > 0) this.logger.debug("revocation feed: pruned old entries", { deleted });
  }
}
