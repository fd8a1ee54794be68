// How tests read the stable reason (google.rpc.ErrorInfo.reason) of a refusal, whatever carried it: a
// thrown KeywardError, a JSON error body (REST's google.rpc.Status, Connect's error JSON), or a binary
// google.rpc.Status (gRPC's grpc-status-details-bin).
import { fromBinary } from "@bufbuild/protobuf";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { KeywardError } from "../../src/errors/errors.js";

/** "ok" when `call` resolves, the reason of the KeywardError it rejects with; any other rejection is rethrown. */
export async function outcomeOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    if (error instanceof KeywardError) return error.reason;
    throw error;
  }
  return "ok";
}

/** {@link outcomeOf} for a synchronous call. */
export function outcomeOfSync(call: () => unknown): string {
  try {
    call();
  } catch (error) {
    if (error instanceof KeywardError) return error.reason;
    throw error;
  }
  return "ok";
}

type ErrorJson = { details?: { reason?: unknown; debug?: { reason?: unknown } }[] };

/**
 * The ErrorInfo reason of a JSON error body (text, bytes or parsed): REST's `google.rpc.Status` has it in
 * a detail's `reason`, Connect's error JSON in a detail's `debug.reason`. "" when there is none or the
 * body is not JSON (Node's own answers, such as a 431, have no body).
 */
export function reasonOfBody(body: string | Uint8Array | object): string {
  let json: ErrorJson;
  try {
    json = (typeof body === "string" || body instanceof Uint8Array ? JSON.parse(Buffer.from(body).toString("utf8")) : body) as ErrorJson;
  } catch {
    return "";
  }
  for (const detail of json.details ?? []) {
    const reason = detail.reason ?? detail.debug?.reason;
    if (typeof reason === "string") return reason;
  }
  return "";
}

/** The ErrorInfo reason in a serialized `google.rpc.Status` (`grpc-status-details-bin`); "" when none. */
export function reasonOfStatus(bin: Uint8Array): string {
  try {
    for (const any of fromBinary(StatusSchema, bin).details) {
      if (any.typeUrl.endsWith("/google.rpc.ErrorInfo")) return fromBinary(ErrorInfoSchema, any.value).reason;
    }
  } catch {
    // not a Status
  }
  return "";
}
