/**
 * A grpc-js call's end of life as an `AbortSignal`, so implementations stop work the same way on every
 * door. grpc-js emits "cancelled" both when the client goes away and when the deadline passes (it then
 * answers DEADLINE_EXCEEDED itself); the deadline tells the two apart.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { ServerUnaryCall } from "@grpc/grpc-js";

/**
 * A client cancels its call when its deadline passes, and that cancel reaches us around the time our copy
 * of the deadline (grpc-timeout counted from arrival) passes, a little before or after depending on
 * latency jitter. A cancel this close to the deadline is taken for the deadline.
 */
const DEADLINE_JITTER_MS = 100;

/** An abort signal for the call, and `dispose` to stop listening once the call is answered. */
export interface GrpcCallSignal {
  /**
   * Created on first read: an AbortController costs several microseconds in Node 20 and most calls
   * never look at their signal. Read after a cancellation, it is already aborted with that reason.
   */
  readonly signal: AbortSignal;
  dispose(): void;
}

/**
 * Follows the call's cancellation. The abort reason is a ConnectError: `DEADLINE_EXCEEDED` when the
 * client's deadline has passed (give or take {@link DEADLINE_JITTER_MS}), `CANCELED` otherwise.
 */
export function grpcCallSignal(call: ServerUnaryCall<unknown, unknown>): GrpcCallSignal {
  let controller: AbortController | undefined;
  let reason: ConnectError | undefined;
  const onCancelled = () => {
    reason =
      Date.now() >= deadlineMs(call) - DEADLINE_JITTER_MS
        ? new ConnectError("the client's deadline was exceeded", Code.DeadlineExceeded)
        : new ConnectError("the client cancelled the call", Code.Canceled);
    controller?.abort(reason);
  };
  // grpc-js also emits "cancelled" after a call completes normally: dispose() detaches before that.
  call.once("cancelled", onCancelled);
  if (call.cancelled) onCancelled();
  return {
    get signal() {
      if (controller === undefined) {
        controller = new AbortController();
        if (reason !== undefined) controller.abort(reason);
      }
      return controller.signal;
    },
    dispose: () => call.off("cancelled", onCancelled),
  };
}

/** The call's deadline in epoch ms; Infinity when the client set none. */
function deadlineMs(call: ServerUnaryCall<unknown, unknown>): number {
  const deadline = call.getDeadline();
  return deadline instanceof Date ? deadline.getTime() : deadline;
}
