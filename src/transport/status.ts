/**
 * ConnectError → `google.rpc.Status`, the error model every door speaks: gRPC sends it binary in the
 * `grpc-status-details-bin` trailer, the REST gateway sends it as the JSON error body. Connect and
 * gRPC-Web carry the same details in their own encodings (unary-http-protocols.ts), so a client sees the
 * same code, message and `ErrorInfo` whichever door it used.
 */
import { create, createRegistry, toBinary, toJson, type DescMessage, type JsonObject } from "@bufbuild/protobuf";
import { AnySchema, anyPack, type Any } from "@bufbuild/protobuf/wkt";
import type { ConnectError } from "@connectrpc/connect";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema, type Status } from "../../gen/google/rpc/status_pb.js";

/** Prefix of `Any.typeUrl`, as every gRPC implementation writes it. */
const TYPE_URL_PREFIX = "type.googleapis.com/";

/** The `google.rpc.Status` of an error: its code, its message without the code prefix, its details. */
export function connectErrorToStatus(error: ConnectError): Status {
  return create(StatusSchema, {
    code: error.code,
    message: error.rawMessage,
    details: error.details.map(detailToAny),
  });
}

/** The value of the `grpc-status-details-bin` trailer: the binary `google.rpc.Status`. */
export function grpcStatusDetailsBin(error: ConnectError): Uint8Array {
  return toBinary(StatusSchema, connectErrorToStatus(error));
}

/**
 * The `google.rpc.Status` JSON of an error, e.g.
 * `{"code":16,"message":"...","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"..."}]}`.
 * Details of a type this process does not know (only possible for errors relayed from elsewhere) are
 * left out: JSON cannot render an `Any` without its schema.
 */
export function connectErrorToStatusJson(error: ConnectError): JsonObject {
  const outgoingSchemas = error.details.flatMap((detail) => ("desc" in detail ? [detail.desc] : []));
  const registry = createRegistry(file_google_rpc_error_details, ...outgoingSchemas);
  const status = connectErrorToStatus(error);
  status.details = status.details.filter((any) => registry.getMessage(typeNameOf(any)) !== undefined);
  return toJson(StatusSchema, status, { registry }) as JsonObject;
}

function detailToAny(detail: ConnectError["details"][number]): Any {
  if ("desc" in detail) {
    const schema: DescMessage = detail.desc;
    return anyPack(schema, create(schema, detail.value));
  }
  // A detail received from another service: already serialized, only its type name travels with it.
  return create(AnySchema, { typeUrl: TYPE_URL_PREFIX + detail.type, value: detail.value });
}

function typeNameOf(any: Any): string {
  return any.typeUrl.slice(any.typeUrl.lastIndexOf("/") + 1);
}
