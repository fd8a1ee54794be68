/**
 * grpc-js service definitions derived from protobuf-es service descriptors. Each handler decodes the
 * request bytes with the strict decoder every door shares (request-decoding.ts) and hands the call to the
 * shared invoker, so the gRPC door runs exactly the interceptors and implementations the other doors run;
 * it only translates metadata, deadlines and errors. grpc-js gets the raw bytes (its `requestDeserialize`
 * is the identity): a decoder that throws there would be answered INTERNAL, where a refused request is
 * INVALID_ARGUMENT naming its fields, like on every other door.
 */
import { fromBinary, toBinary, type DescMethodServerStreaming, type DescMethodUnary, type DescService, type MessageShape } from "@bufbuild/protobuf";
import {
  status,
  type handleServerStreamingCall,
  type handleUnaryCall,
  type MethodDefinition,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { DEFAULT_STREAM_STALL_MS } from "../stream-pace.js";
import { drainedWithin, pumpStream } from "./stream-pump.js";
import { toConnectError } from "../errors/error-mapping.js";
import type { Logger } from "../logger.js";
import { memoizeEncoding } from "./reusable-response.js";
import { GrpcCallSignal } from "./grpc-call-signal.js";
import { grpcStatusOf } from "./grpc-error.js";
import { headersToMetadata, metadataToHeaders } from "./grpc-metadata.js";
import type { Invoker } from "./invoke.js";
import { grpcPeer } from "../net/peers.js";
import { decodeRequest } from "./decoding/request-decoding.js";

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
export function createGrpcService(service: DescService, invoker: Invoker, logger: Logger, secure = false, defaultDeadlineMs?: number): GrpcService {
  const definition: Record<string, MethodDefinition<Buffer, Message>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const described of service.methods) {
    const path = `/${service.typeName}/${described.name}`;
    const streaming = invoker.streamingMethods.get(path);
    if (streaming !== undefined) {
      definition[streaming.name] = { ...methodDefinition(streaming, path), responseStream: true };
      implementation[streaming.name] = serverStreamingHandler(streaming, path, invoker, logger, secure);
      continue;
    }
    const method = invoker.methods.get(path);
    if (method === undefined) continue;
    definition[method.name] = methodDefinition(method, path);
    implementation[method.name] = unaryHandler(method, path, invoker, logger, secure, defaultDeadlineMs);
  }
  return { definition, implementation };
}

function methodDefinition(method: DescMethodUnary | DescMethodServerStreaming, path: string): MethodDefinition<Buffer, Message> {
  return {
    path,
    originalName: method.localName,
    requestStream: false,
    responseStream: false,
    requestSerialize: (bytes) => bytes,
    requestDeserialize: (bytes) => bytes,
    responseSerialize: memoizeEncoding((message) => asBuffer(toBinary(method.output, message))),
    responseDeserialize: (bytes) => fromBinary(method.output, bytes),
  };
}

function unaryHandler(method: DescMethodUnary, path: string, invoker: Invoker, logger: Logger, secure: boolean, defaultDeadlineMs: number | undefined): handleUnaryCall<Buffer, Message> {
  return (call, respond) => {
    let request: Message;
    try {
      request = decodeRequest(method.input, call.request, "binary");
    } catch (error) {
      respond(grpcStatusOf(toConnectError(error, logger), logger, path));
      return;
    }
    const answer = async () => {
      const cancellation = new GrpcCallSignal(call, defaultDeadlineMs);
      let result;
      try {
        const invoked = invoker.invoke(method, request, {
          protocolName: "grpc",
          header: metadataToHeaders(call.metadata),
          end: cancellation,
          requestMethod: "POST",
          url: path,
          peer: grpcPeer(call, secure),
        });
        // Only a default deadline needs the race: a client's own deadline grpc-js answers itself.
        result = await (defaultDeadlineMs === undefined ? invoked : cancellation.race(invoked));
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

/**
 * A server-streaming call: opened through the invoker (the same interceptors, so the same authorization),
 * then pumped with back-pressure (stream-pump.ts). A stream has no default deadline: a live tail is
 * meant to stay open; the client's own deadline holds, and the server's stop ends it.
 */
function serverStreamingHandler(method: DescMethodServerStreaming, path: string, invoker: Invoker, logger: Logger, secure: boolean): handleServerStreamingCall<Buffer, Message> {
  return (call) => {
    let request: Message;
    try {
      request = decodeRequest(method.input, call.request, "binary");
    } catch (error) {
      call.emit("error", grpcStatusOf(toConnectError(error, logger), logger, path));
      return;
    }
    const answer = async () => {
      const cancellation = new GrpcCallSignal(call as unknown as ServerUnaryCall<unknown, unknown>);
      try {
        const result = await invoker.invokeStream(method, request, {
          protocolName: "grpc",
          header: metadataToHeaders(call.metadata),
          end: cancellation,
          requestMethod: "POST",
          url: path,
          peer: grpcPeer(call as unknown as ServerUnaryCall<unknown, unknown>, secure),
        });
        if (hasEntries(result.header)) call.sendMetadata(headersToMetadata(result.header));
        const sink = {
          write: (message: Message) => call.write(message),
          drained: (ms: number) => drainedWithin(call, ms),
          get gone() {
            return call.cancelled;
          },
        };
        await pumpStream(result.messages, sink, result.pace, DEFAULT_STREAM_STALL_MS);
        if (!call.cancelled) call.end(hasEntries(result.trailer) ? headersToMetadata(result.trailer) : undefined);
      } catch (reason) {
        if (!call.cancelled) call.emit("error", grpcStatusOf(reason, logger, path));
      } finally {
        cancellation.dispose();
      }
    };
    answer().catch((error: unknown) => {
      logger.error("grpc stream could not be answered", { path, error });
      call.emit("error", { code: status.INTERNAL, details: "internal error" });
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
