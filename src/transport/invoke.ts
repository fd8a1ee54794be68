/**
 * The one unary call path. A protocol front door (the grpc-js listener, the HTTP listener, the REST gateway) decodes a
 * request message and calls `invoke`; it runs the same interceptor list as the Connect router, then the
 * service implementation, and returns the response message with its headers and trailers. So
 * authentication, the access rule and error mapping exist once, for every door.
 */
import {
  create,
  isMessage,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type DescService,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import {
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import type { CallInit } from "./call-init.js";
import type { StreamPace } from "../stream-pace.js";
import { StreamCallRequest } from "./stream-call.js";
import { CallContext, CallRequest, CallResponse } from "./unary-call.js";

/** A service and its implementation, as registered on every door. */
export interface ServiceBinding {
  readonly service: DescService;
  readonly impl: Partial<ServiceImpl<DescService>>;
}

/** Binds an implementation to its service, type-checked against the descriptor. */
export function bindService<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): ServiceBinding {
  return { service, impl: impl as Partial<ServiceImpl<DescService>> };
}


/**
 * A unary response and the headers/trailers the implementation or interceptors set; undefined when
 * nothing asked for them (the common case), so no call pays for empty `Headers`.
 */
export interface CallResult<O extends DescMessage = DescMessage> {
  readonly message: MessageShape<O>;
  readonly header: Headers | undefined;
  readonly trailer: Headers | undefined;
}

/**
 * A server-streaming call the interceptors let through: its messages, produced as they are read. An
 * error while streaming (an implementation's refusal) has been through the same interceptors' mapping
 * (error-mapping.ts maps a stream's errors too).
 */
export interface StreamResult<O extends DescMessage = DescMessage> {
  readonly messages: AsyncIterable<MessageShape<O>>;
  /** The door marks its reader's stalls here (stream-pump.ts). */
  readonly pace: StreamPace;
  readonly header: Headers | undefined;
  readonly trailer: Headers | undefined;
}

/** Runs decoded calls through the interceptors into the implementations. */
export interface Invoker {
  /** Every unary method of the registered services, by gRPC path `/keyward.v1.UserRegistry/GetUser`. */
  readonly methods: ReadonlyMap<string, DescMethodUnary>;
  /** Every server-streaming method, by gRPC path (`/keyward.v1.EventRegistry/StreamEvents`). */
  readonly streamingMethods: ReadonlyMap<string, DescMethodServerStreaming>;
  /**
   * Opens a server-streaming call through the same interceptor chain as {@link invoke}: authorization is
   * decided before it resolves. Rejects with whatever the interceptors throw (a ConnectError).
   */
  invokeStream<I extends DescMessage, O extends DescMessage>(
    method: DescMethodServerStreaming<I, O>,
    message: MessageShape<I>,
    init: CallInit,
  ): Promise<StreamResult<O>>;
  /** Calls `method` with `message`. Rejects with whatever the interceptors throw (a ConnectError). */
  invoke<I extends DescMessage, O extends DescMessage>(
    method: DescMethodUnary<I, O>,
    message: MessageShape<I>,
    init: CallInit,
  ): Promise<CallResult<O>>;
}

type UnaryFn = (request: UnaryRequest) => Promise<UnaryResponse>;
type StreamFn = (request: StreamRequest) => Promise<StreamResponse>;
type StreamImpl = (request: MessageShape<DescMessage>, context: HandlerContext) => AsyncIterable<MessageInitShape<DescMessage>>;

/** Builds the invoker. Each method's interceptor chain is composed once, here, not per call. */
export function createInvoker(bindings: readonly ServiceBinding[], interceptors: readonly Interceptor[]): Invoker {
  const methods = new Map<string, DescMethodUnary>();
  const chains = new Map<DescMethodUnary, UnaryFn>();
  const streamingMethods = new Map<string, DescMethodServerStreaming>();
  const streamChains = new Map<DescMethodServerStreaming, StreamFn>();
  for (const { service, impl } of bindings) {
    const spec = createServiceImplSpec(service, impl);
    for (const described of service.methods) {
      const methodSpec = spec.methods[described.localName];
      if (described.methodKind === "server_streaming" && methodSpec?.kind === "server_streaming") {
        const method = described as DescMethodServerStreaming;
        const implementation = methodSpec.impl as unknown as StreamImpl;
        const innermost: StreamFn = async (request) => {
          const context = new CallContext(service, method, request);
          const produced = implementation((request as StreamCallRequest).input, context);
          return {
            stream: true,
            service,
            method,
            message: asMessages(produced, method.output),
            get header() {
              return context.responseHeader;
            },
            get trailer() {
              return context.responseTrailer;
            },
          };
        };
        const chain = interceptors.reduceRight<StreamFn>((next, interceptor) => interceptor(next as never) as StreamFn, innermost);
        streamingMethods.set(`/${service.typeName}/${method.name}`, method);
        streamChains.set(method, chain);
        continue;
      }
      if (described.methodKind !== "unary" || methodSpec?.kind !== "unary") continue;
      const method = described as DescMethodUnary;
      const implementation = methodSpec.impl;
      const innermost: UnaryFn = async (request) => {
        const context = new CallContext(service, method, request);
        const output = await implementation(request.message, context);
        return new CallResponse(context, isMessage(output, method.output) ? output : create(method.output, output));
      };
      // interceptors[0] is the outermost layer, as in connect-es.
      const chain = interceptors.reduceRight<UnaryFn>((next, interceptor) => interceptor(next as never) as UnaryFn, innermost);
      methods.set(`/${service.typeName}/${method.name}`, method);
      chains.set(method, chain);
    }
  }

  return {
    methods,
    streamingMethods,
    async invokeStream(method, message, init) {
      const chain = streamChains.get(method as DescMethodServerStreaming);
      if (!chain) throw new Error(`invokeStream: ${method.parent.typeName}.${method.name} is not registered`);
      const request = new StreamCallRequest(method as DescMethodServerStreaming, message, init);
      const response = await chain(request);
      return {
        messages: response.message as AsyncIterable<MessageShape<typeof method.output>>,
        pace: request.pace,
        header: response.header,
        trailer: response.trailer,
      };
    },
    async invoke(method, message, init) {
      const chain = chains.get(method as DescMethodUnary);
      if (!chain) throw new Error(`invoke: ${method.parent.typeName}.${method.name} is not registered`);
      const response = await chain(new CallRequest(method as DescMethodUnary, message, init));
      // Our own response, unless an interceptor replaced it: then its headers are whatever it carries.
      const own = response instanceof CallResponse;
      return {
        message: response.message as MessageShape<typeof method.output>,
        header: own ? response.context.headerIfCreated : response.header,
        trailer: own ? response.context.trailerIfCreated : response.trailer,
      };
    },
  };
}

/** The implementation's outputs as messages of `schema` (an implementation may yield init shapes). */
async function* asMessages(produced: AsyncIterable<MessageInitShape<DescMessage>>, schema: DescMessage): AsyncIterable<MessageShape<DescMessage>> {
  for await (const output of produced) yield isMessage(output, schema) ? output : create(schema, output);
}
