/**
 * Guards that span records, raced across two real server processes on one SQLite file (ARCHITECTURE.md, "Rights and access"): the
 * last active admin, and the per-user key cap. Each side's call goes to a different process at the same
 * moment, so only a decision made inside the store's write transaction can hold.
 */
import { join } from "node:path";
import { expect } from "chai";
import { newApiKey } from "../../src/services/new-api-key.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

const ROUNDS = 100;

describe("e2e: guards across two processes on one SQLite file", function () {
  this.timeout(120_000);
  let first: ServerProcess;
  let second: ServerProcess;
  let store: SqliteStore;
  let sequence = 0;

  before(async () => {
    first = await startServer({ args: ["--max-api-keys-per-user", "10"] });
    second = await startServer({ dataDir: first.dataDir, args: ["--max-api-keys-per-user", "10"] });
    issuedKeys.add(first.adminKey());
    store = openSqliteStore(join(first.dataDir, "keyward.db"));
  });

  after(async () => {
    await store?.close();
    const codes = await Promise.all([second?.stop(), first?.stop()]);
    expect(codes).to.deep.equal([0, 0]);
    removeDataDir(first.dataDir);
  });

  /** A new active admin with a RIGHT_ALL key, written straight into the shared file. */
  async function newAdmin(): Promise<{ userId: string; key: string }> {
    const now = new Date();
    const userId = `race-${process.pid}-${++sequence}`;
    await store.createUser({ userId, name: "", email: "", admin: true, state: "active", createdAt: now, updatedAt: now });
    const made = newApiKey({ userId, name: "race", rights: [Right.ALL], now });
    await store.createApiKey(made.record, { maxKeysPerUser: 10 });
    issuedKeys.add(made.key);
    return { userId, key: made.key };
  }

  const call = (server: ServerProcess, key: string, method: string, path: string, body?: unknown) =>
    fetch(`${server.httpUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as { details?: { reason?: string }[] } }));

  async function activeAdmins(): Promise<string[]> {
    const page = await store.listUsers({ pageSize: 1000, pageToken: "" });
    return page.items.filter((u) => u.admin && u.state === "active").map((u) => u.userId);
  }

  const variants = {
    "demote each other": (self: string, other: string) => ["PATCH", `/api/v1/users/${other}`, { admin: false }] as const,
    "suspend each other": (self: string, other: string) => ["PATCH", `/api/v1/users/${other}`, { state: "USER_STATE_SUSPENDED" }] as const,
    "delete each other": (self: string, other: string) => ["DELETE", `/api/v1/users/${other}`, undefined] as const,
    "each demote itself": (self: string) => ["PATCH", `/api/v1/users/${self}`, { admin: false }] as const,
  };

  for (const [variant, request] of Object.entries(variants)) {
    it(`keeps an active admin when the last two ${variant}, one on each process (${ROUNDS} rounds)`, async () => {
      // Leave exactly two active admins: a survivor of the previous rounds and a newcomer.
      let survivor = await newAdmin();
      for (const userId of await activeAdmins()) {
        if (userId !== survivor.userId) await store.updateUser(userId, (u) => ({ ...u, admin: false }));
      }
      const bothAllowed: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        const newcomer = await newAdmin();
        const pair = [survivor, newcomer];
        const answers = await Promise.all(
          pair.map((admin, i) => {
            const [method, path, body] = request(admin.userId, pair[1 - i]!.userId);
            return call(i === 0 ? first : second, admin.key, method, path, body);
          }),
        );
        const left = await activeAdmins();
        expect(left.length, `round ${round}: active admins left (answers ${answers.map((a) => a.status)})`).to.equal(1);
        if (answers.every((a) => a.status === 200)) bothAllowed.push(round);
        for (const answer of answers.filter((a) => a.status !== 200)) {
          // Refused by the guard, or, when the other side's change came first, by the caller's own lost rights.
          expect([400, 401, 403], JSON.stringify(answer.body)).to.include(answer.status);
        }
        survivor = pair.find((admin) => left.includes(admin.userId))!;
      }
      expect(bothAllowed, "rounds where both calls were allowed").to.deep.equal([]);
    });
  }

  it("lets no more keys through the per-user cap than it allows, with creates on both processes", async () => {
    for (let round = 0; round < 5; round++) {
      const owner = await newAdmin(); // holds 1 of the cap of 10
      const creates = Array.from({ length: 20 }, (_, i) =>
        call(i % 2 === 0 ? first : second, owner.key, "POST", `/api/v1/users/${owner.userId}/api-keys`, { name: `k${i}`, rights: ["RIGHT_USER_INFO"] }),
      );
      const answers = await Promise.all(creates);
      const created = answers.filter((a) => a.status === 200);
      const capped = answers.filter((a) => a.status === 429 && a.body.details?.some((d) => d.reason === "API_KEY_LIMIT_REACHED"));
      expect(created, `round ${round}`).to.have.length(9);
      expect(capped, `round ${round}`).to.have.length(11);
      expect(await store.countApiKeys(owner.userId)).to.equal(10);
    }
  });
});
