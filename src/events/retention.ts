/**
 * Retention (ARCHITECTURE.md, "Events"): events older than `--event-retention`, and deliveries finished
 * (delivered or given up) that long ago, are deleted in the background in bounded batches. The store
 * moves the chain's anchor with each pruning, so `keyward events verify` still walks what is left.
 */
import type { Logger } from "../logger.js";
import type { DeliveryStore, EventStore } from "../store/store.js";
import { PeriodicTask, yieldToIo } from "./periodic-task.js";

/**
 * Rows deleted per store call: short writes, so pruning never holds the store's write lock, nor (SQLite's
 * calls being synchronous) the event loop, for long; it yields between calls.
 */
export const PRUNE_BATCH = 500;
/** Most calls per kind in one round; the rest is left for the next round. */
const MAX_BATCHES_PER_ROUND = 100;
/** How often retention runs: old rows wait at most this much longer. */
export const PRUNE_INTERVAL_MS = 10 * 60_000;

/** The pruning of one process: every `intervalMs`, deliveries then events past `retentionMs`. */
export function retentionPruner(
  store: EventStore & DeliveryStore,
  retentionMs: number,
  logger: Logger,
  now: () => number = Date.now,
  intervalMs = PRUNE_INTERVAL_MS,
): PeriodicTask {
  const prune = async (kind: string, call: (before: Date, limit: number) => Promise<number>) => {
    const before = new Date(now() - retentionMs);
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_ROUND; batch++) {
      const deleted = await call(before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
      await yieldToIo();
    }
    if (total > 0) logger.info(`pruned ${kind} past retention`, { count: total });
  };
  return new PeriodicTask(
    "retention",
    intervalMs,
    async () => {
      await prune("deliveries", (before, limit) => store.pruneDeliveries(before, limit));
      await prune("events", (before, limit) => store.pruneEvents(before, limit));
      return false;
    },
    logger,
  );
}
