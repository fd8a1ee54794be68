/**
 * The limits a shared service needs, each as a client would run into it: the streams cap
 * announced in HTTP/2 SETTINGS, a default deadline for calls sent without one (gRPC, Connect, gRPC-Web,
 * REST), the HTTP connection cap, the headers and keep-alive timeouts, and a drain that serves a
 * connection accepted just before it instead of resetting it, while new connections are refused.
 */
import * as http2 from "node:http2";
import * as net from "node:net";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { silentLogger } from "../../src/logger.js";
import type { HttpListener } from "../../src/http/http-listener.js";
import { startGrpcServer, type GrpcListener } from "../../src/transport/grpc-server.js";
import { createInvoker } from "../../src/transport/invoke.js";
import { DEFAULT_MAX_CONCURRENT_STREAMS } from "../../src/transport/listener-defaults.js";
import { callUnary, toMetadata, type GrpcError } from "./support/grpc-test-client.js";
import { startStubHttpPort, type StubHttpPortOptions } from "./support/stub-http-port.js";
import { createStubServices, MODE_HEADER } from "./support/stub-service.js";

const HANG = { authorization: "Bearer test-key", [MODE_HEADER]: "hang" };

async function startGrpc(options: { maxConcurrentStreams?: number; defaultDeadlineMs?: number } = {}): Promise<GrpcListener> {
  const stub = createStubServices();
  return startGrpcServer({ bindings: stub.bindings, invoker: createInvoker(stub.bindings, stub.interceptors), address: "127.0.0.1:0", logger: silentLogger, ...options });
}

function startHttp(options: StubHttpPortOptions = {}): Promise<HttpListener> {
  return startStubHttpPort(createStubServices(), { maxRequestBytes: 4096, ...options });
}

/** The SETTINGS_MAX_CONCURRENT_STREAMS a server announces to a new HTTP/2 connection. */
function announcedStreams(address: string): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://${address}`);
    session.once("error", reject);
    session.once("remoteSettings", (settings) => {
      session.close();
      resolve(settings.maxConcurrentStreams);
    });
  });
}

/** A raw TCP connection and everything it receives, until the server closes it. */
function rawConnection(port: number): Promise<{ socket: net.Socket; received: () => string; closed: Promise<string> }> {
  return new Promise((resolve, reject) => {
    let data = "";
    const socket = net.connect(port, "127.0.0.1");
    socket.on("data", (chunk) => (data += chunk.toString()));
    const closed = new Promise<string>((done) => socket.once("close", () => done(data)));
    socket.once("error", () => {});
    socket.once("connect", () => resolve({ socket, received: () => data, closed }));
    socket.once("error", reject);
  });
}

/** Resolves with what `promise` resolved to, or "still open" after `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | "still open"> {
  return Promise.race([promise, new Promise<"still open">((resolve) => setTimeout(() => resolve("still open"), ms))]);
}

const REQUEST = "GET /api/v1/auth_info HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer test-key\r\n\r\n";

describe("transport: listener limits", function () {
  this.timeout(15_000);

  describe("gRPC", () => {
    it("announces the concurrent-streams cap in HTTP/2 SETTINGS (100 unless configured)", async () => {
      const [configured, defaulted] = await Promise.all([startGrpc({ maxConcurrentStreams: 7 }), startGrpc()]);
      try {
        expect(await announcedStreams(configured.address)).to.equal(7);
        expect(await announcedStreams(defaulted.address)).to.equal(DEFAULT_MAX_CONCURRENT_STREAMS);
      } finally {
        await Promise.all([configured.shutdown(), defaulted.shutdown()]);
      }
    });

    it("ends a call sent without a deadline at the default deadline, DEADLINE_EXCEEDED", async () => {
      const listener = await startGrpc({ defaultDeadlineMs: 200 });
      const client = new grpc.Client(listener.address, grpc.credentials.createInsecure());
      try {
        const error = (await callUnary(client, AuthService.method.getAuthInfo, {}, toMetadata(HANG)).then(
          () => expect.fail("the hanging call returned"),
          (e: unknown) => e,
        )) as GrpcError;
        expect(error.code).to.equal(grpc.status.DEADLINE_EXCEEDED);
        expect(error.details).to.contain("default deadline of 0.2 s");
      } finally {
        client.close();
        await listener.shutdown();
      }
    });
  });

  describe("HTTP", () => {
    it("ends Connect, gRPC-Web and REST calls sent without a deadline at the default deadline", async () => {
      const listener = await startHttp({ defaultDeadlineMs: 200 });
      try {
        for (const transport of [createConnectTransport, createGrpcWebTransport]) {
          const client = createClient(AuthService, transport({ baseUrl: listener.url, httpVersion: "1.1" }));
          const error = await client.getAuthInfo({}, { headers: HANG }).then(
            () => expect.fail("the hanging call returned"),
            (e: unknown) => e,
          );
          expect(ConnectError.from(error).code, transport.name).to.equal(Code.DeadlineExceeded);
        }
        const rest = await fetch(`${listener.url}/api/v1/auth_info`, { headers: HANG });
        expect(rest.status).to.equal(504);
        expect(((await rest.json()) as { details: { reason: string }[] }).details[0]?.reason).to.equal("DEADLINE_EXCEEDED");
      } finally {
        await listener.shutdown();
      }
    });

    it("closes connections over --max-http-connections at once", async () => {
      const listener = await startHttp({ maxConnections: 2 });
      try {
        const kept = await Promise.all([rawConnection(listener.port), rawConnection(listener.port)]);
        for (const connection of kept) connection.socket.write(REQUEST);
        await Promise.all(kept.map(async (connection) => {
          for (let i = 0; i < 100 && !connection.received().includes("\r\n\r\n"); i++) await new Promise((r) => setTimeout(r, 20));
          expect(connection.received()).to.match(/^HTTP\/1\.1 200/);
        }));
        const third = await rawConnection(listener.port);
        third.socket.write(REQUEST);
        expect(await within(third.closed, 5000)).to.equal("");
        kept.forEach((connection) => connection.socket.destroy());
      } finally {
        await listener.shutdown();
      }
    });

    it("answers 408 to a client that does not finish its headers within the headers timeout", async () => {
      const listener = await startHttp({ headersTimeoutMs: 300, requestTimeoutMs: 1000 });
      try {
        const slow = await rawConnection(listener.port);
        slow.socket.write("GET /api/v1/auth_info HTTP/1.1\r\nHost: test\r\n"); // and never the blank line
        expect(await within(slow.closed, 5000)).to.match(/^HTTP\/1\.1 408/);
      } finally {
        await listener.shutdown();
      }
    });

    it("closes an idle keep-alive connection after the keep-alive timeout", async () => {
      const listener = await startHttp({ keepAliveTimeoutMs: 200 });
      try {
        const idle = await rawConnection(listener.port);
        idle.socket.write(REQUEST);
        // Node's default of 5 s would still hold it open at 3 s.
        expect(await within(idle.closed, 3000)).to.match(/^HTTP\/1\.1 200[^]*keep-alive/i);
      } finally {
        await listener.shutdown();
      }
    });

    it("on shutdown refuses new connections, and serves a connection accepted just before it", async () => {
      const listener = await startHttp();
      const early = await rawConnection(listener.port);
      await new Promise((resolve) => setTimeout(resolve, 100)); // accepted by the server, no request yet
      const stopped = listener.shutdown();
      early.socket.write(REQUEST);
      const answer = await within(early.closed, 5000);
      expect(answer).to.match(/^HTTP\/1\.1 200/).and.match(/connection: close/i);
      const refused = await new Promise<string>((resolve) => {
        const socket = net.connect(listener.port, "127.0.0.1");
        socket.once("connect", () => resolve("connected"));
        socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      });
      expect(refused).to.equal("ECONNREFUSED");
      await stopped;
    });
  });
});
