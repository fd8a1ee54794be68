/**
 * A plain grpc-js client, as a gRPC microservice calling Keyward would use: no generated stubs, just
 * paths and protobuf-es (de)serializers.
 */
import { create, fromBinary, toBinary, type DescMethodUnary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";

/** What a successful unary call returned. */
export interface GrpcReply<O extends DescMessage> {
  readonly message: MessageShape<O>;
  readonly header: grpc.Metadata;
  readonly trailer: grpc.Metadata;
}

/** Calls `method`; rejects with the grpc-js `ServiceError`. */
export function callUnary<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: DescMethodUnary<I, O>,
  request: MessageInitShape<I>,
  metadata: grpc.Metadata | Record<string, string> = {},
  options: grpc.CallOptions = {},
): Promise<GrpcReply<O>> {
  const path = `/${method.parent.typeName}/${method.name}`;
  const md = metadata instanceof grpc.Metadata ? metadata : toMetadata(metadata);
  return new Promise((resolve, reject) => {
    let header = new grpc.Metadata();
    let reply: MessageShape<O> | undefined;
    // grpc-js runs the callback, then emits "status" (which carries the trailers).
    const call = client.makeUnaryRequest(
      path,
      (message: MessageShape<I>) => Buffer.from(toBinary(method.input, message)),
      (bytes: Buffer) => fromBinary(method.output, bytes),
      create(method.input, request),
      md,
      options,
      (error, message) => (error ? reject(error) : (reply = message)),
    );
    call.on("metadata", (received: grpc.Metadata) => (header = received));
    call.on("status", (status: grpc.StatusObject) => {
      if (reply !== undefined) resolve({ message: reply, header, trailer: status.metadata });
    });
  });
}

/** Text metadata from a plain object. */
export function toMetadata(entries: Record<string, string>): grpc.Metadata {
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.add(key, value);
  return metadata;
}

/** The grpc-js client error type, for assertions. */
export type GrpcError = grpc.ServiceError;
