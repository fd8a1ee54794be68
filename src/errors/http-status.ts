/**
 * The HTTP status of an error: grpc-gateway's `HTTPStatusFromCode` table (vanguard-go uses the same),
 * plus three gateway reasons that have a more precise HTTP status than their code.
 */
import { Code, type ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";

const BY_CODE: Record<Code, number> = {
  [Code.Canceled]: 499,
  [Code.Unknown]: 500,
  [Code.InvalidArgument]: 400,
  [Code.DeadlineExceeded]: 504,
  [Code.NotFound]: 404,
  [Code.AlreadyExists]: 409,
  [Code.PermissionDenied]: 403,
  [Code.ResourceExhausted]: 429,
  [Code.FailedPrecondition]: 400,
  [Code.Aborted]: 409,
  [Code.OutOfRange]: 400,
  [Code.Unimplemented]: 501,
  [Code.Internal]: 500,
  [Code.Unavailable]: 503,
  [Code.DataLoss]: 500,
  [Code.Unauthenticated]: 401,
};

/** `ErrorInfo.reason`s answered with a status other than their code's. */
const BY_REASON: Readonly<Record<string, number>> = {
  METHOD_NOT_ALLOWED: 405, // code UNIMPLEMENTED, as grpc-gateway answers a known path with the wrong method
  BODY_TOO_LARGE: 413, // code RESOURCE_EXHAUSTED
  UNSUPPORTED_MEDIA_TYPE: 415, // code INVALID_ARGUMENT
};

/** The HTTP status for a code (grpc-gateway's table). */
export function httpStatusFromCode(code: Code): number {
  return BY_CODE[code] ?? 500;
}

/** The HTTP status of `error`: by its reason where that is more precise, else by its code. */
export function httpStatusOf(error: ConnectError): number {
  const reason = error.findDetails(ErrorInfoSchema)[0]?.reason;
  return (reason !== undefined ? BY_REASON[reason] : undefined) ?? httpStatusFromCode(error.code);
}
