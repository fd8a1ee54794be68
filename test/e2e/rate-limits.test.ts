// Rate limits and usage credits on the real server (ARCHITECTURE.md, "Keys"), as a client of each door
// sees them: a key limited to 5 calls per second gets its 6th call refused with the wait over REST
// (Retry-After and X-RateLimit-*), gRPC (google.rpc.RetryInfo and retry-after metadata) and forward auth;
// a key's uses run out on every door alike; forward auth answers the metadata entries a proxy asks for.
import * as grpc from "@grpc/grpc-js";
import { fromBinary, toBinary, create } from "@bufbuild/protobuf";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { ok, type Actor } from "./support/fixtures.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

/** What one call showed: its HTTP status (or gRPC code), reason and the headers the meter speaks in. */
interface Seen {
  readonly status: number;
  readonly reason: string;
  readonly retryAfter: string | undefined;
  readonly limit?: string | undefined;
  readonly remaining?: string | undefined;
  readonly reset?: string | undefined;
  /** gRPC: google.rpc.RetryInfo's delay, ms. */
  readonly retryDelayMs?: number;
}

describe("e2e: rate limits and usage credits on every door", function () {
  const server = useServer();

  /** A new user's key with the given limits (and metadata), made through the API. */
  async function meteredKey(limits: { rateLimit?: { requests: number; periodMs: number }; remainingUses?: number; metadata?: Record<string, string> }): Promise<Actor> {
    const userId = await server.fx.user();
    const response = ok(
      await server.doors.call(
        "connect",
        ApiKeyRegistry.method.createApiKey,
        {
          userId,
          name: "metered",
          rights: [Right.USER_INFO],
          rateLimit: limits.rateLimit && { requests: limits.rateLimit.requests, period: durationFromMs(limits.rateLimit.periodMs) },
          remainingUses: limits.remainingUses,
          metadata: limits.metadata ?? {},
        },
        server.admin,
      ),
    );
    issuedKeys.add(response.key);
    return { userId, key: response.key, apiKey: response.apiKey! };
  }

  async function overHttp(path: string, key: string, headers: Record<string, string> = {}): Promise<Seen & { headers: Headers }> {
    const response = await fetch(`${server.server.httpUrl}${path}`, { headers: { authorization: `Bearer ${key}`, ...headers } });
    const body = await response.text();
    const reason = response.ok ? "" : ((JSON.parse(body) as { details?: { reason?: string }[] }).details?.find((d) => d.reason)?.reason ?? "");
    return {
      status: response.status,
      reason,
      retryAfter: response.headers.get("retry-after") ?? undefined,
      limit: response.headers.get("x-ratelimit-limit") ?? undefined,
      remaining: response.headers.get("x-ratelimit-remaining") ?? undefined,
      reset: response.headers.get("x-ratelimit-reset") ?? undefined,
      headers: response.headers,
    };
  }

  function overGrpc(key: string): Promise<Seen> {
    const client = new grpc.Client(server.server.grpcAddress, grpc.credentials.createInsecure());
    const method = AuthService.method.getAuthInfo;
    const metadata = new grpc.Metadata();
    metadata.set("authorization", `Bearer ${key}`);
    return new Promise<Seen>((resolve) => {
      client.makeUnaryRequest(
        `/${method.parent.typeName}/${method.name}`,
        (m: object) => Buffer.from(toBinary(method.input, m as never)),
        (b: Buffer) => fromBinary(method.output, b),
        create(method.input),
        metadata,
        { deadline: Date.now() + 10_000 },
        (error) => {
          client.close();
          if (!error) return resolve({ status: 0, reason: "", retryAfter: undefined });
          const status = fromBinary(StatusSchema, error.metadata.get("grpc-status-details-bin")[0] as Buffer);
          const info = status.details.find((d) => d.typeUrl.endsWith("google.rpc.ErrorInfo"));
          const retry = status.details.find((d) => d.typeUrl.endsWith("google.rpc.RetryInfo"));
          const delay = retry ? fromBinary(RetryInfoSchema, retry.value).retryDelay : undefined;
          resolve({
            status: error.code,
            reason: info ? fromBinary(ErrorInfoSchema, info.value).reason : "",
            retryAfter: error.metadata.get("retry-after")[0]?.toString(),
            retryDelayMs: delay === undefined ? undefined : Number(delay.seconds) * 1000 + delay.nanos / 1e6,
          });
        },
      );
    });
  }

  /**
   * Six calls at once with a fresh 5-per-second key: all six land in one window unless the machine is
   * too slow to make six calls in a second, in which case the round is made again with a new key.
   */
  async function sixInOneSecond<S extends Seen>(call: (key: string) => Promise<S>): Promise<S[]> {
    for (let round = 0; round < 3; round++) {
      const actor = await meteredKey({ rateLimit: { requests: 5, periodMs: 1_000 } });
      const started = Date.now();
      const seen = await Promise.all(Array.from({ length: 6 }, () => call(actor.key)));
      if (Date.now() - started < 900) return seen;
    }
    expect.fail("six calls took a second or more three times over");
  }

  it("REST: the 6th call of a 5-per-second key is 429 API_KEY_RATE_LIMITED with Retry-After, every answer with X-RateLimit-*", async () => {
    const seen = await sixInOneSecond((key) => overHttp("/api/v1/auth_info", key));
    const admitted = seen.filter((s) => s.status === 200);
    const refused = seen.filter((s) => s.status !== 200);
    expect(admitted).to.have.length(5);
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({ status: 429, reason: "API_KEY_RATE_LIMITED", retryAfter: "1", limit: "5", remaining: "0", reset: "1" });
    expect(admitted.map((s) => s.remaining).sort()).to.deep.equal(["0", "1", "2", "3", "4"]);
    for (const s of admitted) expect(s).to.include({ limit: "5", reset: "1", retryAfter: undefined });
  });

  it("gRPC: the 6th call is RESOURCE_EXHAUSTED with google.rpc.RetryInfo and retry-after metadata", async () => {
    const seen = await sixInOneSecond(overGrpc);
    expect(seen.filter((s) => s.status === 0)).to.have.length(5);
    const refused = seen.filter((s) => s.status !== 0);
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({ status: grpc.status.RESOURCE_EXHAUSTED, reason: "API_KEY_RATE_LIMITED", retryAfter: "1" });
    expect(refused[0]!.retryDelayMs).to.be.within(1, 1_000);
  });

  it("forward auth: the 6th check is 429 with Retry-After, X-Keyward-Reason and X-RateLimit-*", async () => {
    const seen = await sixInOneSecond((key) => overHttp("/api/v1/auth/check", key));
    expect(seen.filter((s) => s.status === 200)).to.have.length(5);
    const refused = seen.filter((s) => s.status !== 200);
    expect(refused).to.have.length(1);
    expect(refused[0]).to.include({ status: 429, retryAfter: "1", limit: "5", remaining: "0" });
    expect(refused[0]!.headers.get("x-keyward-reason")).to.equal("API_KEY_RATE_LIMITED");
  });

  it("a key without a limit gets no X-RateLimit-* headers", async () => {
    const actor = await server.fx.actor([Right.USER_INFO]);
    for (const path of ["/api/v1/auth_info", "/api/v1/auth/check"]) {
      const seen = await overHttp(path, actor.key);
      expect(seen).to.include({ status: 200, limit: undefined, remaining: undefined, reset: undefined });
    }
  });

  it("a key with 3 uses serves 3 calls across the doors, then every door answers API_KEY_USAGE_EXHAUSTED", async () => {
    const actor = await meteredKey({ remainingUses: 3 });
    expect((await overHttp("/api/v1/auth_info", actor.key)).status).to.equal(200);
    expect((await overGrpc(actor.key)).status).to.equal(0);
    expect((await overHttp("/api/v1/auth/check", actor.key)).status).to.equal(200);
    expect(await overHttp("/api/v1/auth_info", actor.key)).to.include({ status: 429, reason: "API_KEY_USAGE_EXHAUSTED" });
    expect(await overGrpc(actor.key)).to.include({ status: grpc.status.RESOURCE_EXHAUSTED, reason: "API_KEY_USAGE_EXHAUSTED" });
    for (const door of ["connect", "grpc-web"] as const) {
      const outcome = await server.doors.call(door, AuthService.method.getAuthInfo, {}, actor.key);
      expect(outcome.ok ? "ok" : outcome.reason).to.equal("API_KEY_USAGE_EXHAUSTED");
    }
    const check = await overHttp("/api/v1/auth/check", actor.key);
    expect(check.status).to.equal(429);
    expect(check.headers.get("x-keyward-reason")).to.equal("API_KEY_USAGE_EXHAUSTED");
  });

  it("forward auth answers the metadata entries asked for, each always present, non-ASCII values in RFC 8187 form", async () => {
    const actor = await meteredKey({ metadata: { plan: "gold", region: "eu-west", customer: "Zürich AG" } });
    const byQuery = await overHttp("/api/v1/auth/check?metadata=plan,customer&metadata=tier", actor.key);
    expect(byQuery.status).to.equal(200);
    expect(byQuery.headers.get("x-keyward-metadata-plan")).to.equal("gold");
    expect(byQuery.headers.get("x-keyward-metadata-customer")).to.equal("UTF-8''Z%C3%BCrich%20AG");
    expect(byQuery.headers.get("x-keyward-metadata-tier")).to.equal("");
    expect(byQuery.headers.has("x-keyward-metadata-region")).to.equal(false);
    const byHeader = await overHttp("/api/v1/auth/check", actor.key, { "x-keyward-metadata": "region" });
    expect(byHeader.headers.get("x-keyward-metadata-region")).to.equal("eu-west");
    expect(byHeader.headers.has("x-keyward-metadata-plan")).to.equal(false);
    // Below the path, the query is the original request's: its `metadata` is not the proxy's.
    const below = await overHttp("/api/v1/auth/check/orders?metadata=plan", actor.key);
    expect(below.status).to.equal(200);
    expect(below.headers.has("x-keyward-metadata-plan")).to.equal(false);
    // A key without metadata: the header is there, empty.
    const other = await server.fx.actor([Right.USER_INFO]);
    expect((await overHttp("/api/v1/auth/check?metadata=plan", other.key)).headers.get("x-keyward-metadata-plan")).to.equal("");
  });

  it("forward auth refuses a malformed metadata name with INVALID_ARGUMENT (VALIDATION_FAILED) naming the field", async () => {
    const actor = await server.fx.actor([Right.USER_INFO]);
    for (const query of ["metadata=pl%2Fan", "metadata=-plan", "metadata=plan,Plan", `metadata=${Array.from({ length: 17 }, (_, i) => `k${i}`).join(",")}`]) {
      const response = await fetch(`${server.server.httpUrl}/api/v1/auth/check?${query}`, { headers: { authorization: `Bearer ${actor.key}` } });
      expect(response.status, query).to.equal(400);
      const body = (await response.json()) as { details: { reason?: string; fieldViolations?: { field: string }[] }[] };
      expect(body.details.find((d) => d.reason)?.reason).to.equal("VALIDATION_FAILED");
      expect(body.details.find((d) => d.fieldViolations)?.fieldViolations?.[0]?.field).to.equal("metadata");
    }
  });
});
