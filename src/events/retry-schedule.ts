/**
 * When a failed webhook delivery is tried again (ARCHITECTURE.md, "Events"): exponential backoff from
 * `minMs`, doubling per failed attempt up to `maxMs`, each delay jittered down by up to half so that the
 * deliveries of one outage do not all come back at the same instant, and given up `giveUpAfterMs` after
 * the delivery was queued. The last attempt is made at that moment exactly, so a receiver that comes back
 * just before it still gets the event.
 */

/** How deliveries are retried. */
export interface RetrySchedule {
  /** Delay after the first failed attempt, before jitter. */
  readonly minMs: number;
  /** Longest delay between two attempts, before jitter. */
  readonly maxMs: number;
  /** A delivery still failing this long after it was queued is given up. */
  readonly giveUpAfterMs: number;
}

/**
 * The defaults: 30 s, 1 m, 2 m, … doubling to 1 h, then hourly, for 24 h: about 30 attempts, nine of
 * them in the first two hours, where most outages end.
 */
export const DEFAULT_RETRY_SCHEDULE: RetrySchedule = { minMs: 30_000, maxMs: 3_600_000, giveUpAfterMs: 24 * 3_600_000 };

/**
 * The next attempt after `failedAttempts` attempts (this one included, so at least 1) failed at `now` for
 * a delivery queued at `queuedAt`; undefined when it is given up. `random` returns [0, 1).
 */
export function nextAttemptAt(
  schedule: RetrySchedule,
  failedAttempts: number,
  queuedAt: Date,
  now: Date,
  random: () => number = Math.random,
): Date | undefined {
  const deadline = queuedAt.getTime() + schedule.giveUpAfterMs;
  if (now.getTime() >= deadline) return undefined;
  // 2 ** 40 already exceeds any sane maximum; the cap keeps the power finite.
  const exponent = Math.min(Math.max(failedAttempts, 1) - 1, 40);
  const delay = Math.min(schedule.minMs * 2 ** exponent, schedule.maxMs);
  const jittered = delay - Math.floor(random() * (delay / 2));
  return new Date(Math.min(now.getTime() + Math.max(jittered, 1), deadline));
}
