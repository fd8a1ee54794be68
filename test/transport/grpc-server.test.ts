import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { createLogger } from "../../src/logger.js";
import { startGrpcServer, type GrpcListener, type GrpcServerOptions } from "../../src/transport/grpc-server.js";
import { createInvoker } from "../../src/transport/invoke.js";
import { HEALTH_NOT_SERVING, HEALTH_SERVING, healthCheck } from "./support/grpc-health-client.js";
import { callUnary, toMetadata, type GrpcError } from "./support/grpc-test-client.js";
import { createStubServices, MODE_HEADER, WWW_AUTHENTICATE, type StubServices } from "./support/stub-service.js";
import { testTlsPair } from "./support/tls-test-pair.js";
import { waitFor } from "./support/wait-for.js";

const getAuthInfo = AuthService.method.getAuthInfo;
const AUTH = { authorization: "Bearer test-key" };

interface Running {
  stub: StubServices;
  listener: GrpcListener;
  client: grpc.Client;
  logLines: string[];
}

async function start(
  options: {
    errorMapping?: boolean;
    grpc?: Partial<GrpcServerOptions>;
    credentials?: grpc.ChannelCredentials;
    channelOptions?: grpc.ChannelOptions;
  } = {},
): Promise<Running> {
  const stub = createStubServices({ errorMapping: options.errorMapping });
  const logLines: string[] = [];
  const listener = await startGrpcServer({
    bindings: stub.bindings,
    invoker: createInvoker(stub.bindings, stub.interceptors),
    address: "127.0.0.1:0",
    logger: createLogger("debug", (line) => logLines.push(line)),
    ...options.grpc,
  });
  const client = new grpc.Client(listener.address, options.credentials ?? grpc.credentials.createInsecure(), options.channelOptions);
  return { stub, listener, client, logLines };
}

async function stop(running: Running): Promise<void> {
  running.client.close();
  await running.listener.shutdown();
}

async function expectGrpcError(promise: Promise<unknown>): Promise<GrpcError> {
  try {
    await promise;
  } catch (error) {
    return error as GrpcError;
  }
  throw new Error("expected the call to fail");
}

describe("transport/grpc-server", () => {
  let running: Running;
  before(async () => (running = await start()));
  after(() => stop(running));

  it("binds a free port when asked for port 0 and reports it", () => {
    expect(running.listener.port).to.be.greaterThan(0);
    expect(running.listener.address).to.equal(`127.0.0.1:${running.listener.port}`);
  });

  it("answers a plain grpc-js client through the invoker, with the implementation's headers and trailers", async () => {
    const reply = await callUnary(running.client, getAuthInfo, {}, AUTH);
    expect(reply.message.user?.userId).to.equal("alice");
    expect(reply.message.rights).to.deep.equal([Right.USER_INFO]);
    expect(reply.header.get("x-stub-header")).to.deep.equal(["from-header"]);
    expect(reply.trailer.get("x-stub-trailer")).to.deep.equal(["from-trailer"]);
    expect(running.stub.calls.at(-1)?.protocolName).to.equal("grpc");
  });

  it("passes metadata to the handler as headers (text as is, -bin as base64)", async () => {
    const metadata = new grpc.Metadata();
    metadata.add("authorization", "Bearer test-key");
    metadata.add("x-request-id", "req-1");
    metadata.add("x-request-id", "req-2");
    metadata.add("x-trace-bin", Buffer.from([0xff, 0x00, 0x01]));
    const reply = await callUnary(running.client, getAuthInfo, {}, metadata);
    expect(reply.message.user?.name).to.equal("Bearer test-key");
    const header = running.stub.calls.at(-1)!.header;
    expect(header.get("authorization")).to.equal("Bearer test-key");
    expect(header.get("x-request-id")).to.equal("req-1, req-2");
    expect(Buffer.from(header.get("x-trace-bin") ?? "", "base64")).to.deep.equal(Buffer.from([0xff, 0x00, 0x01]));
  });

  it("answers a refused call with its code, message, www-authenticate and a google.rpc.Status with ErrorInfo", async () => {
    const error = await expectGrpcError(callUnary(running.client, getAuthInfo, {}));
    expect(error.code).to.equal(grpc.status.UNAUTHENTICATED);
    expect(error.details).to.equal("no API key: send Authorization: Bearer <key>");
    expect(error.metadata.get("www-authenticate")).to.deep.equal([WWW_AUTHENTICATE]);
    const [bin] = error.metadata.get("grpc-status-details-bin");
    expect(bin).to.be.instanceOf(Buffer);
    const status = fromBinary(StatusSchema, bin as Buffer);
    expect(status.code).to.equal(Code.Unauthenticated);
    expect(status.message).to.equal("no API key: send Authorization: Bearer <key>");
    expect(status.details).to.have.length(1);
    const info = anyUnpack(status.details[0]!, ErrorInfoSchema);
    expect(info?.reason).to.equal("CREDENTIALS_MISSING");
    expect(info?.domain).to.equal("keyward");
    expect(info?.metadata).to.deep.equal({ header: "authorization" });
  });

  it("turns the client's deadline into an aborted signal with DEADLINE_EXCEEDED", async () => {
    const aborted = running.stub.nextAbort();
    const started = Date.now();
    const error = await expectGrpcError(
      callUnary(running.client, getAuthInfo, {}, { ...AUTH, [MODE_HEADER]: "hang" }, { deadline: Date.now() + 200 }),
    );
    expect(error.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
    const reason = await aborted;
    expect(Date.now() - started).to.be.lessThan(5_000);
    expect(reason).to.be.instanceOf(ConnectError);
    expect((reason as ConnectError).code).to.equal(Code.DeadlineExceeded);
  });

  it("turns a client cancellation into an aborted signal with CANCELED", async () => {
    const aborted = running.stub.nextAbort();
    const call = running.client.makeUnaryRequest(
      `/keyward.v1.AuthService/GetAuthInfo`,
      () => Buffer.alloc(0),
      (bytes: Buffer) => bytes,
      {},
      toMetadata({ ...AUTH, [MODE_HEADER]: "hang" }),
      () => {},
    );
    await waitFor(() => running.stub.calls.some((seen) => seen.header.get(MODE_HEADER) === "hang" && !seen.signal.aborted));
    call.cancel();
    const reason = await aborted;
    expect((reason as ConnectError).code).to.equal(Code.Canceled);
  });

  it("answers methods without an implementation with UNIMPLEMENTED", async () => {
    const error = await expectGrpcError(callUnary(running.client, UserRegistry.method.getUser, { userId: "bob" }, AUTH));
    expect(error.code).to.equal(grpc.status.UNIMPLEMENTED);
  });

  it("reports health SERVING for the server and each service, NOT_FOUND for unknown ones", async () => {
    expect(await healthCheck(running.client, "")).to.equal(HEALTH_SERVING);
    for (const name of ["keyward.v1.UserRegistry", "keyward.v1.ApiKeyRegistry", "keyward.v1.AuthService"]) {
      expect(await healthCheck(running.client, name)).to.equal(HEALTH_SERVING);
    }
    const error = await expectGrpcError(healthCheck(running.client, "keyward.v1.Nope"));
    expect(error.code).to.equal(grpc.status.NOT_FOUND);
  });
});

describe("transport/grpc-server (separate servers)", () => {
  it("never sends a non-ConnectError's message: INTERNAL 'internal error', logged", async () => {
    const running = await start({ errorMapping: false });
    try {
      const error = await expectGrpcError(callUnary(running.client, getAuthInfo, {}, { ...AUTH, [MODE_HEADER]: "throw-plain" }));
      expect(error.code).to.equal(grpc.status.INTERNAL);
      expect(error.details).to.equal("internal error");
      const status = fromBinary(StatusSchema, error.metadata.get("grpc-status-details-bin")[0] as Buffer);
      expect(status).to.include({ code: Code.Internal, message: "internal error" });
      expect(JSON.stringify(error.metadata.getMap())).not.to.contain("hunter2");
      expect(running.logLines.join("")).to.contain("hunter2").and.to.contain("/keyward.v1.AuthService/GetAuthInfo");
    } finally {
      await stop(running);
    }
  });

  it("refuses requests larger than maxRequestBytes with RESOURCE_EXHAUSTED, before the handler", async () => {
    const running = await start({ grpc: { maxRequestBytes: 1024 } });
    try {
      const error = await expectGrpcError(callUnary(running.client, UserRegistry.method.createUser, { user: { name: "x".repeat(2048) } }, AUTH));
      expect(error.code).to.equal(grpc.status.RESOURCE_EXHAUSTED);
      expect(running.stub.calls).to.have.length(0);
    } finally {
      await stop(running);
    }
  });

  it("rejects when the address is taken", async () => {
    const running = await start();
    try {
      const second = start({ grpc: { address: running.listener.address } });
      await second.then(
        (unexpected) => stop(unexpected).then(() => expect.fail("a second server bound the same address")),
        (error: Error) => expect(error.message).to.contain(running.listener.address),
      );
    } finally {
      await stop(running);
    }
  });

  it("serves TLS when given a key pair", async () => {
    const credentials = grpc.credentials.createSsl(Buffer.from(testTlsPair.cert));
    // The certificate names localhost; an IP as TLS server name is deprecated (RFC 6066).
    const running = await start({ grpc: { tls: testTlsPair }, credentials, channelOptions: { "grpc.ssl_target_name_override": "localhost" } });
    try {
      const reply = await callUnary(running.client, getAuthInfo, {}, AUTH);
      expect(reply.message.user?.name).to.equal("Bearer test-key");
      const plaintext = new grpc.Client(running.listener.address, grpc.credentials.createInsecure());
      const error = await expectGrpcError(callUnary(plaintext, getAuthInfo, {}, AUTH, { deadline: Date.now() + 2_000 }));
      plaintext.close();
      expect(error.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
    } finally {
      await stop(running);
    }
  });

  it("graceful shutdown reports NOT_SERVING, completes the in-flight call and then refuses new ones", async () => {
    const running = await start({ grpc: { drainTimeoutMs: 5_000 } });
    try {
      const inFlight = callUnary(running.client, getAuthInfo, {}, { ...AUTH, [MODE_HEADER]: "delay:300" });
      await waitFor(() => running.stub.calls.length === 1);
      const watcher = new grpc.Client(running.listener.address, grpc.credentials.createInsecure());
      running.listener.setServing(false);
      expect(await healthCheck(watcher, "")).to.equal(HEALTH_NOT_SERVING);
      running.listener.setServing(true);
      const started = Date.now();
      const stopped = running.listener.shutdown();
      const reply = await inFlight;
      expect(reply.message.user?.userId).to.equal("alice");
      await stopped;
      expect(Date.now() - started).to.be.lessThan(5_000);
      const error = await expectGrpcError(callUnary(watcher, getAuthInfo, {}, AUTH, { deadline: Date.now() + 2_000 }));
      watcher.close();
      expect(error.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
      expect(running.listener.shutdown()).to.equal(stopped);
    } finally {
      await stop(running);
    }
  });
});
