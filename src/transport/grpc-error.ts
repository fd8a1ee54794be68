/**
 * A rejected call as a gRPC status: the ConnectError's code (Connect and gRPC share the numbers), its raw
 * message, its headers as trailing metadata, and the whole error as `grpc-status-details-bin` so gRPC
 * clients get the `ErrorInfo` reason just as Connect clients do.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { Metadata, type StatusObject } from "@grpc/grpc-js";
import type { Logger } from "../logger.js";
import { headersToMetadata } from "./grpc-metadata.js";
import { grpcStatusDetailsBin } from "./status.js";

const STATUS_DETAILS_KEY = "grpc-status-details-bin";

/**
 * The status to answer a failed call with. The error-mapping interceptor turns everything thrown inside
 * the chain into a ConnectError; anything else got past it (a bug) and becomes a generic INTERNAL, logged
 * here, so no stack or internal detail reaches the client.
 */
export function grpcStatusOf(reason: unknown, logger: Logger, path: string): StatusObject {
  const error = reason instanceof ConnectError ? reason : internalError(reason, logger, path);
  const metadata = headersToMetadata(error.metadata, new Metadata());
  metadata.set(STATUS_DETAILS_KEY, Buffer.from(grpcStatusDetailsBin(error)));
  return { code: error.code as number, details: error.rawMessage, metadata };
}

function internalError(reason: unknown, logger: Logger, path: string): ConnectError {
  logger.error("grpc call failed outside the error mapping", { path, error: reason });
  return new ConnectError("internal error", Code.Internal);
}
