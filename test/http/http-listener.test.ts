import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { expect } from "chai";
import * as net from "node:net";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { createLogger } from "../../src/logger.js";
import { createConnectRoute } from "../../src/http/connect-handler.js";
import { startHttpListener, type HttpListener, type HttpListenerOptions } from "../../src/http/http-listener.js";
import { routeRequests, type HttpRoute } from "../../src/http/http-routes.js";
import { createInvoker } from "../../src/transport/invoke.js";
import { createStubServices, MODE_HEADER, WWW_AUTHENTICATE, type StubServices } from "../transport/support/stub-service.js";
import { testTlsPair } from "../transport/support/tls-test-pair.js";
import { waitFor } from "../transport/support/wait-for.js";

const AUTH = { authorization: "Bearer test-key" };

interface Running {
  stub: StubServices;
  listener: HttpListener;
  logLines: string[];
}

/**
 * The listener serving the Connect route and, after it, `next` (if any): the listener's own behaviour,
 * apart from the rest of the HTTP port's table (test/transport/support/stub-http-port.ts serves all of it).
 */
async function start(options: Partial<Omit<HttpListenerOptions, "handler">> & { maxRequestBytes?: number; next?: HttpRoute } = {}): Promise<Running> {
  const { maxRequestBytes, next, ...listenerOptions } = options;
  const stub = createStubServices();
  const logLines: string[] = [];
  const logger = createLogger("debug", (line) => logLines.push(line));
  const connect = createConnectRoute({ invoker: createInvoker(stub.bindings, stub.interceptors), logger, maxRequestBytes });
  const listener = await startHttpListener({
    address: "127.0.0.1:0",
    handler: routeRequests(next === undefined ? [connect] : [connect, next], logger),
    ...listenerOptions,
  });
  return { stub, listener, logLines };
}

function connectClient(baseUrl: string, ca?: string | Buffer): Client<typeof AuthService> {
  return createClient(AuthService, createConnectTransport({ baseUrl, httpVersion: "1.1", nodeOptions: { ca } }));
}

function grpcWebClient(baseUrl: string): Client<typeof AuthService> {
  return createClient(AuthService, createGrpcWebTransport({ baseUrl, httpVersion: "1.1" }));
}

async function expectConnectError(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ConnectError) return error;
    throw error;
  }
  throw new Error("expected the call to fail");
}

describe("http/http-listener", () => {
  let running: Running;
  before(async () => (running = await start()));
  after(() => running.listener.shutdown());

  it("binds a free port when asked for port 0 and reports address and URL", () => {
    expect(running.listener.port).to.be.greaterThan(0);
    expect(running.listener.address).to.equal(`127.0.0.1:${running.listener.port}`);
    expect(running.listener.url).to.equal(`http://127.0.0.1:${running.listener.port}`);
  });

  for (const [protocol, client] of [
    ["connect", (url: string) => connectClient(url)],
    ["grpc-web", grpcWebClient],
  ] as const) {
    it(`answers a ${protocol} client over HTTP/1.1, headers in and out`, async () => {
      let responseHeader: Headers | undefined;
      const reply = await client(running.listener.url).getAuthInfo(
        {},
        { headers: { ...AUTH, "x-request-id": "req-7" }, onHeader: (header) => (responseHeader = header) },
      );
      expect(reply.user?.name).to.equal("Bearer test-key");
      expect(responseHeader?.get("x-stub-header")).to.equal("from-header");
      const seen = running.stub.calls.at(-1)!;
      expect(seen.protocolName).to.equal(protocol);
      expect(seen.header.get("x-request-id")).to.equal("req-7");
    });

    it(`answers a refused ${protocol} call with its code, ErrorInfo reason and www-authenticate`, async () => {
      const error = await expectConnectError(client(running.listener.url).getAuthInfo({}));
      expect(error.code).to.equal(Code.Unauthenticated);
      expect(error.rawMessage).to.equal("no API key: send Authorization: Bearer <key>");
      expect(error.findDetails(ErrorInfoSchema).map((info) => info.reason)).to.deep.equal(["CREDENTIALS_MISSING"]);
      expect(error.metadata.get("www-authenticate")).to.equal(WWW_AUTHENTICATE);
    });
  }

  it("refuses a request body larger than maxRequestBytes with RESOURCE_EXHAUSTED, before the handler", async () => {
    const limited = await start({ maxRequestBytes: 1024 });
    try {
      const users = createClient(UserRegistry, createConnectTransport({ baseUrl: limited.listener.url, httpVersion: "1.1" }));
      const error = await expectConnectError(users.createUser({ user: { name: "x".repeat(2048) } }, { headers: AUTH }));
      expect(error.code).to.equal(Code.ResourceExhausted);
      expect(limited.stub.calls).to.have.length(0);
    } finally {
      await limited.listener.shutdown();
    }
  });

  it("answers paths no route claims with 404 and a google.rpc.Status body, query left out", async () => {
    const response = await fetch(`${running.listener.url}/x?key=secret`);
    expect(response.status).to.equal(404);
    expect(response.headers.get("content-type")).to.equal("application/json");
    expect(await response.json()).to.deep.equal({ code: 5, message: "no route for GET /x" });
  });

  it("survives an HTTP/1.0 request without Host (400) and keeps serving", async () => {
    const answer = await rawHttp(running.listener.port, "POST /keyward.v1.AuthService/GetAuthInfo HTTP/1.0\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}");
    expect(answer.split("\r\n")[0]).to.equal("HTTP/1.1 400 Bad Request");
    expect(answer).to.contain('"code":3');
    const reply = await connectClient(running.listener.url).getAuthInfo({}, { headers: AUTH });
    expect(reply.user?.userId).to.equal("alice");
  });
});

describe("http/http-listener (separate servers)", () => {
  it("hands non-RPC requests to the next route", async () => {
    const running = await start({
      next: {
        claims: () => true,
        answer: (request, response) => {
          response.writeHead(418, { "content-type": "text/plain" });
          response.end(`fallback saw ${request.method} ${request.url}`);
        },
      },
    });
    try {
      const response = await fetch(`${running.listener.url}/api/v1/users?page_size=1`);
      expect(response.status).to.equal(418);
      expect(await response.text()).to.equal("fallback saw GET /api/v1/users?page_size=1");
    } finally {
      await running.listener.shutdown();
    }
  });

  it("rejects when the address is taken", async () => {
    const running = await start();
    try {
      const error = await start({ address: running.listener.address }).then(
        (unexpected) => unexpected.listener.shutdown().then(() => expect.fail("a second server bound the same address")),
        (reason: NodeJS.ErrnoException) => reason,
      );
      expect(error.code).to.equal("EADDRINUSE");
    } finally {
      await running.listener.shutdown();
    }
  });

  it("serves HTTPS when given a key pair", async () => {
    const running = await start({ tls: testTlsPair });
    try {
      expect(running.listener.url).to.equal(`https://127.0.0.1:${running.listener.port}`);
      const reply = await connectClient(running.listener.url, testTlsPair.cert).getAuthInfo({}, { headers: AUTH });
      expect(reply.user?.name).to.equal("Bearer test-key");
    } finally {
      await running.listener.shutdown();
    }
  });

  it("graceful shutdown completes the in-flight call, closes kept-alive connections promptly, then refuses connections", async () => {
    const running = await start({ drainTimeoutMs: 5_000 });
    const client = connectClient(running.listener.url);
    await client.getAuthInfo({}, { headers: AUTH }); // leaves an idle kept-alive connection behind
    const inFlight = client.getAuthInfo({}, { headers: { ...AUTH, [MODE_HEADER]: "delay:300" } });
    await waitFor(() => running.stub.calls.length === 2);
    const started = Date.now();
    const stopped = running.listener.shutdown();
    const reply = await inFlight;
    expect(reply.user?.userId).to.equal("alice");
    await stopped;
    expect(Date.now() - started).to.be.lessThan(2_000);
    const error = await expectConnectError(client.getAuthInfo({}, { headers: AUTH }));
    expect(error.code).to.equal(Code.Unavailable);
    expect(running.listener.shutdown()).to.equal(stopped);
  });
});

/** Sends `request` verbatim and returns everything the server wrote before closing. */
function rawHttp(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(request));
    let answer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk) => (answer += chunk));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}
