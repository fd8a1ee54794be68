/**
 * A call's end as an `AbortSignal` that is created only when something reads it: an AbortController
 * costs several microseconds in Node 20 and most calls never look at their signal. Both doors (grpc-js
 * and the REST gateway) follow their call with one.
 */
import type { ConnectError } from "@connectrpc/connect";

export class LazyAbort {
  #controller: AbortController | undefined;
  #reason: ConnectError | undefined;

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
    return true;
  }
}
