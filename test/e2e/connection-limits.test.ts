/**
 * Per-client connection limits on the real server: one client holding idle connections up to
 * and past `--max-connections-per-client` (and past the listener's global cap) no longer locks others
 * out of the HTTP listener, nor out of the gRPC listener; a trusted proxy is not capped. Clients are told
 * apart by their loopback source address: 127.0.0.2 is the greedy client, 127.0.0.3 everyone else,
 * 127.0.0.9 a trusted proxy. Counts and waits are small and bounded.
 */
import * as net from "node:net";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { ok } from "./support/fixtures.js";
import { httpFrom } from "./support/http-from.js";
import { useServer } from "./support/server-process.js";

const GREEDY = "127.0.0.2";
const OTHER = "127.0.0.3";
const PROXY = "127.0.0.9";
const GLOBAL_CAP = 20;
const PER_CLIENT = 5;

/** One raw TCP connection from `localAddress`, sending nothing: `open()` says whether the server still holds it. */
interface Held {
  readonly socket: net.Socket;
  open(): boolean;
}

function hold(port: number, localAddress: string): Promise<Held> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const socket = net.connect({ port, host: "127.0.0.1", localAddress });
    socket.on("error", () => undefined); // a reset counts as closed
    socket.once("close", () => (closed = true));
    socket.once("connect", () => resolve({ socket, open: () => !closed }));
    socket.once("error", reject);
  });
}

async function holdMany(port: number, localAddress: string, count: number): Promise<Held[]> {
  const held: Held[] = [];
  for (let i = 0; i < count; i++) held.push(await hold(port, localAddress));
  // Let the server accept (and close) what it will.
  await new Promise((resolve) => setTimeout(resolve, 500));
  return held;
}

const portOf = (address: string) => Number(address.slice(address.lastIndexOf(":") + 1));

describe("e2e: per-client connection limits", function () {
  this.timeout(30_000);
  const sut = useServer({
    args: ["--max-http-connections", String(GLOBAL_CAP), "--max-connections-per-client", String(PER_CLIENT), "--trusted-proxies", `${PROXY}/32`],
  });
  let held: Held[] = [];
  afterEach(async () => {
    held.forEach((h) => h.socket.destroy());
    held = [];
    // Let the server see them close before the next test counts again.
    await new Promise((resolve) => setTimeout(resolve, 300));
  });

  it("HTTP: one client holding idle connections past its cap and past the global cap keeps only its cap, and others are still served", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    const httpPort = portOf(sut.server.httpUrl);
    held = await holdMany(httpPort, GREEDY, GLOBAL_CAP + 5);
    expect(held.filter((h) => h.open()).length, "connections the greedy client still holds").to.equal(PER_CLIENT);
    const answer = await httpFrom(OTHER, `${sut.server.httpUrl}/api/v1/auth_info`, { headers: { authorization: `Bearer ${actor.key}` } });
    expect(answer.status, "another client is served").to.equal(200);

    // Reconnecting does not help it: each new connection over its cap is closed at once, others still get in.
    for (let round = 0; round < 3; round++) {
      held.filter((h) => h.open()).slice(0, 2).forEach((h) => h.socket.destroy());
      await new Promise((resolve) => setTimeout(resolve, 300));
      held.push(...(await holdMany(httpPort, GREEDY, 4)));
      expect(held.filter((h) => h.open()).length, `round ${round}`).to.equal(PER_CLIENT);
      expect((await httpFrom(OTHER, `${sut.server.httpUrl}/healthz`)).status, `round ${round}`).to.equal(200);
    }
  });

  it("HTTP: the greedy client's own requests within its cap are answered; a trusted proxy is not capped", async () => {
    const httpPort = portOf(sut.server.httpUrl);
    held = await holdMany(httpPort, GREEDY, PER_CLIENT - 1);
    expect((await httpFrom(GREEDY, `${sut.server.httpUrl}/healthz`)).status).to.equal(200);
    held.push(...(await holdMany(httpPort, PROXY, PER_CLIENT + 5)));
    expect(held.filter((h) => h.open()).length).to.equal(PER_CLIENT - 1 + PER_CLIENT + 5);
    expect((await httpFrom(PROXY, `${sut.server.httpUrl}/healthz`)).status).to.equal(200);
  });

  it("gRPC: the same cap per client, and a call from another client still succeeds", async () => {
    const actor = await sut.fx.actor([Right.USER_INFO]);
    held = await holdMany(portOf(sut.server.grpcAddress), GREEDY, PER_CLIENT + 5);
    expect(held.filter((h) => h.open()).length).to.equal(PER_CLIENT);
    // The doors' gRPC client connects from 127.0.0.1.
    const info = ok(await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, actor.key));
    expect(info.user?.userId).to.equal(actor.userId);
  });
});
