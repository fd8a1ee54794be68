/**
 * Health, readiness and metrics on the real server (SQLite): unauthenticated, on the HTTP port, beside
 * REST; calls counted once per call on every door with bounded labels and never a key, secret or user id.
 */
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { RouteTable } from "../../src/gateway/rest/route-table.js";
import { OPS_PATHS } from "../../src/http/ops-endpoints.js";
import { KEYWARD_ROUTES } from "../gateway/support/routes.js";
import { HEALTH_SERVING, healthCheck } from "../transport/support/grpc-health-client.js";
import { DOORS } from "./support/doors.js";
import { uniqueUserId } from "./support/fixtures.js";
import { useServer } from "./support/server-process.js";
import { metricValue } from "./support/metrics-text.js";

const GET_AUTH_INFO = "keyward.v1.AuthService/GetAuthInfo";

describe("e2e: health, readiness and metrics", function () {
  const sut = useServer();
  const get = (path: string, init?: RequestInit) => fetch(new URL(path, sut.server.httpUrl), init);
  const metrics = async () => {
    const response = await get(OPS_PATHS.metrics);
    expect(response.status).to.equal(200);
    return response.text();
  };

  it("answers /healthz and /readyz with 200 and no credentials, and gRPC health SERVING", async () => {
    for (const [path, status] of [
      [OPS_PATHS.healthz, "alive"],
      [OPS_PATHS.readyz, "ready"],
    ] as const) {
      const response = await get(path);
      expect(response.status, path).to.equal(200);
      expect(response.headers.get("cache-control"), path).to.equal("no-store");
      expect(await response.json(), path).to.deep.equal({ status });
    }
    const client = new grpc.Client(sut.server.grpcAddress, grpc.credentials.createInsecure());
    try {
      expect(await healthCheck(client, "")).to.equal(HEALTH_SERVING);
    } finally {
      client.close();
    }
  });

  it("serves only GET and HEAD there (405 with Allow), and HEAD without a body", async () => {
    const post = await get(OPS_PATHS.healthz, { method: "POST", body: "{}" });
    expect(post.status).to.equal(405);
    expect(post.headers.get("allow")).to.equal("GET, HEAD");
    const head = await get(OPS_PATHS.readyz, { method: "HEAD" });
    expect(head.status).to.equal(200);
    expect(await head.text()).to.equal("");
  });

  it("leaves every REST route alone: none lives at an operations path", () => {
    const table = new RouteTable<string>();
    for (const route of KEYWARD_ROUTES) table.add(route.httpMethod, route.template, route.name, route.name);
    for (const path of Object.values(OPS_PATHS)) {
      for (const method of ["GET", "HEAD", "POST"]) expect(table.match(method, path).kind, `${method} ${path}`).to.equal("not-found");
    }
  });

  it("counts calls by protocol, method and code once per call on every door, REST included", async () => {
    const before = await metrics();
    for (const door of DOORS) expect((await sut.doors.call(door, AuthService.method.getAuthInfo, {}, sut.admin)).ok, door).to.equal(true);
    expect((await get("/api/v1/auth_info", { headers: { authorization: `Bearer ${sut.admin}` } })).status).to.equal(200);
    const refused = await sut.doors.call("connect", AuthService.method.getAuthInfo, {}, "NNSXS.NOPE.NOPE");
    expect(refused.ok).to.equal(false);
    const after = await metrics();
    const delta = (name: string, labels: Record<string, string>) => metricValue(after, name, labels) - metricValue(before, name, labels);
    for (const protocol of ["grpc", "connect", "grpc-web", "rest"]) {
      expect(delta("keyward_calls_total", { protocol, method: GET_AUTH_INFO, code: "OK" }), protocol).to.equal(1);
      expect(metricValue(after, "keyward_call_duration_seconds_count", { protocol, method: GET_AUTH_INFO }), protocol).to.be.at.least(1);
    }
    expect(delta("keyward_calls_total", { protocol: "connect", method: GET_AUTH_INFO, code: "Unauthenticated" })).to.equal(1);
    expect(delta("keyward_authentications_total", { result: "OK" })).to.equal(4);
    expect(delta("keyward_authentications_total", { result: "CREDENTIALS_MALFORMED" })).to.equal(1);
    expect(delta("keyward_verifier_cache_hits_total", {})).to.be.at.least(3);
    expect(metricValue(after, "keyward_store_operation_duration_seconds_count", { operation: "findApiKeyWithOwner", outcome: "ok" })).to.be.at.least(1);
    expect(metricValue(after, "keyward_ready", {})).to.equal(1);
    expect(after).to.include("keyward_revocation_feed_lag_seconds ");
  });

  it("puts no key id, secret or user id into any metric", async () => {
    const userId = uniqueUserId("metrics-secret");
    await sut.fx.user({ userId });
    const actor = await sut.fx.key(userId, [Right.USER_INFO]);
    for (const door of DOORS) await sut.doors.call(door, AuthService.method.getAuthInfo, {}, actor.key);
    await sut.doors.call("grpc", AuthService.method.getAuthInfo, {}, `NNSXS.${actor.apiKey.id}.WRONG`);
    const text = await metrics();
    const secret = actor.key.split(".")[2]!;
    for (const forbidden of [userId, actor.apiKey.id, secret, sut.admin.split(".")[1]!]) expect(text).to.not.include(forbidden);
  });
});
