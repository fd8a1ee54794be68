/**
 * What each door hands the shared invoker per call: a plain object, whose abort signal comes from a class
 * instance (`CallEnd`), never an own getter. With a per-call object literal with a getter there, under
 * load each call's objects were promoted to the old generation (see `CallEnd` in
 * src/transport/invoke.ts). The bench measures the cost; this pins the shape.
 */
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { silentLogger } from "../../src/logger.js";
import { startGrpcServer } from "../../src/transport/grpc-server.js";
import type { CallInit } from "../../src/transport/call-init.js";
import { createInvoker, type Invoker } from "../../src/transport/invoke.js";
import { callUnary } from "./support/grpc-test-client.js";
import { startStubHttpPort } from "./support/stub-http-port.js";
import { createStubServices } from "./support/stub-service.js";

/** An invoker that records the init of every call before passing it on. */
function recording(inner: Invoker, inits: CallInit[]): Invoker {
  return {
    methods: inner.methods,
    streamingMethods: inner.streamingMethods,
    invokeStream(method, message, init) {
      inits.push(init);
      return inner.invokeStream(method, message, init);
    },
    invoke(method, message, init) {
      inits.push(init);
      return inner.invoke(method, message, init);
    },
  };
}

/** The names of `value`'s own properties that are getters or setters. */
function ownAccessors(value: object): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(value))
    .filter(([, descriptor]) => descriptor.get !== undefined || descriptor.set !== undefined)
    .map(([name]) => name);
}

function expectPlainInit(init: CallInit | undefined, protocolName: string): void {
  expect(init, "the invoker was called").to.not.equal(undefined);
  expect(init!.protocolName).to.equal(protocolName);
  expect(ownAccessors(init!), "getters on the call init").to.deep.equal([]);
  expect(ownAccessors(init!.end), "getters on the call's end").to.deep.equal([]);
  expect(Object.getPrototypeOf(init!.end), "the call's end is a class instance").to.not.equal(Object.prototype);
  expect(init!.end.signal).to.be.instanceOf(AbortSignal);
}

describe("transport: the call init each door hands the invoker", () => {
  it("REST: a plain object, its signal from a class instance", async () => {
    const stub = createStubServices();
    const inits: CallInit[] = [];
    const listener = await startStubHttpPort(stub, { invoker: recording(createInvoker(stub.bindings, stub.interceptors), inits) });
    try {
      const response = await fetch(`${listener.url}/api/v1/auth_info`, { headers: { authorization: "Bearer test-key" } });
      expect(response.status).to.equal(200);
      expectPlainInit(inits[0], "rest");
    } finally {
      await listener.shutdown();
    }
  });

  it("Connect and gRPC-Web: a plain object through the same invoker, its signal from a class instance", async () => {
    const stub = createStubServices();
    const inits: CallInit[] = [];
    const invoker = recording(createInvoker(stub.bindings, stub.interceptors), inits);
    const listener = await startStubHttpPort(stub, { invoker });
    try {
      for (const transport of [createConnectTransport, createGrpcWebTransport]) {
        await createClient(AuthService, transport({ baseUrl: listener.url, httpVersion: "1.1" })).getAuthInfo({}, { headers: { authorization: "Bearer test-key" } });
      }
      expectPlainInit(inits[0], "connect");
      expectPlainInit(inits[1], "grpc-web");
    } finally {
      await listener.shutdown();
    }
  });

  it("gRPC: a plain object, its signal from a class instance", async () => {
    const stub = createStubServices();
    const inits: CallInit[] = [];
    const listener = await startGrpcServer({
      bindings: stub.bindings,
      invoker: recording(createInvoker(stub.bindings, stub.interceptors), inits),
      address: "127.0.0.1:0",
      logger: silentLogger,
    });
    const client = new grpc.Client(listener.address, grpc.credentials.createInsecure());
    try {
      await callUnary(client, AuthService.method.getAuthInfo, {}, { authorization: "Bearer test-key" });
      expectPlainInit(inits[0], "grpc");
    } finally {
      client.close();
      await listener.shutdown();
    }
  });
});
