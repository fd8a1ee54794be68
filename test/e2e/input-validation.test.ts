/**
 * Bad input over REST gets a clear `VALIDATION_FAILED` naming the field and changes nothing (ARCHITECTURE.md, "Strict, bounded decoding"):
 * the security review's findings on text, timestamps, update masks and query numbers.
 */
import { expect } from "chai";
import { issuedKeys } from "./support/secret-scan.js";
import { useServer } from "./support/server-process.js";
import { reasonOfBody } from "../support/error-reasons.js";

interface Violation {
  field: string;
  description: string;
}

describe("e2e: input validation over REST", function () {
  const sut = useServer();
  let counter = 0;
  const newUserId = () => `input-${process.pid}-${++counter}`;

  async function call(method: string, path: string, body?: unknown) {
    const response = await fetch(`${sut.server.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${sut.admin}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await response.json()) as Record<string, any>;
    const violations: Violation[] = (json.details ?? []).flatMap((d: { fieldViolations?: Violation[] }) => d.fieldViolations ?? []);
    const reason = reasonOfBody(json);
    return { status: response.status, json, violations, reason };
  }

  const refusedAt = (answer: Awaited<ReturnType<typeof call>>, field: string) => {
    expect(answer.status, JSON.stringify(answer.json)).to.equal(400);
    expect(answer.reason).to.equal("VALIDATION_FAILED");
    return answer.violations.filter((v) => v.field === field);
  };

  describe("text shown to people", () => {
    for (const [label, email] of [
      ["ESC", "ops\x1b]0;owned\x07@example.com"],
      ["BEL", "ops\x07@example.com"],
      ["NUL", "ops\x00@example.com"],
    ] as const) {
      it(`refuses an email with ${label} on create and on update, and stores nothing`, async () => {
        const userId = newUserId();
        expect(refusedAt(await call("POST", "/api/v1/users", { userId, email }), "user.email")).to.have.length(1);
        expect((await call("GET", `/api/v1/users/${userId}`)).status).to.equal(404);
        expect((await call("POST", "/api/v1/users", { userId, email: "ops@example.com" })).status).to.equal(200);
        const [violation] = refusedAt(await call("PATCH", `/api/v1/users/${userId}`, { email }), "user.email");
        expect(violation?.description).to.match(/control characters/);
        expect((await call("GET", `/api/v1/users/${userId}`)).json.email).to.equal("ops@example.com");
      });
    }

    it("refuses names with bidi controls (U+202E, U+2066) for users and keys, and the key list query", async () => {
      const userId = newUserId();
      expect(refusedAt(await call("POST", "/api/v1/users", { userId, name: "invoice\u202Efdp.exe" }), "user.name")).to.have.length(1);
      expect((await call("POST", "/api/v1/users", { userId, name: "Zoë Ünal 山田" })).status).to.equal(200);
      expect(refusedAt(await call("POST", `/api/v1/users/${userId}/api-keys`, { name: "a\u2066b", rights: ["RIGHT_USER_INFO"] }), "name")).to.have.length(1);
      expect(refusedAt(await call("GET", `/api/v1/users/${userId}/api-keys?query=%E2%80%AE`), "query")).to.have.length(1);
      expect((await call("GET", `/api/v1/users/${userId}/api-keys`)).json.totalSize).to.equal(0);
    });
  });

  describe("timestamps", () => {
    for (const impossible of ["2030-02-30T00:00:00Z", "2030-04-31T00:00:00Z", "2031-02-29T12:00:00Z", "2030-13-01T00:00:00Z", "2030-01-01T24:00:00Z", "2030-01-01T00:00:00+24:00"]) {
      it(`refuses ${impossible} instead of rolling it over, and creates no key`, async () => {
        const userId = newUserId();
        await call("POST", "/api/v1/users", { userId });
        const answer = await call("POST", `/api/v1/users/${userId}/api-keys`, { rights: ["RIGHT_USER_INFO"], expiresAt: impossible });
        const [violation] = refusedAt(answer, "expires_at");
        expect(violation?.description).to.match(/RFC 3339/);
        expect((await call("GET", `/api/v1/users/${userId}/api-keys`)).json.totalSize).to.equal(0);
      });
    }

    it("accepts a real leap day and keeps it exactly", async () => {
      const userId = newUserId();
      await call("POST", "/api/v1/users", { userId });
      const answer = await call("POST", `/api/v1/users/${userId}/api-keys`, { rights: ["RIGHT_USER_INFO"], expiresAt: "2032-02-29T23:59:59Z" });
      expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
      issuedKeys.add(answer.json.key);
      expect(answer.json.apiKey.expiresAt).to.equal("2032-02-29T23:59:59Z");
    });

    it("refuses an impossible date in an update and keeps the stored expiry", async () => {
      const userId = newUserId();
      await call("POST", "/api/v1/users", { userId });
      const created = await call("POST", `/api/v1/users/${userId}/api-keys`, { rights: ["RIGHT_USER_INFO"], expiresAt: "2031-01-01T00:00:00Z" });
      issuedKeys.add(created.json.key);
      const path = `/api/v1/users/${userId}/api-keys/${created.json.apiKey.id}`;
      expect(refusedAt(await call("PATCH", path, { expiresAt: "2031-02-30T00:00:00Z" }), "api_key.expires_at")).to.have.length(1);
      expect((await call("GET", path)).json.expiresAt).to.equal("2031-01-01T00:00:00Z");
    });
  });

  describe("update masks and query numbers", () => {
    let userId: string;
    before(async () => {
      userId = newUserId();
      await call("POST", "/api/v1/users", { userId, name: "Before" });
    });

    it("quotes an unknown mask path as the caller wrote it", async () => {
      const [violation] = refusedAt(await call("PATCH", `/api/v1/users/${userId}?update_mask=NAME`, { name: "After" }), "update_mask");
      expect(violation?.description).to.contain("unknown field `NAME`").and.not.contain("_n_a_m_e");
      expect((await call("GET", `/api/v1/users/${userId}`)).json.name).to.equal("Before");
    });

    it("refuses an explicit empty mask instead of falling back to the body's fields", async () => {
      const [violation] = refusedAt(await call("PATCH", `/api/v1/users/${userId}?update_mask=`, { name: "After" }), "update_mask");
      expect(violation?.description).to.match(/empty/);
      expect((await call("GET", `/api/v1/users/${userId}`)).json.name).to.equal("Before");
    });

    it("still takes JSON and proto spellings of mask paths", async () => {
      const answer = await call("PATCH", `/api/v1/users/${userId}?update_mask=name,email`, { name: "After", email: "a@example.com" });
      expect(answer.status, JSON.stringify(answer.json)).to.equal(200);
      expect(answer.json.user).to.include({ name: "After", email: "a@example.com" });
    });

    for (const value of ["0x10", "1e1", "16.0", " 16", "+16"]) {
      it(`reads numeric query values in decimal only: page_size=${value} is refused`, async () => {
        expect(refusedAt(await call("GET", `/api/v1/users?page_size=${encodeURIComponent(value)}`), "page_size")).to.have.length(1);
      });
    }

    it("takes page_size=16", async () => {
      expect((await call("GET", "/api/v1/users?page_size=16")).status).to.equal(200);
    });
  });
});
