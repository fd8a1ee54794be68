/**
 * Records `last_used_at`, with the client's address and `User-Agent`, off the request path: at most once a minute per key, written in batches by a
 * background timer, never awaited by a call. Losing a minute of usage on a crash is acceptable; slowing
 * every call with a write is not.
 */
import type { Logger } from "../logger.js";
import type { ApiKeyUse, Store } from "../store/store.js";
import type { Client } from "./client-address.js";

/** How often a key's use is written at most (DESIGN §9). */
export const USE_RECORD_INTERVAL_MS = 60_000;

export class UsageRecorder {
  private readonly pending = new Map<string, ApiKeyUse>();
  private readonly lastRecorded = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly logger: Logger,
    private readonly flushDelayMs = 1_000,
  ) {}

  /** Notes a use of key `id` at `now` (ms) by `client`, unless one was noted or stored less than a minute ago. */
  record(id: string, now: number, storedLastUsed?: Date, client?: Pick<Client, "address" | "userAgent">): void {
    const last = Math.max(this.lastRecorded.get(id) ?? 0, storedLastUsed?.getTime() ?? 0);
    if (now - last < USE_RECORD_INTERVAL_MS) return;
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
      await this.store.recordApiKeyUse(uses);
    } catch (error) {
      this.logger.warn("could not record API key use", { keys: uses.length, error });
    }
  }

  private forgetOld(now: number): void {
    for (const [id, at] of this.lastRecorded) if (now - at >= USE_RECORD_INTERVAL_MS) this.lastRecorded.delete(id);
  }
}
