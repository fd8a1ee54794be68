/**
 * grpc-js service definitions derived from protobuf-es service descriptors. Each handler decodes with
 * protobuf-es and hands the call to the shared invoker, so the gRPC door runs exactly the interceptors and
 * implementations the Connect door runs; it only translates metadata, deadlines and errors.
 */
import { fromBinary, toBinary, type DescMethodUnary, type DescService, type MessageShape } from "@bufbuild/protobuf";
import { status, type handleUnaryCall, type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import type { Logger } from "../logger.js";
import { memoizeEncoding } from "../reusable-response.js";
import { GrpcCallSignal } from "./grpc-call-signal.js";
import { grpcStatusOf } from "./grpc-error.js";
import { addressOfGrpcPeer } from "../client-address.js";
import { headersToMetadata, metadataToHeaders } from "./grpc-metadata.js";
import type { Invoker } from "./invoke.js";

/** A service as grpc-js `Server.addService` takes it. */
export interface GrpcService {
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

type Message = MessageShape<DescMethodUnary["input"]>;

/**
 * The grpc-js definition and handlers of `service`'s unary methods that `invoker` serves, at the standard
 * paths `/${service.typeName}/${method.name}`. Other methods are left out, so grpc-js answers UNIMPLEMENTED.
 */
export function createGrpcService(service: DescService, invoker: Invoker, logger: Logger): GrpcService {
  const definition: Record<string, MethodDefinition<Message, Message>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const described of service.methods) {
    const path = `/${service.typeName}/${described.name}`;
    const method = invoker.methods.get(path);
    if (method === undefined) continue;
    definition[method.name] = methodDefinition(method, path);
    implementation[method.name] = unaryHandler(method, path, invoker, logger);
  }
  return { definition, implementation };
}

function methodDefinition(method: DescMethodUnary, path: string): MethodDefinition<Message, Message> {
  return {
    path,
    originalName: method.localName,
    requestStream: false,
    responseStream: false,
    requestSerialize: (message) => asBuffer(toBinary(method.input, message)),
    requestDeserialize: (bytes) => fromBinary(method.input, bytes),
    responseSerialize: memoizeEncoding((message) => asBuffer(toBinary(method.output, message))),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

function unaryHandler(method: DescMethodUnary, path: string, invoker: Invoker, logger: Logger): handleUnaryCall<Message, Message> {
  return (call, respond) => {
    const answer = async () => {
      const cancellation = new GrpcCallSignal(call);
      let result;
      try {
        result = await invoker.invoke(method, call.request, {
          protocolName: "grpc",
          header: metadataToHeaders(call.metadata),
          end: cancellation,
          requestMethod: "POST",
          url: path,
          clientAddress: addressOfGrpcPeer(call.getPeer()),
        });
      } catch (reason) {
        return respond(grpcStatusOf(reason, logger, path));
      } finally {
        cancellation.dispose();
      }
      // Without explicit initial metadata grpc-js sends its default response headers.
      if (hasEntries(result.header)) call.sendMetadata(headersToMetadata(result.header));
      // No trailers is the common case: grpc-js then sends just the status, with no Metadata to build.
      respond(null, result.message, hasEntries(result.trailer) ? headersToMetadata(result.trailer) : undefined);
    };
    // Only a bug in the answering itself lands here; a rejected promise must not take the process down.
    // (grpc-js ignores a second status for an already answered call.)
    answer().catch((error: unknown) => {
      logger.error("grpc call could not be answered", { path, error });
      respond({ code: status.INTERNAL, details: "internal error" });
    });
  };
}

function hasEntries(headers: Headers | undefined): headers is Headers {
  return headers !== undefined && headers.keys().next().done !== true;
}

/** A Buffer view of the bytes (grpc-js wants Buffers), without copying. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
