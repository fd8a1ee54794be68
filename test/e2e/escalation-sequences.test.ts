/**
 * The escalation property over sequences of calls (the invariant of ARCHITECTURE.md, "Rights and access"): an attacker starts with ONE
 * credential of many shapes (each right alone on an admin's and a non-admin's key, narrow admin keys,
 * `*_ALL` keys, sessions, an old secret in its grace period), then makes 1 to 8 calls, each through REST,
 * gRPC, Connect or gRPC-Web (or forward auth), of every RPC of every service, with arguments drawn from a
 * fresh world (another admin, a user, a suspended admin, a user without a password, the attacker's own
 * user and its broader keys, ids to create), sign-ins with any password it chose, and every credential an
 * answer hands out. After every call the stored records are judged (support/escalation-model.ts): no
 * credential held, and no session a chosen password could open, exceeds the start rights; no principal
 * broader than them changed; an old secret in its grace period minted nothing.
 *
 * `npm test` runs a bounded number of sequences with a new seed each time; `npm run test:escalation --
 * --runs N --seed S [--path P] [--shape TEXT]` runs more, replays a failure (its report prints the
 * command), or starts only from some credentials.
 */
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescService } from "@bufbuild/protobuf";
import { expect } from "chai";
import fc from "fast-check";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { PasswordHasher } from "../../src/passwords/password-hasher.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import { expand } from "./support/access-model.js";
import { openDoors, type Doors } from "./support/doors.js";
import { changeProblems, credentialProblems, ChosenPasswords, Names } from "./support/escalation-model.js";
import { runSequence, SequenceViolation, type Harness } from "./support/escalation-run.js";
import { CHOSEN_PASSWORDS, STEP_KINDS, stepArbitrary, type Step } from "./support/escalation-steps.js";
import { ATTACKER_SHAPES, buildWorld, ROLES, WorldReader, type AttackerShape, type Snapshot, type UserRow } from "./support/escalation-world.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

/** Every service in gen/keyward/v1, found by listing the directory: a new proto file is covered too. */
const GEN = fileURLToPath(new URL("../../gen/keyward/v1/", import.meta.url));
const SERVICES: DescService[] = [];
for (const file of readdirSync(GEN).filter((f) => f.endsWith("_pb.ts")).sort()) {
  const module = (await import(join(GEN, file))) as Record<string, unknown>;
  for (const value of Object.values(module)) if ((value as DescService | undefined)?.kind === "service") SERVICES.push(value as DescService);
}
const RPCS = SERVICES.flatMap((s) => s.methods.map((m) => `${s.typeName}.${m.name}`));

const RUNS = Number(process.env["KEYWARD_ESCALATION_RUNS"] ?? 400);
const SEED = process.env["KEYWARD_ESCALATION_SEED"] === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(process.env["KEYWARD_ESCALATION_SEED"]);
const PATH = process.env["KEYWARD_ESCALATION_PATH"];
/** Only the starting credential labelled so, else those whose label contains this text (all when unset). */
const SHAPE = process.env["KEYWARD_ESCALATION_SHAPE"];
const SHAPES = ATTACKER_SHAPES.some((s) => s.label === SHAPE)
  ? ATTACKER_SHAPES.filter((s) => s.label === SHAPE)
  : ATTACKER_SHAPES.filter((s) => SHAPE === undefined || s.label.includes(SHAPE));
/**
 * A sequence run before the random ones, so that the calls that succeed only for a few starting
 * credentials and in order (create a user with a password, sign in with it, change it) are answered OK in
 * every run: an admin's session creates a user with a password, signs in as it, sets its password, and
 * signs in again, over every door.
 */
const PASSWORD_ROUND_TRIP: [AttackerShape, { attackerHasPassword: boolean }, Step[]] = [
  ATTACKER_SHAPES.find((s) => s.label === "session of an admin")!,
  { attackerHasPassword: false },
  [
    { rpc: "keyward.v1.UserRegistry.CreateUser", door: "rest", cred: 0, args: { user: ROLES.indexOf("new-1"), admin: false, password: CHOSEN_PASSWORDS[0], suspended: false } },
    { rpc: "keyward.v1.SessionRegistry.CreateSession", door: "grpc", cred: 0, args: "the last password set" as unknown as Record<string, unknown> },
    { rpc: "keyward.v1.UserRegistry.UpdatePassword", door: "connect", cred: 0, args: { user: ROLES.indexOf("new-1"), current: undefined, next: CHOSEN_PASSWORDS[1], revokeAllSessions: false } },
    { rpc: "keyward.v1.SessionRegistry.CreateSession", door: "grpc-web", cred: 0, args: "the last password set" as unknown as Record<string, unknown> },
  ],
];

/**
 * Likewise for tenants, which only a start holding RIGHT_ADMIN_TENANTS may manage: an admin's session
 * makes a tenant, reads it, renames tenant A, creates a user in the new tenant, fails to delete it while
 * the user is there, deletes the user and then the tenant, over every door.
 */
const TENANT_ROUND_TRIP: [AttackerShape, { attackerHasPassword: boolean }, Step[]] = [
  ATTACKER_SHAPES.find((s) => s.label === "session of an admin")!,
  { attackerHasPassword: false },
  [
    { rpc: "keyward.v1.TenantRegistry.CreateTenant", door: "rest", cred: 0, args: { tenant: "new" } },
    { rpc: "keyward.v1.TenantRegistry.GetTenant", door: "grpc", cred: 0, args: { tenant: "new" } },
    { rpc: "keyward.v1.TenantRegistry.UpdateTenant", door: "connect", cred: 0, args: { tenant: "A" } },
    { rpc: "keyward.v1.UserRegistry.CreateUser", door: "grpc-web", cred: 0, args: { user: ROLES.indexOf("new-2"), admin: true, password: undefined, suspended: false, tenant: "new" } },
    { rpc: "keyward.v1.TenantRegistry.DeleteTenant", door: "rest", cred: 0, args: { tenant: "new" } },
    { rpc: "keyward.v1.UserRegistry.DeleteUser", door: "grpc", cred: 0, args: { user: ROLES.indexOf("new-2") } },
    { rpc: "keyward.v1.TenantRegistry.DeleteTenant", door: "connect", cred: 0, args: { tenant: "new" } },
  ],
];

/**
 * And for events and webhooks (ARCHITECTURE.md, "Events"): an admin's session lists and streams events,
 * creates a webhook, and reads, changes, tests and deletes the webhooks of each scope, over every door.
 */
const EVENTS_ROUND_TRIP: [AttackerShape, { attackerHasPassword: boolean }, Step[]] = [
  ATTACKER_SHAPES.find((s) => s.label === "session of an admin")!,
  { attackerHasPassword: false },
  [
    { rpc: "keyward.v1.EventRegistry.ListEvents", door: "rest", cred: 0, args: { user: -1 } },
    { rpc: "keyward.v1.EventRegistry.StreamEvents", door: "connect", cred: 0, args: { user: ROLES.indexOf("user") } },
    { rpc: "keyward.v1.WebhookRegistry.CreateWebhook", door: "grpc", cred: 0, args: {} },
    { rpc: "keyward.v1.WebhookRegistry.GetWebhook", door: "grpc", cred: 0, args: { scope: "system" } },
    { rpc: "keyward.v1.WebhookRegistry.UpdateWebhook", door: "connect", cred: 0, args: { scope: "A" } },
    { rpc: "keyward.v1.WebhookRegistry.TestWebhook", door: "grpc-web", cred: 0, args: { scope: "B" } },
    { rpc: "keyward.v1.WebhookRegistry.DeleteWebhook", door: "rest", cred: 0, args: { scope: "system" } },
  ],
];

/**
 * And for new keys, which a metered start may never create (the metered rule), so that a run whose random
 * starts are mostly metered or narrow still creates one: an admin's session gives the user a key with a
 * rate limit and one with uses and a refill.
 */
const KEY_ROUND_TRIP: [AttackerShape, { attackerHasPassword: boolean }, Step[]] = [
  ATTACKER_SHAPES.find((s) => s.label === "session of an admin")!,
  { attackerHasPassword: false },
  [
    { rpc: "keyward.v1.ApiKeyRegistry.CreateApiKey", door: "rest", cred: 0, args: { user: ROLES.indexOf("user"), rights: [Right.USER_INFO], expires: false, loopbackOnly: false, limits: "rate limit" } },
    { rpc: "keyward.v1.ApiKeyRegistry.CreateApiKey", door: "grpc", cred: 0, args: { user: ROLES.indexOf("user"), rights: [Right.USER_INFO], expires: true, loopbackOnly: false, limits: "uses with a refill" } },
  ],
];

/** The fixture users' password: the test knows it, the attacker never learns it. */
const FIXTURE_PASSWORD = "a fixture password the attacker never learns";

describe("e2e: no sequence of calls escalates (every RPC, door and starting credential, judged after every call)", function () {
  this.timeout(120_000 + RUNS * 2_000);
  let server: ServerProcess;
  let doors: Doors;
  let store: SqliteStore;
  let harness: Harness;

  before(async () => {
    // Sign-ins must not be throttled away: the property counts on every chosen password being tried.
    server = await startServer({ args: ["--login-free-failures", "1000000", "--login-free-failures-per-address", "1000000", "--max-event-streams-per-client", "100"] });
    issuedKeys.add(server.adminKey());
    doors = openDoors(server.httpUrl, server.grpcAddress);
    store = openSqliteStore(join(server.dataDir, "keyward.db"));
    harness = {
      store,
      reader: new WorldReader(join(server.dataDir, "keyward.db")),
      doors,
      httpUrl: server.httpUrl,
      fixturePassword: { hash: await new PasswordHasher().hash(FIXTURE_PASSWORD), setAt: new Date() },
      stats: { sequences: 0, calls: 0, answeredOk: new Map() },
    };
  });

  after(async () => {
    doors?.close();
    harness?.reader.close();
    await store?.close();
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  it("has a step generator for every RPC of every service (a new RPC fails here until it has one)", () => {
    const generated = Object.keys(STEP_KINDS).filter((name) => !name.startsWith("/"));
    expect(RPCS.filter((rpc) => !generated.includes(rpc)), "RPCs without a step generator: add them to STEP_KINDS").to.deep.equal([]);
    expect(generated.filter((name) => !RPCS.includes(name)), "step generators for RPCs that no longer exist").to.deep.equal([]);
  });

  describe("the judge flags what the invariant forbids (so the property can fail)", () => {
    /** A world with its first snapshot, and a way to make a second one with changes. */
    async function judged(change: (s: Snapshot, w: Awaited<ReturnType<typeof buildWorld>>) => Snapshot, credentialRights = [Right.ADMIN_USERS_WRITE]) {
      const shape = { label: "test", admin: true, credential: "key" as const, rights: credentialRights };
      const world = await buildWorld(store, shape, { attackerHasPassword: false }, harness.fixturePassword);
      const before = harness.reader.snapshot(world);
      const after = change(before, world);
      const names = new Names(world);
      const start = new Set<number>(credentialRights);
      return { before, after, world, names, start };
    }
    const withUser = (s: Snapshot, userId: string, edit: (u: UserRow) => UserRow): Snapshot => ({
      ...s,
      users: new Map([...s.users].map(([id, u]) => [id, id === userId ? edit(u) : u])),
    });

    it("another admin's password set by a {ADMIN_USERS_WRITE} key: a broader principal changed, and a sign-in would hold every right", async () => {
      const { before, after, world, names, start } = await judged((s, w) => {
        const admin = w.userIds["other-admin"];
        return withUser(s, admin, (u) => ({ ...u, password_hash: harness.fixturePassword.hash.replace(/.$/, "x") }));
      });
      const call = { caller: { rights: start, owner: world.userIds.attacker, grace: false }, method: UserRegistry.method.updatePassword };
      expect(changeProblems(before, after, call, start, world, names).join("\n")).to.match(/changed other-admin \(password\).*beyond the start rights/);
      const passwords = new ChosenPasswords();
      passwords.choose(FIXTURE_PASSWORD);
      const signIn = await credentialProblems(before, [], passwords, start, names, () => "the chosen password");
      expect(signIn.join("\n")).to.match(/sign-in as other-admin with the chosen password.*would hold \{USER_INFO,.*,ALL,ADMIN_TENANTS,.*ADMIN_WEBHOOKS\}/);
    });

    it("an old secret in its grace period that regenerates its key, or sets a password, breaks the grace rule", async () => {
      const { before, after, world, names, start } = await judged((s, w) => {
        const key = w.keys[0]!.id;
        const changed = withUser(s, w.userIds.attacker, (u) => ({ ...u, password_hash: "$argon2id$changed" }));
        return { ...changed, keys: new Map([...s.keys].map(([id, k]) => [id, id === key ? { ...k, secret_hash: "sha256:new" } : k])) };
      }, [Right.ALL]);
      const call = { caller: { rights: start, owner: world.userIds.attacker, grace: true }, method: UserRegistry.method.updatePassword };
      const problems = changeProblems(before, after, call, start, world, names).join("\n");
      expect(problems).to.match(/grace period touched attacker's start key \{ALL\} \(changed secret_hash\)/);
      expect(problems).to.match(/grace period set the password of attacker/);
    });

    it("tenant A's admin reaching a user of tenant B or of the system, or holding a credential of one, breaks the scope invariant", async () => {
      const shape = { label: "test", admin: true, credential: "key" as const, rights: [Right.ALL], inTenant: true };
      const world = await buildWorld(store, shape, { attackerHasPassword: false }, harness.fixturePassword);
      const before = harness.reader.snapshot(world);
      const names = new Names(world);
      names.learn(before);
      // The universe of tenant B's user lies within the start rights: only the scope rule catches this.
      const after = withUser(before, world.userIds["b-user"], (u) => ({ ...u, name: "renamed" }));
      const start = new Set<number>([Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS, Right.USER_DELETE, Right.USER_EVENTS_READ, Right.USER_ALL, Right.ADMIN_USERS_WRITE]);
      const call = { caller: { rights: start, owner: world.userIds.attacker, grace: false }, method: UserRegistry.method.updateUser };
      expect(changeProblems(before, after, call, start, world, names).join("\n")).to.match(/reached b-user outside tenant A/);
      const withinA = withUser(before, world.userIds["a-user"], (u) => ({ ...u, name: "renamed" }));
      expect(changeProblems(before, withinA, call, start, world, names)).to.deep.equal([]);
      const bKey = [...before.keys.values()].find((k) => k.user_id === world.userIds["b-user"])!;
      const stolen = { label: "b-user's key", token: "", kind: "key" as const, id: bKey.id, secret: "" };
      const keys = new Map(before.keys);
      const fresh = "a-known-secret";
      keys.set(bKey.id, { ...bKey, secret_hash: `sha256:${createHash("sha256").update(fresh).digest("base64url")}` });
      const held = await credentialProblems({ ...before, keys }, [{ ...stolen, secret: fresh }], new ChosenPasswords(), start, names, () => "", world);
      expect(held.join("\n")).to.match(/b-user's key acts as b-user, outside tenant A/);
      const renamedTenant = { ...before, tenants: new Map([...before.tenants].map(([id, t]) => [id, { ...t, name: "x" }])) };
      expect(changeProblems(before, renamedTenant, call, start, world, names).join("\n")).to.match(/changed tenant .* without RIGHT_ADMIN_TENANTS/);
    });

    it("a metered key creating a key, regenerating another, setting a password or loosening a limit breaks the metered rule; rotating itself does not", async () => {
      const { before, world, names } = await judged((s) => s, [Right.ALL]);
      const start = new Set(expand([Right.ALL]));
      names.learn(before);
      const [own, other] = [world.keys[0]!.id, world.keys[1]!.id];
      const tight = [...before.keys.values()].find((k) => k["remaining_uses"] === 50)!;
      const edit = (edits: Record<string, Record<string, unknown>>): Snapshot => ({
        ...before,
        at: before.at + 1,
        keys: new Map([...before.keys].map(([id, k]) => [id, edits[id] ? ({ ...k, ...edits[id] } as typeof k) : k])),
      });
      const metered = { rights: start, owner: world.userIds.attacker, grace: false, keyId: own, metered: true };
      const call = { caller: metered, method: ApiKeyRegistry.method.updateApiKey };
      const judge = (after: Snapshot) => changeProblems(before, after, call, start, world, names).join("\n");
      expect(judge(edit({ [other]: { secret_hash: "sha256:new" } }))).to.match(/a metered key regenerated attacker's key \{ALL\}/);
      expect(judge(edit({ [tight.id]: { rate_limit_requests: null, rate_limit_period_ms: null } }))).to.match(/removed or raised its rate limit|rate limit/);
      expect(judge(edit({ [tight.id]: { rate_limit_requests: 10, rate_limit_period_ms: 59_999 } }))).to.match(/a metered key removed or raised the limits of .*metered/);
      // A new count (a new `refilled_at`) may not rise at all; within one count, by no more than one lease given back.
      expect(judge(edit({ [tight.id]: { remaining_uses: 51, refilled_at: (tight["refilled_at"] as number) + 1 } }))).to.match(/uses \(50 → 51\)/);
      expect(judge(edit({ [tight.id]: { remaining_uses: 151 } }))).to.match(/uses \(50 → 151\)/);
      expect(judge(edit({ [tight.id]: { remaining_uses: 51 } }))).to.equal("");
      expect(judge(edit({ [tight.id]: { refill_amount: 51 } }))).to.match(/added or raised the limits of/);
      // Lowering, and rotating itself, are allowed.
      expect(judge(edit({ [tight.id]: { remaining_uses: 49, rate_limit_requests: 9 } }))).to.equal("");
      expect(judge(edit({ [own]: { secret_hash: "sha256:rotated", updated_at: 1 } }))).to.equal("");
      const created = new Map(before.keys).set("NEWKEY", { ...before.keys.get(own)!, id: "NEWKEY" });
      expect(judge({ ...before, keys: created })).to.match(/a metered key created/);
      const passwordSet = withUser(before, world.userIds.attacker, (u) => ({ ...u, password_hash: "$argon2id$chosen" }));
      expect(judge(passwordSet)).to.match(/a metered key set the password of attacker/);
      // The same changes by an unmetered {ALL} key are no escalation.
      const free = { caller: { ...metered, metered: false }, method: ApiKeyRegistry.method.updateApiKey };
      expect(changeProblems(before, edit({ [tight.id]: { remaining_uses: 51 } }), free, start, world, names)).to.deep.equal([]);
    });

    it("creating a plain user, or changing a user within the start rights, is no escalation", async () => {
      const start = new Set<number>([Right.USER_ALL, Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS, Right.USER_DELETE, Right.USER_EVENTS_READ, Right.ADMIN_USERS_WRITE]);
      const { before, world, names } = await judged((s) => s, [...start]);
      const plainUser = world.userIds.user;
      const after = withUser(before, plainUser, (u) => ({ ...u, name: "renamed", password_hash: "$argon2id$changed" }));
      const call = { caller: { rights: start, owner: world.userIds.attacker, grace: false }, method: UserRegistry.method.updateUser };
      expect(changeProblems(before, after, call, start, world, names)).to.deep.equal([]);
    });
  });

  describe("the property", () => {
    it(`finds no escalation in ${RUNS} random sequences of 1 to 8 calls${SHAPE === undefined ? "" : ` starting from ${SHAPES.length} credential(s) like "${SHAPE}"`}`, async () => {
      expect(SHAPES.length, `starting credentials whose label contains "${SHAPE}"`).to.be.greaterThan(0);
      const property = fc.asyncProperty(
        fc.constantFrom(...SHAPES),
        fc.record({ attackerHasPassword: fc.boolean() }),
        fc.array(stepArbitrary, { minLength: 1, maxLength: 8 }),
        (shape, options, steps) => runSequence(harness, shape, options, steps),
      );
      const started = Date.now();
      const examples = SHAPE === undefined && PATH === undefined ? [PASSWORD_ROUND_TRIP, TENANT_ROUND_TRIP, EVENTS_ROUND_TRIP, KEY_ROUND_TRIP] : [];
      const details = await fc.check(property, { numRuns: RUNS, seed: SEED, examples, ...(PATH === undefined ? {} : { path: PATH }) });
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const { sequences, calls, answeredOk } = harness.stats;
      console.log(`      escalation: ${sequences} sequences, ${calls} calls in ${seconds} s (seed ${SEED}${PATH === undefined ? "" : `, path ${PATH}`})`);
      if (details.failed) {
        const error = details.errorInstance;
        const [shape, options, steps] = details.counterexample!;
        const escalation = error instanceof SequenceViolation;
        const replay = `npm run test:escalation -- --seed ${details.seed} --path ${details.counterexamplePath}${SHAPE === undefined ? "" : ` --shape '${SHAPE}'`}`;
        expect.fail(
          `${escalation ? "escalation found" : "the property failed, not on the invariant (the harness or server threw)"} after ${details.numRuns} sequence(s), ` +
            `shrunk ${details.numShrinks} time(s) to ${escalation ? error.calls : steps.length} call(s) (seed ${details.seed}, path ${details.counterexamplePath}; replay: ${replay}):\n` +
            `  start: ${shape.label}, attacker has a password: ${options.attackerHasPassword}\n` +
            (escalation ? error.message : `    ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
        );
      }
      // A property whose calls were all refused proves little: every RPC must have been answered OK.
      if (PATH === undefined && SHAPE === undefined) expect(RPCS.filter((rpc) => !answeredOk.has(rpc)), "RPCs never answered OK in the whole run").to.deep.equal([]);
    });
  });
});
