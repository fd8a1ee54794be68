/**
 * A grpc-js call's end of life as an `AbortSignal`, so implementations stop work the same way on every
 * door. grpc-js emits "cancelled" both when the client goes away and when the deadline passes (it then
 * answers DEADLINE_EXCEEDED itself); the deadline tells the two apart.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServerUnaryCall } from "@grpc/grpc-js";
import type { CallEnd } from "./call-init.js";
import { LazyAbort } from "./lazy-abort.js";

/**
 * A client cancels its call when its deadline passes, and that cancel reaches us around the time our copy
 * of the deadline (grpc-timeout counted from arrival) passes, a little before or after depending on
 * latency jitter. A cancel this close to the deadline is taken for the deadline.
 */
const DEADLINE_JITTER_MS = 100;

/**
 * Follows a call's cancellation, as an abort signal and the call's {@link CallEnd}. The abort reason is a
 * ConnectError: `DEADLINE_EXCEEDED` when the client's deadline has passed (give or take
 * {@link DEADLINE_JITTER_MS}), `CANCELED` otherwise. A class, not a literal with a getter (see CallEnd).
 */
export class GrpcCallSignal implements CallEnd {
  readonly #end = new LazyAbort();
  readonly #call: ServerUnaryCall<unknown, unknown>;
  readonly #timer: NodeJS.Timeout | undefined;
  readonly #onCancelled = () => {
    this.#end.abort(
      Date.now() >= deadlineMs(this.#call) - DEADLINE_JITTER_MS
        ? new ConnectError("the client's deadline was exceeded", Code.DeadlineExceeded)
        : new ConnectError("the client cancelled the call", Code.Canceled),
    );
  };

  /**
   * `defaultDeadlineMs` applies when the client sent no deadline: grpc-js enforces only the client's, so
   * without it a call would live as long as its implementation takes.
   */
  constructor(call: ServerUnaryCall<unknown, unknown>, defaultDeadlineMs?: number) {
    this.#call = call;
    // grpc-js also emits "cancelled" after a call completes normally: dispose() detaches before that.
    // on, not once: dispose() removes it anyway, and once wraps the listener in a new closure per call.
    call.on("cancelled", this.#onCancelled);
    if (call.cancelled) this.#onCancelled();
    if (defaultDeadlineMs !== undefined && deadlineMs(call) === Infinity) {
      this.#timer = setTimeout(
        () => this.#end.abort(new ConnectError(`the server's default deadline of ${defaultDeadlineMs / 1000} s was exceeded`, Code.DeadlineExceeded)),
        defaultDeadlineMs,
      );
    }
  }

  /** Settles like `promise`, or rejects with the end reason (cancel or default deadline) as soon as the call ends. */
  race<T>(promise: Promise<T>): Promise<T> {
    return this.#end.race(promise);
  }

  /** Created on first read (see {@link LazyAbort}); read after a cancellation, already aborted. */
  get signal(): AbortSignal {
    return this.#end.signal;
  }

  /** Stops following the call; do this once it is answered. */
  dispose(): void {
    clearTimeout(this.#timer);
    this.#call.off("cancelled", this.#onCancelled);
  }
}

/** The call's deadline in epoch ms; Infinity when the client set none. */
function deadlineMs(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}
