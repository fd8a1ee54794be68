// The one session-liveness rule: the verifier's refusal, the answer's end and the store's live filter
// agree on every session, at the boundaries of both the idle and the absolute end.
import { expect } from "chai";
import { liveSessionsAt, sessionEnd } from "../../src/authn/session-lifetime.js";
import { ApiKeyVerifier } from "../../src/authn/verifier.js";
import { generateKey, hashSecret } from "../../src/keys/index.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { SessionRecord } from "../../src/store/store.js";
import { outcomeOf } from "../support/error-reasons.js";

const NOW = Date.UTC(2025, 5, 1, 12, 0, 0, 321);
const IDLE = 60_000;

describe("session lifetime", () => {
  let store: SqliteStore;

  beforeEach(async () => {
    store = openSqliteStore(":memory:");
    const created = new Date(NOW - 86_400_000);
    await store.createUser({ userId: "sam", name: "Sam", email: "sam@example.com", admin: false, state: "active", createdAt: created, updatedAt: created });
  });

  afterEach(() => store.close());

  it("ends at the earlier of the idle end and the absolute end, counting a use not stored yet", () => {
    const session = { lastUsedAt: new Date(NOW), expiresAt: new Date(NOW + 10 * IDLE) } as SessionRecord;
    expect(sessionEnd(session, IDLE)).to.equal(NOW + IDLE);
    expect(sessionEnd(session, IDLE, NOW + 5_000)).to.equal(NOW + 5_000 + IDLE);
    expect(sessionEnd(session, IDLE, NOW - 5_000)).to.equal(NOW + IDLE);
    expect(sessionEnd(session, 100 * IDLE)).to.equal(NOW + 10 * IDLE);
  });

  it("lists exactly the sessions the verifier still accepts, at each boundary", async () => {
    // Last uses and absolute ends one millisecond either side of the ends at NOW.
    const shapes = [
      { lastUsed: NOW - IDLE - 1, expires: NOW + IDLE },
      { lastUsed: NOW - IDLE, expires: NOW + IDLE },
      { lastUsed: NOW - IDLE + 1, expires: NOW + IDLE },
      { lastUsed: NOW - 1, expires: NOW - 1 },
      { lastUsed: NOW - 1, expires: NOW },
      { lastUsed: NOW - 1, expires: NOW + 1 },
    ];
    const tokens = new Map<string, string>();
    for (const shape of shapes) {
      const token = generateKey(undefined, "session");
      const record: SessionRecord = {
        id: token.id,
        userId: "sam",
        secretHash: hashSecret(token.secret),
        createdAt: new Date(NOW - 2 * IDLE),
        expiresAt: new Date(shape.expires),
        lastUsedAt: new Date(shape.lastUsed),
        userAgent: "",
        address: "",
      };
      await store.createSession(record);
      tokens.set(record.id, token.key);
    }
    const verifier = new ApiKeyVerifier(store, { cacheTtlMs: 0, cacheSize: 10, negativeTtlMs: 0, sessionIdleMs: IDLE, now: () => NOW });
    const accepted: string[] = [];
    for (const [id, token] of tokens) {
      const outcome = await outcomeOf(verifier.verify(token));
      if (outcome === "ok") accepted.push(id);
      else expect(outcome).to.equal("SESSION_EXPIRED");
    }
    const listed = await store.listSessions("sam", { pageSize: 100, pageToken: "", live: liveSessionsAt(NOW, IDLE) });
    expect(listed.items.map((s) => s.id).sort()).to.deep.equal(accepted.sort());
    expect(accepted).to.have.length(2);
  });
});
