/**
 * Sign-in throttling (DESIGN §11): failed sign-ins are counted per user id and per client address; past
 * a free allowance each further failure doubles the wait before the next attempt is even checked, up to
 * a maximum. A throttled attempt is refused before any password hashing, so a flood costs no CPU. A
 * success clears the user id's count (not the address's: one address may be guessing many users).
 *
 * The counts live in this process's memory: with several nodes each throttles on its own, so the limit
 * per node multiplies by the node count (stated in the README). They decay: a subject with no failure for
 * `forgetAfterMs` starts afresh, and the maps are swept so memory follows recent failures only.
 */

/** Tunables; defaults in {@link DEFAULT_THROTTLE}. */
export interface ThrottleOptions {
  /** Failures per user id before waits start. */
  readonly freeFailuresPerUser: number;
  /** Failures per address before waits start (higher: NAT and shared offices). */
  readonly freeFailuresPerAddress: number;
  /** The first wait; each further failure doubles it. */
  readonly baseDelayMs: number;
  /** The longest wait. */
  readonly maxDelayMs: number;
  /** A subject without failures this long is forgotten. */
  readonly forgetAfterMs: number;
  /** Most subjects remembered per kind (oldest dropped first), bounding memory under a spray of ids. */
  readonly maxSubjects: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  freeFailuresPerUser: 5,
  freeFailuresPerAddress: 20,
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
  maxSubjects: 100_000,
};

interface Failures {
  count: number;
  last: number;
  /** No attempt is checked before this time (ms). */
  blockedUntil: number;
}

/** Which subject refused an attempt, and for how long. */
export interface Throttled {
  readonly subject: "user" | "address";
  readonly retryDelayMs: number;
}

export class LoginThrottle {
  private readonly users = new Map<string, Failures>();
  private readonly addresses = new Map<string, Failures>();

  constructor(
    private readonly options: ThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /** Undefined when an attempt for `userId` from `address` may be checked now; else who blocks it and how long. */
  check(userId: string, address: string): Throttled | undefined {
    const now = this.now();
    const user = this.blocked(this.users, userId, now);
    const from = this.blocked(this.addresses, address, now);
    const wait = Math.max(user, from);
    if (wait <= 0) return undefined;
    return { subject: user >= from ? "user" : "address", retryDelayMs: wait };
  }

  /** Counts a failed attempt. */
  failed(userId: string, address: string): void {
    const now = this.now();
    this.count(this.users, userId, now, this.options.freeFailuresPerUser);
    this.count(this.addresses, address, now, this.options.freeFailuresPerAddress);
  }

  /** Clears the user id's failures after a success. */
  succeeded(userId: string): void {
    this.users.delete(userId);
  }

  private blocked(map: Map<string, Failures>, subject: string, now: number): number {
    const failures = map.get(subject);
    if (failures === undefined) return 0;
    if (now - failures.last >= this.options.forgetAfterMs) {
      map.delete(subject);
      return 0;
    }
    return failures.blockedUntil - now;
  }

  private count(map: Map<string, Failures>, subject: string, now: number, free: number): void {
    let failures = map.get(subject);
    if (failures === undefined || now - failures.last >= this.options.forgetAfterMs) {
      failures = { count: 0, last: now, blockedUntil: 0 };
    }
    map.delete(subject); // re-inserted below: the map's order is oldest failure first
    failures.count++;
    failures.last = now;
    const over = failures.count - free;
    if (over > 0) failures.blockedUntil = now + Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** Math.min(over - 1, 30));
    map.set(subject, failures);
    if (map.size > this.options.maxSubjects) map.delete(map.keys().next().value!);
  }
}
