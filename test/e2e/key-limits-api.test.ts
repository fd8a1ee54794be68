/**
 * A key's rate limit, usage credits, refill and metadata through the API (ARCHITECTURE.md, "Keys"): every
 * bad value refused at once, each by its field, on create and update; what is set is what every read
 * shows (create, get, list, GetAuthInfo) and what the store holds; an update's clears; and self-rotation
 * keeping them. Over REST, as a client sends JSON; the other doors share the handlers (the matrix and the
 * escalation sequences call them all).
 */
import { join } from "node:path";
import { expect } from "chai";
import { openSqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("e2e: a key's limits and metadata through the API", function () {
  this.timeout(60_000);
  const sut = useServer();

  async function rest(method: string, path: string, body: unknown, key = sut.admin): Promise<{ status: number; json: Json }> {
    const response = await fetch(new URL(path, sut.server.httpUrl), {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Json;
    if (typeof json["key"] === "string") issuedKeys.add(json["key"]);
    return { status: response.status, json };
  }
  const violations = (json: Json) =>
    Object.fromEntries((json["details"] as Json[]).find((d) => String(d["@type"]).endsWith("BadRequest"))!["fieldViolations"].map((v: Json) => [v.field, v.description]));

  it("refuses every bad limit and metadata entry of a create at once, each by its field, and stores nothing", async () => {
    const userId = await sut.fx.user();
    const metadata: Record<string, string> = { plan: "x".repeat(257), "bad key": "v", tab: "a\tb" };
    const { status, json } = await rest("POST", `/api/v1/users/${userId}/api-keys`, {
      rights: ["RIGHT_USER_INFO"],
      rateLimit: { requests: 0, period: "0.5s" },
      remainingUses: -1,
      refill: { amount: 1_000_000_001, period: "30s" },
      metadata,
    });
    expect(status).to.equal(400);
    expect(json["details"][0].reason).to.equal("VALIDATION_FAILED");
    expect(violations(json)).to.deep.equal({
      "rate_limit.requests": "must be 1 to 1,000,000",
      "rate_limit.period": "must be 1s to 1d in whole seconds (e.g. `1s`)",
      remaining_uses: "must be 0 to 1,000,000,000",
      "refill.amount": "must be 1 to 1,000,000,000",
      "refill.period": "must be 1m to 366d in whole seconds (e.g. `60s`)",
      "metadata[plan]": "must be at most 256 bytes of UTF-8 (257 given)",
      metadata: "key `bad key` must be 1 to 64 of A-Z, a-z, 0-9, `_`, `-` and `.`, starting with a letter or digit",
      "metadata[tab]": "must not contain control characters",
    });
    const many = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    const tooMany = await rest("POST", `/api/v1/users/${userId}/api-keys`, { rights: ["RIGHT_USER_INFO"], metadata: many, refill: { amount: 5, period: "60s" } });
    expect(violations(tooMany.json)).to.deep.equal({ metadata: "at most 16 entries (17 given)", refill: "needs remaining_uses: a refill sets the count back" });
    expect((await rest("GET", `/api/v1/users/${userId}/api-keys`, undefined)).json["totalSize"]).to.equal(0);
  });

  it("shows what was set on create in every read and in the store; an update changes, clears and replaces; self-rotation keeps it all", async () => {
    const userId = await sut.fx.user();
    const created = await rest("POST", `/api/v1/users/${userId}/api-keys`, {
      rights: ["RIGHT_USER_INFO"],
      rateLimit: { requests: 100, period: "60s" },
      remainingUses: 1000,
      refill: { amount: 500, period: "86400s" },
      metadata: { plan: "pro", "customer.id": "c-42", note: "grüße" },
    });
    expect(created.status).to.equal(200);
    const key = created.json["apiKey"] as Json;
    const keyId = key["id"] as string;
    const shown = (k: Json) => [k["rateLimit"], k["remainingUses"], k["refill"], k["metadata"]];
    const expected = [{ requests: 100, period: "60s" }, 1000, { amount: 500, period: "86400s" }, { plan: "pro", "customer.id": "c-42", note: "grüße" }];
    expect(shown(key)).to.deep.equal(expected);
    expect(Date.parse(key["nextRefillAt"]) - Date.parse(key["createdAt"])).to.equal(86_400_000);
    const got = await rest("GET", `/api/v1/users/${userId}/api-keys/${keyId}`, undefined);
    const listed = await rest("GET", `/api/v1/users/${userId}/api-keys`, undefined);
    const authInfo = await rest("GET", "/api/v1/auth_info", undefined, created.json["key"]);
    expect(shown(got.json)).to.deep.equal(expected);
    expect(shown(listed.json["apiKeys"][0])).to.deep.equal(expected);
    expect(authInfo.json["apiKey"]["metadata"]).to.deep.equal(expected[3]);
    expect(authInfo.json["apiKey"]["rateLimit"]).to.deep.equal(expected[0]);

    // A refill alone keeps the count; metadata is replaced whole; clearing uses clears the refill.
    const refilled = await rest("PATCH", `/api/v1/users/${userId}/api-keys/${keyId}`, { refill: { amount: 20, period: "3600s" }, metadata: { plan: "free" } });
    expect(shown(refilled.json["apiKey"])).to.deep.equal([{ requests: 100, period: "60s" }, refilled.json["apiKey"]["remainingUses"], { amount: 20, period: "3600s" }, { plan: "free" }]);
    expect(refilled.json["apiKey"]["remainingUses"]).to.be.within(900, 1000);
    const unlimited = await rest("PATCH", `/api/v1/users/${userId}/api-keys/${keyId}?update_mask=remaining_uses,rate_limit,metadata`, {});
    expect(shown(unlimited.json["apiKey"])).to.deep.equal([undefined, undefined, undefined, {}]);
    expect(unlimited.json["apiKey"]["nextRefillAt"]).to.equal(undefined);
    // A refill on a key without uses is refused by field, inside the write, and changes nothing.
    const orphan = await rest("PATCH", `/api/v1/users/${userId}/api-keys/${keyId}`, { refill: { amount: 5, period: "60s" } });
    expect(orphan.status).to.equal(400);
    expect(violations(orphan.json)).to.deep.equal({ "api_key.refill": "needs remaining_uses: the key has none (unlimited); set both" });
    const bad = await rest("PATCH", `/api/v1/users/${userId}/api-keys/${keyId}`, { rateLimit: { requests: 5, period: "172800s" }, metadata: { "-x": "y" } });
    expect(Object.keys(violations(bad.json))).to.deep.equal(["api_key.rate_limit.period", "api_key.metadata"]);

    const set = await rest("PATCH", `/api/v1/users/${userId}/api-keys/${keyId}`, { remainingUses: 7, rateLimit: { requests: 5, period: "1s" }, metadata: { plan: "trial" } });
    expect(shown(set.json["apiKey"])).to.deep.equal([{ requests: 5, period: "1s" }, 7, undefined, { plan: "trial" }]);
    const store = openSqliteStore(join(sut.server.dataDir, "keyward.db"));
    try {
      const stored = await store.getApiKey(userId, keyId);
      expect([stored.rateLimit, stored.remainingUses, stored.refill, stored.metadata]).to.deep.equal([{ requests: 5, periodMs: 1000 }, 7, undefined, { plan: "trial" }]);
      // The window begun under 100 per 60 s (its leased block of 5 counted) carries into 5 per second,
      // so it is full; it ends within the new period, a second, not the old minute.
      const rotate = () => rest("POST", "/api/v1/api-keys/self:regenerate", {}, created.json["key"]);
      let rotated = await rotate();
      if (rotated.status === 429) {
        await new Promise((resolve) => setTimeout(resolve, 1_100));
        rotated = await rotate();
      }
      expect(rotated.status).to.equal(200);
      expect(shown(rotated.json["apiKey"]).slice(0, 1).concat(shown(rotated.json["apiKey"]).slice(2))).to.deep.equal([{ requests: 5, period: "1s" }, undefined, { plan: "trial" }]);
      const after = await store.getApiKey(userId, keyId);
      expect([after.rateLimit, after.refill, after.metadata, after.refilledAt?.getTime()]).to.deep.equal([stored.rateLimit, stored.refill, stored.metadata, stored.refilledAt?.getTime()]);
      expect(after.remainingUses).to.be.at.most(7);
      expect(after.secretHash).to.not.equal(stored.secretHash);
    } finally {
      await store.close();
    }
  });
});
