/**
 * Refusals as the API words them (ARCHITECTURE.md, "The web console": "every refusal of the API shows its message").
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";

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

/** One bad field of a refusal (`google.rpc.BadRequest`): its proto path (`api_key.rate_limit.requests`) and what is wrong. */
export interface FieldProblem {
  readonly field: string;
  readonly description: string;
}

/** The bad fields a refusal names (`INVALID_ARGUMENT`, reason `VALIDATION_FAILED`); empty for any other. */
export function fieldProblemsOf(error: unknown): FieldProblem[] {
  if (!(error instanceof ConnectError)) return [];
  return error.findDetails(BadRequestSchema).flatMap((badRequest) => badRequest.fieldViolations.map(({ field, description }) => ({ field, description })));
}

/** How long a refusal asks the caller to wait (`google.rpc.RetryInfo`), in whole seconds, if it says. */
export function retryAfterSecondsOf(error: unknown): number | undefined {
  if (!(error instanceof ConnectError)) return undefined;
  const delay = error.findDetails(RetryInfoSchema)[0]?.retryDelay;
  return delay === undefined ? undefined : Math.max(1, Math.ceil(Number(delay.seconds) + delay.nanos / 1e9));
}
