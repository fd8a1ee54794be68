/**
 * Expiry warnings (ARCHITECTURE.md, "Events"): every interval, each process asks the store for keys that
 * reached a warning point (`--expiry-warnings`, e.g. 7 days and 1 day before they expire); the store
 * marks each warning given in the same write as its `api_key.expiring` event, so a key is warned once per
 * point however many processes sweep.
 */
import { formatDuration, parseDuration } from "../durations.js";
import type { Logger } from "../logger.js";
import type { ExpiryPoint, ExpiryWarningStore } from "../store/store.js";
import { PeriodicTask, yieldToIo } from "./periodic-task.js";

/**
 * Keys warned per point per store call. Small: each key is its own write (its mark and its event), and on
 * SQLite a call holds the event loop until all of them are done, so a call must stay short for the
 * calls served meanwhile; a sweep calls again (after yielding) while a call comes back full.
 */
export const EXPIRY_BATCH = 20;
/** Most calls one sweep makes, so a sweep's time is bounded; the rest waits for the next interval. */
const MAX_BATCHES_PER_SWEEP = 250;
/** Most warning points. */
export const MAX_EXPIRY_POINTS = 10;

/**
 * Parses `--expiry-warnings`: comma-separated durations (`7d,1d`), each longer than 0, without repeats;
 * `""` for none. Returns the points longest first, labelled as written canonically (`7d`), or a problem.
 */
export function parseExpiryPoints(text: string): { points: ExpiryPoint[] } | { problem: string } {
  const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
  if (parts.length > MAX_EXPIRY_POINTS) return { problem: `at most ${MAX_EXPIRY_POINTS} points` };
  const points: ExpiryPoint[] = [];
  for (const part of parts) {
    const ms = parseDuration(part);
    if (ms === undefined || ms <= 0) return { problem: `"${part}" is not a duration longer than 0, e.g. 7d or 12h` };
    const label = formatDuration(ms);
    if (points.some((p) => p.leadMs === ms)) return { problem: `"${part}" is given twice` };
    points.push({ leadMs: ms, label });
  }
  return { points: points.sort((a, b) => b.leadMs - a.leadMs) };
}

/** The sweep of one process: every `intervalMs`, the keys that reached a point are warned. */
export function expirySweeper(store: ExpiryWarningStore, points: readonly ExpiryPoint[], intervalMs: number, logger: Logger, now: () => number = Date.now): PeriodicTask {
  return new PeriodicTask(
    "expiry warnings",
    intervalMs,
    async () => {
      for (let batch = 0; batch < MAX_BATCHES_PER_SWEEP; batch++) {
        const warned = await store.warnExpiringKeys(new Date(now()), points, EXPIRY_BATCH);
        if (warned.length > 0) logger.info("api keys warned of their expiry", { count: warned.length });
        // Done when no point came back full (each event's reason is its point's label).
        if (points.every((point) => warned.filter((event) => event.reason === point.label).length < EXPIRY_BATCH)) return false;
        await yieldToIo();
      }
      return false;
    },
    logger,
  );
}
