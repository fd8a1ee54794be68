/**
 * The three front doors as a client sees them: a plain grpc-js client (a gRPC microservice), a Connect
 * client and a gRPC-Web client. `call` gives one normalised outcome per door, so a test can assert that
 * every door answers the same call with the same code and reason.
 */
import * as grpc from "@grpc/grpc-js";
import {
  fromBinary,
  toBinary,
  type DescMessage,
  type DescMethodServerStreaming,
  type DescMethodUnary,
  type MessageInitShape,
  type MessageShape,
  create,
} from "@bufbuild/protobuf";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";

export type DoorName = "grpc" | "connect" | "grpc-web";
export const DOORS: readonly DoorName[] = ["grpc", "connect", "grpc-web"];

export type Outcome<O extends DescMessage = DescMessage> =
  | { ok: true; message: MessageShape<O> }
  | { ok: false; code: Code; codeName: string; reason: string; message: string; metadata: Record<string, string> };

export interface Doors {
  call<I extends DescMessage, O extends DescMessage>(
    door: DoorName,
    method: DescMethodUnary<I, O>,
    request: MessageInitShape<I>,
    key?: string,
    headers?: Record<string, string>,
  ): Promise<Outcome<O>>;
  close(): void;
  /** The gRPC listener's `host:port`. */
  readonly grpcAddress: string;
}

export function openDoors(httpUrl: string, grpcAddress: string): Doors {
  const grpcClient = new grpc.Client(grpcAddress, grpc.credentials.createInsecure());
  const transports: Record<Exclude<DoorName, "grpc">, Transport> = {
    connect: createConnectTransport({ baseUrl: httpUrl, httpVersion: "1.1" }),
    "grpc-web": createGrpcWebTransport({ baseUrl: httpUrl, httpVersion: "1.1" }),
  };
  return {
    grpcAddress,
    async call(door, method, init, key, headers = {}) {
      const all = { ...headers, ...(key === undefined ? {} : { authorization: `Bearer ${key}` }) };
      const request = create(method.input, init);
      if (door === "grpc") return callGrpc(grpcClient, method, request, all);
      try {
        const client = createClient(method.parent, transports[door]) as unknown as Record<string, (r: unknown, o: unknown) => Promise<MessageShape<typeof method.output>>>;
        const message = await client[method.localName]!(request, { headers: all });
        return { ok: true, message };
      } catch (error) {
        const e = ConnectError.from(error);
        const info = e.findDetails(ErrorInfoSchema)[0];
        return { ok: false, code: e.code, codeName: Code[e.code], reason: info?.reason ?? "", message: e.rawMessage, metadata: { ...(info?.metadata ?? {}) } };
      }
    },
    close() {
      grpcClient.close();
    },
  };
}

function callGrpc<I extends DescMessage, O extends DescMessage>(
  client: grpc.Client,
  method: DescMethodUnary<I, O>,
  request: MessageShape<I>,
  headers: Record<string, string>,
): Promise<Outcome<O>> {
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      `/${method.parent.typeName}/${method.name}`,
      (m: MessageShape<I>) => Buffer.from(toBinary(method.input, m)),
      (b: Buffer) => fromBinary(method.output, b),
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error, message) => {
        if (!error) {
          resolve({ ok: true, message: message! });
          return;
        }
        const bin = error.metadata?.get("grpc-status-details-bin")[0];
        const status = bin ? fromBinary(StatusSchema, bin as Buffer) : undefined;
        const infoAny = status?.details.find((d) => d.typeUrl.endsWith("google.rpc.ErrorInfo"));
        const info = infoAny ? fromBinary(ErrorInfoSchema, infoAny.value) : undefined;
        resolve({
          ok: false,
          code: error.code as number as Code,
          codeName: Code[error.code as number as Code],
          reason: info?.reason ?? "",
          message: error.details,
          metadata: { ...(info?.metadata ?? {}) },
        });
      },
    );
  });
}

const streamTransports = new Map<string, Transport>();

/**
 * Opens a server stream over Connect's streaming protocol or gRPC and settles on its first message (ok)
 * or its error; the stream is then cancelled. A stream the server accepts must answer with a message.
 */
export async function firstOfStream<I extends DescMessage, O extends DescMessage>(
  server: { readonly httpUrl: string; readonly grpcAddress: string },
  door: "connect" | "grpc" | "rest",
  method: DescMethodServerStreaming<I, O>,
  init: MessageInitShape<I>,
  key: string,
): Promise<Outcome<O>> {
  const request = create(method.input, init);
  const abort = new AbortController();
  const baseUrl = door === "grpc" ? `http://${server.grpcAddress}` : server.httpUrl;
  // One transport per server and door, so streams share connections (a server caps those per client).
  let transport = streamTransports.get(baseUrl);
  if (transport === undefined) {
    transport = door === "grpc" ? createGrpcTransport({ baseUrl }) : createConnectTransport({ baseUrl, httpVersion: "1.1" });
    streamTransports.set(baseUrl, transport);
  }
  const client = createClient(method.parent, transport) as unknown as Record<string, (r: unknown, o: unknown) => AsyncIterable<MessageShape<O>>>;
  try {
    for await (const message of client[method.localName]!(request, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal, timeoutMs: 10_000 })) {
      return { ok: true, message };
    }
    return { ok: false, code: Code.Unknown, codeName: "Unknown", reason: "", message: "the stream ended without a message", metadata: {} };
  } catch (error) {
    const e = ConnectError.from(error);
    const info = e.findDetails(ErrorInfoSchema)[0];
    return { ok: false, code: e.code, codeName: Code[e.code], reason: info?.reason ?? "", message: e.rawMessage, metadata: { ...(info?.metadata ?? {}) } };
  } finally {
    abort.abort();
  }
}
