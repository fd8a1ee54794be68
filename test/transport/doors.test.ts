/**
 * ARCHITECTURE.md, "The doors": errors keep their codes and ErrorInfo details on every door. One failing call, three
 * protocols (grpc-js, Connect, gRPC-Web), the same interceptors and implementation behind them.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { silentLogger } from "../../src/logger.js";
import type { HttpListener } from "../../src/http/http-listener.js";
import { startGrpcServer, type GrpcListener } from "../../src/transport/grpc-server.js";
import { createInvoker } from "../../src/transport/invoke.js";
import { callUnary, type GrpcError } from "./support/grpc-test-client.js";
import { startStubHttpPort } from "./support/stub-http-port.js";
import { createStubServices } from "./support/stub-service.js";

/** What a client can see of a refused call, protocol aside. */
interface Refusal {
  code: number;
  message: string;
  reasons: string[];
  wwwAuthenticate: string | null;
}

describe("transport: the same refusal on every door", () => {
  let grpcListener: GrpcListener;
  let connectListener: HttpListener;
  let grpcClient: grpc.Client;
  before(async () => {
    const stub = createStubServices();
    grpcListener = await startGrpcServer({
      bindings: stub.bindings,
      invoker: createInvoker(stub.bindings, stub.interceptors),
      address: "127.0.0.1:0",
      logger: silentLogger,
    });
    connectListener = await startStubHttpPort(stub);
    grpcClient = new grpc.Client(grpcListener.address, grpc.credentials.createInsecure());
  });
  after(async () => {
    grpcClient.close();
    await Promise.all([grpcListener.shutdown(), connectListener.shutdown()]);
  });

  it("gives grpc-js, Connect and gRPC-Web clients the same code, message, reason and www-authenticate", async () => {
    const viaGrpc = await refusalOverGrpc(grpcClient);
    const viaConnect = await refusalOverConnect(createConnectTransport({ baseUrl: connectListener.url, httpVersion: "1.1" }));
    const viaGrpcWeb = await refusalOverConnect(createGrpcWebTransport({ baseUrl: connectListener.url, httpVersion: "1.1" }));
    const expected: Refusal = {
      code: 16,
      message: "no API key: send Authorization: Bearer <key>",
      reasons: ["CREDENTIALS_MISSING"],
      wwwAuthenticate: 'Bearer realm="keyward"',
    };
    expect(viaGrpc).to.deep.equal(expected);
    expect(viaConnect).to.deep.equal(expected);
    expect(viaGrpcWeb).to.deep.equal(expected);
  });
});

async function refusalOverGrpc(client: grpc.Client): Promise<Refusal> {
  const error = await callUnary(client, AuthService.method.getAuthInfo, {}).then(
    () => expect.fail("expected a refusal"),
    (reason: GrpcError) => reason,
  );
  const status = fromBinary(StatusSchema, error.metadata.get("grpc-status-details-bin")[0] as Buffer);
  return {
    code: error.code,
    message: error.details,
    reasons: status.details.map((any) => anyUnpack(any, ErrorInfoSchema)?.reason ?? "?"),
    wwwAuthenticate: String(error.metadata.get("www-authenticate")[0] ?? null),
  };
}

async function refusalOverConnect(transport: Transport): Promise<Refusal> {
  const error = await createClient(AuthService, transport)
    .getAuthInfo({})
    .then(
      () => expect.fail("expected a refusal"),
      (reason: unknown) => ConnectError.from(reason),
    );
  return {
    code: error.code,
    message: error.rawMessage,
    reasons: error.findDetails(ErrorInfoSchema).map((info) => info.reason),
    wwwAuthenticate: error.metadata.get("www-authenticate"),
  };
}
