/**
 * A call's end as an `AbortSignal` that is created only when something reads it: an AbortController
 * costs several microseconds in Node 20 and most calls never look at their signal. Both doors (grpc-js
 * and the REST gateway) follow their call with one.
 */
import type { ConnectError } from "@connectrpc/connect";

export class LazyAbort {
  #controller: AbortController | undefined;
  #reason: ConnectError | undefined;
  /** The rejecters of pending {@link race} promises. */
  readonly #racing = new Set<(reason: ConnectError) => void>();

  /** Why the call ended; undefined while it runs. */
  get reason(): ConnectError | undefined {
    return this.#reason;
  }

  /** Aborted with the end reason; created on first read, already aborted if the call has ended. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Ends the call with `reason`. The first reason wins; false when the call had already ended. */
  abort(reason: ConnectError): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    this.#controller?.abort(reason);
    for (const reject of this.#racing) reject(reason);
    this.#racing.clear();
    return true;
  }

  /**
   * Settles like `promise`, or rejects with the end reason as soon as the call ends, so a door answers
   * at its deadline even when the implementation does not watch its signal.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    const ended = this.#reason;
    if (ended !== undefined) {
      promise.catch(() => {});
      return Promise.reject(ended);
    }
    return new Promise<T>((resolve, reject) => {
      this.#racing.add(reject);
      promise.then(
        (value) => {
          this.#racing.delete(reject);
          resolve(value);
        },
        (error: unknown) => {
          this.#racing.delete(reject);
          reject(error as Error);
        },
      );
    });
  }
}
