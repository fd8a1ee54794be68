/**
 * Sign-in throttling (ARCHITECTURE.md, "Sessions and passwords"). Every attempt is counted per user id and per client network *before*
 * its password is hashed (a reserved slot), so concurrent guesses cannot all be checked; the counters live
 * in the store, so every process and node sharing it counts together. Each subject has a free allowance;
 * once it is used up, the next attempt must wait, and each wait doubles, up to a maximum. A refused
 * attempt is not counted and costs no hashing. IPv6 clients are counted by their network (a /64 by
 * default): a host usually holds a whole one and could otherwise make every guess from a new address.
 *
 * A success clears the user id's count and gives the address its slot back (not more: one address may be
 * guessing many users). An attempt that was never hashed (the password queue refused it) gives both slots
 * back. An attempt whose process died before settling stays counted as a failure until its counter lapses,
 * `forgetAfterMs` after the subject's last attempt, so nothing is blocked forever; lapsed counters read as
 * absent and are pruned, so the store holds counters only for subjects that tried lately.
 */
import { LoginThrottled } from "../errors/errors.js";
import { isStoreError, type AttemptCounter, type Store, type Updater } from "../store/store.js";
import { clientGroupOf } from "../net/networks.js";

/** Tunables; the fixed ones have defaults in {@link DEFAULT_THROTTLE}, the rest come from the configuration. */
export interface ThrottleOptions {
  /** Attempts per user id before waits start. */
  readonly freeFailuresPerUser: number;
  /** Attempts per client network before waits start (higher: NAT and shared offices). */
  readonly freeFailuresPerAddress: number;
  /** IPv6 clients are counted by this many leading bits of their address. */
  readonly ipv6Prefix: number;
  /** The first wait; each further attempt doubles it. */
  readonly baseDelayMs: number;
  /** The longest wait. */
  readonly maxDelayMs: number;
  /** A subject without attempts this long is forgotten. */
  readonly forgetAfterMs: number;
  /** How often this process deletes lapsed counters from the store. */
  readonly pruneIntervalMs: number;
}

export const DEFAULT_THROTTLE = {
  baseDelayMs: 1_000,
  maxDelayMs: 15 * 60_000,
  forgetAfterMs: 15 * 60_000,
  pruneIntervalMs: 60_000,
} satisfies Partial<ThrottleOptions>;

/** Who is throttled, as `LOGIN_THROTTLED` names it. */
type Subject = "user id" | "address";

/** The wait before one counter takes another attempt (thrown by an updater: nothing is written). */
class NotYet extends Error {
  constructor(readonly waitMs: number) {
    super(`next attempt in ${waitMs} ms`);
  }
}

/** A wait when a counter is too contended to update: the burst is refused, not queued. */
const BUSY_RETRY_MS = 1_000;

export class LoginThrottle {
  #nextPruneAt = 0;

  constructor(
    private readonly store: Store,
    private readonly options: ThrottleOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts an attempt for `userId` from `address`, before its password is checked; settle it with
   * {@link succeeded} or {@link unchecked} (a failure needs nothing more: it is already counted). Throws
   * `LOGIN_THROTTLED`, naming the subject and the wait, when the client's network or the user id has used
   * up its allowance; such an attempt is not counted. The network is asked first, so a flood of user ids
   * from a throttled client writes nothing.
   */
  async reserve(userId: string, address: string): Promise<SignInAttempt> {
    const now = this.now();
    this.#pruneNowAndThen(now);
    const client = clientGroupOf(address, this.options.ipv6Prefix);
    const attempt: SignInAttempt = { client, userCounter: `user:${userId}`, addressCounter: `address:${client}` };
    await this.#take(attempt.addressCounter, this.options.freeFailuresPerAddress, now, "address");
    try {
      await this.#take(attempt.userCounter, this.options.freeFailuresPerUser, now, "user id");
    } catch (error) {
      await this.#giveBack(attempt.addressCounter, this.options.freeFailuresPerAddress);
      throw error;
    }
    return attempt;
  }

  /** The password was right: the user id's count is cleared and the address gets its slot back. */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    await Promise.all([
      this.store.updateAttemptCounter(attempt.userCounter, new Date(this.now()), () => undefined),
      this.#giveBack(attempt.addressCounter, this.options.freeFailuresPerAddress),
    ]);
  }

  /** The password was never checked (the hashing queue refused it): both slots are given back. */
  async unchecked(attempt: SignInAttempt): Promise<void> {
    await Promise.all([
      this.#giveBack(attempt.userCounter, this.options.freeFailuresPerUser),
      this.#giveBack(attempt.addressCounter, this.options.freeFailuresPerAddress),
    ]);
  }

  /** Returns one slot to a counter; a slot that cannot be returned (store down) stays counted. */
  async #giveBack(counter: string, free: number): Promise<void> {
    const now = this.now();
    await this.store.updateAttemptCounter(counter, new Date(now), returnSlot(free, now)).catch(() => undefined);
  }

  async #take(counter: string, free: number, now: number, subject: Subject): Promise<void> {
    try {
      await this.store.updateAttemptCounter(counter, new Date(now), takeSlot(free, now, this.options));
    } catch (error) {
      if (error instanceof NotYet) throw throttled(subject, error.waitMs);
      // More concurrent attempts on one subject than optimistic retries absorb: a burst, refused.
      if (isStoreError(error, "conflict")) throw throttled(subject, BUSY_RETRY_MS);
      throw error;
    }
  }

  #pruneNowAndThen(now: number): void {
    if (now < this.#nextPruneAt) return;
    this.#nextPruneAt = now + this.options.pruneIntervalMs;
    // Off the sign-in's path. Lapsed counters already read as absent, so a failed prune only waits for the next.
    void this.store.pruneAttemptCounters(new Date(now)).catch(() => undefined);
  }
}

/** One counted sign-in attempt, as {@link LoginThrottle.reserve} made it. */
export interface SignInAttempt {
  /** The client's network, as counted: also its lane in the password queue. */
  readonly client: string;
  readonly userCounter: string;
  readonly addressCounter: string;
}

function throttled(subject: Subject, waitMs: number) {
  return LoginThrottled.create({ subject, retry_after_seconds: String(Math.ceil(waitMs / 1000)) }, { retryDelayMs: waitMs });
}

/**
 * Counts one more attempt, or refuses (writing nothing) while the counter's next attempt is not due. The
 * attempt that uses up the allowance makes the next one wait `baseDelayMs`, and each later one doubles it.
 */
function takeSlot(free: number, now: number, options: ThrottleOptions): Updater<AttemptCounter | undefined> {
  return (current) => {
    const waitMs = current === undefined ? 0 : current.nextAttemptAt.getTime() - now;
    if (waitMs > 0) throw new NotYet(waitMs);
    const attempts = (current?.attempts ?? 0) + 1;
    const over = attempts - free;
    const next = over < 0 ? now : now + Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.min(over, 30));
    return { attempts, nextAttemptAt: new Date(next), expiresAt: new Date(Math.max(now + options.forgetAfterMs, next)) };
  };
}

/** Gives one attempt back; below the allowance again, no wait is owed. An empty counter is deleted. */
function returnSlot(free: number, now: number): Updater<AttemptCounter | undefined> {
  return (current) => {
    if (current === undefined) return undefined;
    const attempts = Math.max(0, current.attempts - 1);
    const nextAttemptAt = attempts < free ? new Date(Math.min(now, current.nextAttemptAt.getTime())) : current.nextAttemptAt;
    if (attempts === 0 && nextAttemptAt.getTime() <= now) return undefined;
    return { attempts, nextAttemptAt, expiresAt: current.expiresAt };
  };
}
