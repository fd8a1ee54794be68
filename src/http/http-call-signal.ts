/**
 * An HTTP call's end of life (REST, Connect, gRPC-Web) as an `AbortSignal`, like the gRPC door's: it
 * aborts with `CANCELED` when the client goes away before the answer is written, and with
 * `DEADLINE_EXCEEDED` when the call's deadline passes.
 */
import type { ServerResponse } from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { DeadlineExceeded } from "../errors/errors.js";
import type { CallEnd } from "../transport/call-init.js";
import { LazyAbort } from "../transport/lazy-abort.js";

/** setTimeout's ceiling (about 24.8 days): a longer timeout would fire at once, so it is clamped. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * How an HTTP call ends early: follows `response`'s connection and the timeout. The AbortSignal is created
 * only when something reads it (see {@link LazyAbort}; in profiles, the controller and its listeners
 * showed in every REST call); the doors themselves wait through `race`, which needs none. A class, not
 * a literal with a getter (see {@link CallEnd}).
 */
export class CallSignal implements CallEnd {
  readonly #end = new LazyAbort();
  readonly #response: ServerResponse;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onClose = () => {
    if (!this.#response.writableFinished) this.#abort(new ConnectError("the client went away", Code.Canceled));
  };

  /** `wrap` turns the deadline error into the ConnectError the door answers with (so it carries the same ErrorInfo as every other error). */
  constructor(response: ServerResponse, timeoutMs: number | undefined, wrap: (error: unknown) => ConnectError) {
    this.#response = response;
    // on, not once: dispose() removes it anyway, and once wraps the listener in a new closure per call.
    response.on("close", this.#onClose);
    if (timeoutMs !== undefined) {
      this.#timer = setTimeout(() => this.#abort(wrap(DeadlineExceeded.create({ timeout: String(timeoutMs / 1000) }))), Math.min(timeoutMs, MAX_TIMEOUT_MS));
    }
  }

  /** Aborted with the call's end reason; created on first read, already aborted if the call has ended. */
  get signal(): AbortSignal {
    return this.#end.signal;
  }

  /** Settles like `promise`, or rejects with the end reason as soon as the call ends. */
  race<T>(promise: Promise<T>): Promise<T> {
    return this.#end.race(promise);
  }

  /** Stops following the call; do this once the answer is written. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#response.off("close", this.#onClose);
  }

  #abort(reason: ConnectError): void {
    this.#end.abort(reason);
  }
}
