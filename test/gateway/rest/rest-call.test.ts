/**
 * What a REST call hands the shared call path (src/gateway/rest/rest-gateway.ts, call-signal.ts), seen from a
 * stub implementation behind the real listener: protocol name and headers, response headers back, a
 * plain error made safe, the `X-Server-Timeout` deadline, and the client going away.
 */
import * as http from "node:http";
import { Code, ConnectError } from "@connectrpc/connect";
import { expect } from "chai";
import type { HttpListener } from "../../../src/http/http-listener.js";
import { startStubHttpPort } from "../../transport/support/stub-http-port.js";
import { createStubServices, MODE_HEADER, type StubServices } from "../../transport/support/stub-service.js";

describe("gateway: a REST call through invoke", () => {
  let stub: StubServices;
  let listener: HttpListener;
  before(async () => {
    stub = createStubServices();
    listener = await startStubHttpPort(stub, { maxRequestBytes: 1024 });
  });
  after(() => listener.shutdown());

  const get = (headers: Record<string, string>, signal?: AbortSignal) =>
    fetch(`${listener.url}/api/v1/auth_info`, { headers: { authorization: "Bearer test-key", ...headers }, signal });

  it("runs the shared interceptors and implementation with protocol `rest`, headers in and out", async () => {
    const before = stub.calls.length;
    const response = await get({ "x-custom": "yes" });
    expect(response.status).to.equal(200);
    expect(response.headers.get("x-stub-header")).to.equal("from-header");
    expect(((await response.json()) as { user: { name: string } }).user.name).to.equal("Bearer test-key");
    const seen = stub.calls[before]!;
    expect(seen.protocolName).to.equal("rest");
    expect(seen.header.get("x-custom")).to.equal("yes");
    const refused = await fetch(`${listener.url}/api/v1/auth_info`);
    expect(refused.status).to.equal(401);
    expect(refused.headers.get("www-authenticate")).to.equal('Bearer realm="keyward"');
  });

  it("answers JSON with no-store, nosniff and the body's exact length, errors too", async () => {
    const answered = await get({});
    const refused = await fetch(`${listener.url}/api/v1/auth_info`);
    expect([answered.status, refused.status]).to.deep.equal([200, 401]);
    for (const response of [answered, refused]) {
      const body = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get("content-type")).to.equal("application/json");
      expect(response.headers.get("cache-control")).to.equal("no-store");
      expect(response.headers.get("x-content-type-options")).to.equal("nosniff");
      expect(response.headers.get("content-length")).to.equal(String(body.length));
      expect(() => JSON.parse(body.toString("utf8"))).not.to.throw();
    }
  });

  it("answers a plain error as INTERNAL without its message", async () => {
    const response = await get({ [MODE_HEADER]: "throw-plain" });
    expect(response.status).to.equal(500);
    const text = await response.text();
    expect(JSON.parse(text)).to.deep.include({ code: 13, message: "internal error" });
    expect(text).not.to.contain("hunter2");
  });

  it("aborts the call and answers 504 DEADLINE_EXCEEDED when X-Server-Timeout passes", async () => {
    const aborted = stub.nextAbort();
    const started = Date.now();
    const response = await get({ [MODE_HEADER]: "hang", "x-server-timeout": "0.2" });
    expect(response.status).to.equal(504);
    const status = (await response.json()) as { code: number; details: Array<{ reason?: string }> };
    expect(status.code).to.equal(Code.DeadlineExceeded);
    expect(status.details[0]!.reason).to.equal("DEADLINE_EXCEEDED");
    expect(Date.now() - started).to.be.within(150, 2000);
    const reason = (await aborted) as ConnectError;
    expect(reason.code).to.equal(Code.DeadlineExceeded);
  });

  it("aborts the call's signal with CANCELED when the client goes away", async () => {
    const aborted = stub.nextAbort();
    const request = http.get(`${listener.url}/api/v1/auth_info`, { headers: { authorization: "Bearer test-key", [MODE_HEADER]: "hang" } });
    request.on("error", () => {});
    setTimeout(() => request.destroy(), 100);
    const reason = (await aborted) as ConnectError;
    expect(reason).to.be.instanceOf(ConnectError);
    expect(reason.code).to.equal(Code.Canceled);
  });
});
