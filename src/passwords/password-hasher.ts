/**
 * Password hashing (ARCHITECTURE.md, "Sessions and passwords"): argon2id with OWASP's first-choice parameters (m = 19 MiB, t = 2, p = 1),
 * by `@node-rs/argon2`, whose `hash` and `verify` run on the libuv thread pool, off the event loop. Off
 * the event loop is not off the CPU: four pool threads hashing at once take every core of a small machine
 * and starve the thread that serves API keys. So at most one hash per core but one runs at a time (one on
 * one or two cores); a burst of sign-ins waits its turn and API-key calls keep a core
 * (`npm run bench:passwords` measures both). The queue is bounded: past {@link PASSWORD_QUEUE_MAX}
 * waiting, a password is refused at once with `RESOURCE_EXHAUSTED` / `PASSWORD_QUEUE_FULL` (retry in a
 * second) rather than held for many seconds with its connection. It is also shared fairly: each client
 * waits in its own lane, lanes take turns, and one lane holds at most {@link PASSWORD_QUEUE_MAX_PER_CLIENT}.
 *
 * Stored as the PHC string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`), so parameters can be raised
 * later without a migration: `verify` reads them from the stored string.
 */
import { hash, verify, type Options } from "@node-rs/argon2";
import { availableParallelism } from "node:os";
import { PasswordQueueFull } from "../errors/errors.js";
import { characterCount } from "../text-length.js";

/** OWASP Password Storage Cheat Sheet, argon2id minimum: 19 MiB, 2 iterations, 1 lane. */
export const ARGON2ID_OPTIONS: Readonly<Options> = {
  // `Algorithm.Argon2id`; the package declares the enum `const`, which isolated modules cannot inline.
  algorithm: 2 as NonNullable<Options["algorithm"]>,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/** The password policy: 12 to 256 characters (code points), not the user id. */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 256;

/** What is wrong with `password` as a new password of `userId`, or undefined when it is acceptable. */
export function passwordProblem(password: string, userId: string): string | undefined {
  const length = characterCount(password, PASSWORD_MAX_LENGTH);
  if (length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  if (password.toLowerCase() === userId.toLowerCase()) return "must not be the user id";
  return undefined;
}

/** Most passwords waiting for a hashing slot: a couple of seconds of work at one verify's cost (docs/performance.md, `bench:passwords`). */
export const PASSWORD_QUEUE_MAX = 100;

/**
 * Most passwords one client (its network, as the sign-in throttle counts it) may have waiting: a tenth of
 * the queue, so at least ten clients are needed to fill it, and a client's own burst past this is
 * refused at once instead of crowding everyone else out.
 */
export const PASSWORD_QUEUE_MAX_PER_CLIENT = 10;

/** Hashes and checks passwords. One per process; its dummy hash is made once. */
export class PasswordHasher {
  #dummy: Promise<string> | undefined;
  readonly #slots: Slots;

  constructor(
    private readonly options: Readonly<Options> = ARGON2ID_OPTIONS,
    /** Hashes running at once; the rest queue. Default: one per core but one, at least one. */
    concurrency = Math.max(1, availableParallelism() - 1),
    queueMax = PASSWORD_QUEUE_MAX,
    queueMaxPerClient = PASSWORD_QUEUE_MAX_PER_CLIENT,
  ) {
    this.#slots = new Slots(concurrency, queueMax, queueMaxPerClient);
  }

  /** The PHC string to store for `password` (an authenticated caller's: it waits in the shared lane). */
  hash(password: string): Promise<string> {
    return this.#slots.run(() => hash(password, this.options));
  }

  /**
   * True when `password` matches `stored`. With no stored hash (unknown user, or no password set) it
   * checks against a dummy hash of the same parameters and answers false, so the answer takes the same
   * time whether or not the user exists. A malformed stored hash never matches. `client` (the caller's
   * network) is the lane it waits in: lanes take turns, and each holds at most its share of the queue.
   */
  async verify(password: string, stored: string | undefined, client?: string): Promise<boolean> {
    const against = stored ?? (await this.dummy());
    const matches = await this.#slots.run(async () => {
      try {
        return await verify(against, password);
      } catch {
        return false; // a malformed stored hash never matches
      }
    }, client);
    return stored !== undefined && matches;
  }

  /** Makes the dummy hash now, so the first unknown-user sign-in is not slower than the rest. */
  async warmUp(): Promise<void> {
    await this.dummy();
  }

  private dummy(): Promise<string> {
    this.#dummy ??= hash("keyward dummy password, never a user's", this.options);
    return this.#dummy;
  }
}

/** The lane of work no client is named for (authenticated callers setting passwords): only the total cap applies. */
const SHARED_LANE = Symbol("shared lane");

/**
 * A counting semaphore with fair queueing: `run` starts work when one of `size` slots is free; otherwise
 * it waits in its lane, and a freed slot goes to the lanes in turn (round robin), each lane's work in
 * arrival order. With `queueMax` waiting in all, or `laneMax` in a named lane, it refuses at once
 * (`PASSWORD_QUEUE_FULL`), so one client's burst cannot take the queue from everyone.
 */
export class Slots {
  #free: number;
  #waiting = 0;
  /** Lanes with work waiting, in turn order: the first is served next, then moves to the back. */
  readonly #lanes = new Map<string | typeof SHARED_LANE, (() => void)[]>();

  constructor(
    size: number,
    private readonly queueMax = Number.POSITIVE_INFINITY,
    private readonly laneMax = Number.POSITIVE_INFINITY,
  ) {
    this.#free = size;
  }

  async run<T>(work: () => Promise<T>, lane?: string): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await this.#wait(lane ?? SHARED_LANE);
    try {
      return await work();
    } finally {
      this.#next();
    }
  }

  #wait(lane: string | typeof SHARED_LANE): Promise<void> {
    const queue = this.#lanes.get(lane) ?? [];
    if (this.#waiting >= this.queueMax || (lane !== SHARED_LANE && queue.length >= this.laneMax)) {
      return Promise.reject(PasswordQueueFull.create({}, { retryDelayMs: 1_000 }));
    }
    return new Promise<void>((resolve) => {
      queue.push(resolve);
      this.#waiting++;
      if (queue.length === 1) this.#lanes.set(lane, queue);
    });
  }

  /** Hands the slot straight to the next lane in turn, or gives it back. */
  #next(): void {
    const turn = this.#lanes.entries().next();
    if (turn.done) {
      this.#free++;
      return;
    }
    const [lane, queue] = turn.value;
    this.#lanes.delete(lane);
    if (queue.length > 1) this.#lanes.set(lane, queue);
    this.#waiting--;
    queue.shift()!();
  }
}
