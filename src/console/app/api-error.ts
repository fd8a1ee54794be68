/**
 * Refusals as the API words them (ARCHITECTURE.md, "The web console": "every refusal of the API shows its message").
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";

/** The API's message for a failed call; for a network failure, a sentence saying so. */
export function messageOf(error: unknown): string {
  const connectError = ConnectError.from(error);
  if (connectError.code === Code.Unavailable || connectError.code === Code.Unknown) {
    return connectError.rawMessage || "The server could not be reached.";
  }
  return connectError.rawMessage;
}

/** Whether the caller's credentials were refused (signed out, expired, disabled). */
export function isUnauthenticated(error: unknown): boolean {
  return error instanceof ConnectError && error.code === Code.Unauthenticated;
}

/** The `google.rpc.ErrorInfo` reason of a refusal (`SESSION_EXPIRED`, `LOGIN_FAILED`, …), if it has one. */
export function reasonOf(error: unknown): string | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  return error.findDetails(ErrorInfoSchema)[0]?.reason;
}
