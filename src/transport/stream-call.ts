/**
 * The request of a server-streaming call through the invoker (invoke.ts): one request message in, a
 * stream of messages out. Interceptors see a `StreamRequest`, as connect-es defines it; the one request
 * message is also in the context values ({@link kStreamInput}), so the authorization interceptor reads
 * its subject user from it exactly as from a unary request's message.
 */
import type { DescMethodServerStreaming, DescService, MessageShape } from "@bufbuild/protobuf";
import type { ContextValues, StreamRequest } from "@connectrpc/connect";
import { kStreamInput } from "../authz/authorization-interceptor.js";
import { kStreamPace, StreamPace } from "../stream-pace.js";
import type { CallInit } from "./call-init.js";
import { callValuesOf } from "./unary-call.js";

/** A server-streaming request: its single message, decoded by the door. */
export class StreamCallRequest implements StreamRequest {
  readonly stream = true;
  readonly service: DescService;
  readonly requestMethod: string;
  readonly url: string;
  readonly header: Headers;
  readonly contextValues: ContextValues;
  /** How its reader keeps up, as the door marks it. */
  readonly pace = new StreamPace();

  constructor(
    readonly method: DescMethodServerStreaming,
    readonly input: MessageShape<DescMethodServerStreaming["input"]>,
    private readonly init: CallInit,
  ) {
    this.service = method.parent;
    this.requestMethod = init.requestMethod;
    this.url = init.url;
    this.header = init.header;
    this.contextValues = callValuesOf(init).set(kStreamInput, input).set(kStreamPace, this.pace);
  }

  get message(): AsyncIterable<MessageShape<DescMethodServerStreaming["input"]>> {
    const input = this.input;
    return (async function* () {
      yield input;
    })();
  }

  get signal(): AbortSignal {
    return this.init.end.signal;
  }
}
