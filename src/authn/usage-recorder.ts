/**
 * Records `last_used_at`, with the client's address and `User-Agent`, off the request path: at most once a minute per key, written in batches by a
 * background timer, never awaited by a call. Losing a minute of usage on a crash is acceptable; slowing
 * every call with a write is not. The same recorder, pointed at sessions, keeps their `last_used_at`
 * (which their idle expiry follows on other nodes) with an interval well below the idle timeout.
 */
import type { Logger } from "../logger.js";
import type { ApiKeyUse, Store } from "../store/store.js";
import type { Client } from "../net/client-address.js";

/** How often a key's use is written at most (ARCHITECTURE.md, "Caches and the revocation feed"). */
export const USE_RECORD_INTERVAL_MS = 60_000;

/** What a recorder records: keys by default. */
export interface UseTarget {
  /** For the log line when a write fails, e.g. "API key". */
  readonly what: string;
  /** A use is written at most this often per id. */
  readonly intervalMs: number;
  write(store: Store, uses: ApiKeyUse[]): Promise<void>;
}

/** API keys' `last_used_at`, at most once a minute. */
export const API_KEY_USES: UseTarget = { what: "API key", intervalMs: USE_RECORD_INTERVAL_MS, write: (store, uses) => store.recordApiKeyUse(uses) };

/**
 * Sessions' `last_used_at`: at most once a minute, and at least four times per idle timeout, so that
 * another node's view of a session in use never falls idle.
 */
export function sessionUses(idleMs: number): UseTarget {
  return {
    what: "session",
    intervalMs: Math.max(1, Math.min(USE_RECORD_INTERVAL_MS, Math.floor(idleMs / 4))),
    write: (store, uses) => store.recordSessionUse(uses),
  };
}

export class UsageRecorder {
  private readonly pending = new Map<string, ApiKeyUse>();
  private readonly lastRecorded = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private readonly flushDelayMs: number;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    flushDelayMs = 1_000,
    private readonly target: UseTarget = API_KEY_USES,
  ) {
    // Never wait longer to write than the interval between writes.
    this.flushDelayMs = Math.min(flushDelayMs, target.intervalMs);
  }

  /** Notes a use of `id` at `now` (ms) by `client`, unless one was noted or stored less than an interval ago. */
  record(id: string, now: number, storedLastUsed?: Date, client?: Pick<Client, "address" | "userAgent">): void {
    const last = Math.max(this.lastRecorded.get(id) ?? 0, storedLastUsed?.getTime() ?? 0);
    if (now - last < this.target.intervalMs) return;
    this.lastRecorded.set(id, now);
    const use: ApiKeyUse = { id, at: new Date(now) };
    if (client !== undefined && client.address !== "") use.ip = client.address;
    if (client?.userAgent !== undefined) use.userAgent = client.userAgent;
    this.pending.set(id, use);
    this.timer ??= setTimeout(() => void this.flush(), this.flushDelayMs).unref();
  }

  /** Writes what is pending. Called by the timer and on shutdown. */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const uses = [...this.pending.values()];
    this.pending.clear();
    this.forgetOld(Date.now());
    try {
      await this.target.write(this.store, uses);
    } catch (error) {
      this.logger.warn(`could not record ${this.target.what} use`, { count: uses.length, error });
    }
  }

  private forgetOld(now: number): void {
    for (const [id, at] of this.lastRecorded) if (now - at >= this.target.intervalMs) this.lastRecorded.delete(id);
  }
}
