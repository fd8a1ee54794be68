/**
 * The authorization matrix: every RPC of every Keyward service, generated from the descriptors, called
 * over REST and gRPC on a real server by callers of many shapes (each single right and each `*_ALL` held
 * by an admin and by a non-admin, narrow admin keys, suspended owners, keys called with their old secret
 * during a regenerate's grace period, a few combinations), on many subjects (one's own user, another
 * user, another admin, another user's key id under one's own path) and target keys narrower than, equal
 * to, broader than and the widest of the caller; user methods in every way that changes a user (create
 * with a password or as an admin, profile, promote or demote, suspend, reactivate, delete, password with
 * and without the current one or a first one, ending a session). Each answer is compared with the
 * reference model (support/access-model.ts, written from ARCHITECTURE.md, "Rights and access" without src/rights), and every refusal
 * must leave the stored records as they were. A method without an access rule, or without a request
 * below, fails the run, so a new RPC is covered the day it is added.
 *
 * Fixtures are written straight into the server's SQLite file (a second connection, as another node
 * would): fresh users and keys for every case, so cases never see each other's changes, and keys whose
 * rights lie outside their owner's universe (an admin's keys after a demotion) can exist.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { DescMessage, DescMethod, DescMethodServerStreaming, DescMethodUnary, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { getOption, hasOption } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { expect } from "chai";
import { ApiKeyRegistry, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { Right, access } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry, UserState } from "../../gen/keyward/v1/user_pb.js";
import { PasswordHasher } from "../../src/passwords/password-hasher.js";
import { generateKey, hashSecret } from "../../src/keys/index.js";
import { newApiKey } from "../../src/services/new-api-key.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { ApiKeyRecord, PasswordRecord, UserRecord, WebhookRecord } from "../../src/store/store.js";
import { ALL_RIGHTS, expand, expectedAnswer, rightName, type Expectation, type UserChange } from "./support/access-model.js";
import { firstOfStream, openDoors, type Doors, type Outcome } from "./support/doors.js";
import { writeSession } from "./support/fixture-session.js";
import { callRest } from "./support/rest-door.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

/** Every service in gen/keyward/v1, found by listing the directory: a new proto file is covered too. */
const GEN = fileURLToPath(new URL("../../gen/keyward/v1/", import.meta.url));
const SERVICES: DescService[] = [];
for (const file of readdirSync(GEN).filter((f) => f.endsWith("_pb.ts")).sort()) {
  const module = (await import(join(GEN, file))) as Record<string, unknown>;
  for (const value of Object.values(module)) if ((value as DescService | undefined)?.kind === "service") SERVICES.push(value as DescService);
}
const METHODS: DescMethod[] = SERVICES.flatMap((s) => s.methods);

type Door = "rest" | "grpc" | "connect";
const DOORS: readonly Door[] = ["rest", "grpc"];
/** The doors a method is called on: REST and gRPC; a server stream (no REST route) Connect's streaming and gRPC. */
const doorsOf = (method: DescMethod): readonly Door[] => (method.methodKind === "server_streaming" ? ["connect", "grpc"] : DOORS);

/** Who calls: the owner's kind, the calling key's rights, and which of its secrets it uses. */
interface CallerShape {
  readonly label: string;
  readonly admin: boolean;
  readonly suspended: boolean;
  readonly rights: readonly number[];
  /** Calls with the key's old secret, still accepted during a regenerate's grace period (the grace rule). */
  readonly superseded: boolean;
  /** Lives in tenant A (ARCHITECTURE.md, "Tenants"); a system user otherwise. */
  readonly inTenant: boolean;
}

/** Where a case's users live: the system, or one of the two tenants every run creates. */
type Place = "system" | "A" | "B";
const TENANT_IDS: Record<Exclude<Place, "system">, string> = { A: `mx-a-${process.pid}`, B: `mx-b-${process.pid}` };
const tenantOf = (place: Place): string | undefined => (place === "system" ? undefined : TENANT_IDS[place]);
/** A stored user as the model's owner. */
const asOwner = (user: UserRecord) => ({ userId: user.userId, admin: user.admin, tenant: user.tenantId });

const short = (rights: readonly number[]) => `{${rights.map((r) => rightName(r).replace(/^RIGHT_/, "")).join(",")}}`;
const shape = (admin: boolean, rights: number[], how: { suspended?: boolean; superseded?: boolean; inTenant?: boolean } = {}): CallerShape => ({
  label: `${how.inTenant ? "tenant A's " : ""}${how.suspended ? "suspended " : ""}${admin ? "admin" : "user"}${short(rights)}${how.superseded ? " by its old secret" : ""}`,
  admin,
  suspended: how.suspended ?? false,
  rights,
  superseded: how.superseded ?? false,
  inTenant: how.inTenant ?? false,
});

/**
 * Each right alone, for a non-admin (admin rights then lie outside its universe, as after a demotion) and an
 * admin; narrow admin keys that cover a non-admin's universe but not an admin's; suspended owners; and
 * keys called with their old secret during a regenerate's grace period.
 */
const CALLERS: readonly CallerShape[] = [
  ...[false, true].flatMap((admin) => ALL_RIGHTS.map((right) => shape(admin, [right]))),
  shape(false, [Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]),
  shape(true, [Right.ADMIN_API_KEYS, Right.USER_SETTINGS_API_KEYS]),
  // A provisioning key: manages the keys of users whose universe it holds (non-admins), not admins'.
  shape(true, [Right.ADMIN_API_KEYS, Right.USER_ALL]),
  shape(true, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]),
  shape(true, [Right.ADMIN_ALL, Right.USER_ALL]),
  shape(false, [Right.USER_ALL], { suspended: true }),
  shape(true, [Right.ALL], { suspended: true }),
  shape(false, [Right.USER_ALL], { superseded: true }),
  shape(true, [Right.ALL], { superseded: true }),
  // Tenant A's users: its admin with every admin right alone and with the broad and narrow admin keys, a
  // plain user, and the suspended and superseded cases (ARCHITECTURE.md, "Tenants").
  ...[Right.ALL, Right.ADMIN_USERS_READ, Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS, Right.ADMIN_TENANTS].map((right) =>
    shape(true, [right], { inTenant: true }),
  ),
  shape(true, [Right.ADMIN_API_KEYS, Right.USER_ALL], { inTenant: true }),
  shape(true, [Right.ADMIN_USERS_WRITE, Right.USER_ALL], { inTenant: true }),
  shape(true, [Right.ADMIN_ALL, Right.USER_ALL], { inTenant: true }),
  shape(false, [Right.USER_ALL], { inTenant: true }),
  shape(false, [Right.ALL], { inTenant: true }),
  shape(true, [Right.ALL], { suspended: true, inTenant: true }),
  shape(true, [Right.ALL], { superseded: true, inTenant: true }),
];

/** System callers also tried on users of tenant A: the broad and the narrow admin keys. */
const SYSTEM_CALLERS_ON_TENANTS = new Set(
  [
    shape(true, [Right.ALL]),
    shape(true, [Right.ADMIN_ALL, Right.USER_ALL]),
    shape(true, [Right.ADMIN_API_KEYS, Right.USER_ALL]),
    shape(true, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]),
    shape(true, [Right.ADMIN_TENANTS]),
  ].map((c) => c.label),
);

/** `everyone`: a method whose user field may be empty (`optional_user_field`), called without it. */
type SubjectKind = "own" | "other user" | "other admin" | "own path, other user's key" | "none" | "everyone";
type TargetKind = "narrower" | "equal" | "broader" | "widest";
const TARGET_KINDS: readonly TargetKind[] = ["narrower", "equal", "broader", "widest"];

/** A key's rights relative to the caller's; undefined when no such set exists (a single concrete right has nothing narrower). */
function targetRights(kind: TargetKind, caller: readonly number[], ownerAdmin: boolean): number[] | undefined {
  const held = expand(caller);
  const sameSet = (rights: readonly number[]) => {
    const other = expand(rights);
    return other.size === held.size && [...other].every((r) => held.has(r));
  };
  switch (kind) {
    case "equal":
      return [...caller];
    case "narrower": {
      const inner = [...held].sort((a, b) => a - b).find((r) => expand([r]).size < held.size);
      return inner === undefined ? undefined : [inner];
    }
    case "broader": {
      const extra = ALL_RIGHTS.find((r) => !held.has(r));
      return extra === undefined ? undefined : [...caller, extra];
    }
    case "widest": {
      const widest = [ownerAdmin ? Right.ALL : Right.USER_ALL];
      return sameSet(widest) ? undefined : widest;
    }
  }
}

/** The stored world of one case. */
interface World {
  readonly caller: UserRecord & { readonly keyRights: readonly number[]; readonly key: string };
  /** The user the request's path or user field names. */
  readonly pathUserId: string;
  /** The owner of `target` (differs from the path's user for "own path, other user's key"). */
  readonly targetOwner: UserRecord | undefined;
  readonly target: ApiKeyRecord | undefined;
  /** Rights a create asks for. */
  readonly grant: readonly number[] | undefined;
  /** A user id no one has, for CreateUser. */
  readonly newUserId: string;
  /** A tenant of its own, for the TenantRegistry methods (made only for them), and an id no tenant has. */
  readonly tenantId: string;
  readonly newTenantId: string;
  readonly subject: UserRecord | undefined;
  /** For CreateSession: an active user with {@link MATRIX_PASSWORD}, unrelated to the caller (the method is public). */
  readonly signInUserId: string;
  /** For DeleteSession: a session of the path's user. */
  readonly sessionId: string | undefined;
  /** For WebhookRegistry: a webhook of the variant's scope. */
  readonly webhook: WebhookRecord | undefined;
}

/** Every user the matrix makes has this password, hashed once (argon2 per user would take minutes). */
const MATRIX_PASSWORD = "matrix password, 12+ characters";
let matrixPassword: PasswordRecord | undefined;

/** One way to call an RPC, and what the model must know about it. */
interface Variant {
  readonly name: string;
  readonly request: (w: World) => MessageInitShape<DescMessage>;
  /** Touches the target key (key-access rule). */
  readonly touchesKey?: boolean;
  /** Gives or takes rights (grant rule). */
  readonly grants?: (w: World) => { before: readonly number[]; after: readonly number[]; ownerAdmin: boolean };
  /** Changes a user (user-access rule). */
  readonly changesUser?: (w: World) => UserChange;
  /** Issues a credential (a key, a secret, added rights) for this user (user-access rule); undefined: none. */
  readonly issuesFor?: (w: World) => { userId: string; admin: boolean } | undefined;
  /** The subject (unless it is the caller) starts suspended. */
  readonly subjectSuspended?: boolean;
  /** The subject (the caller too, on its own user) has no password yet. */
  readonly subjectWithoutPassword?: boolean;
  /** The tenant the request names, if any. */
  readonly namesTenant?: (w: World) => string | undefined;
  /** For WebhookRegistry: where the webhook the call names lives (the caller's own scope, tenant B's, the system's). */
  readonly webhookIn?: "own scope" | "B" | "system";
}

/** How each RPC is called. `target` says whether the case needs an existing key, rights to grant, or neither. */
interface RpcSpec {
  readonly target: "key" | "grant" | "none";
  readonly variants: readonly Variant[];
}

const DAY = 86_400_000;
const inDays = (days: number) => ({ seconds: BigInt(Math.floor((Date.now() + days * DAY) / 1000)), nanos: 0 });
const keyPath = (w: World) => ({ userId: w.pathUserId, keyId: w.target!.id });
/** A change of the case's subject that keeps its admin flag and mints nothing; variants override what differs. */
const userChange = (w: World): UserChange => ({
  userId: w.pathUserId,
  adminBefore: w.subject!.admin,
  adminAfter: w.subject!.admin,
  tenant: w.subject!.tenantId,
  adminOrState: false,
  mintsCredential: false,
});

const SPECS: Record<string, RpcSpec> = {
  "keyward.v1.UserRegistry.CreateUser": {
    target: "none",
    variants: (
      [
        ["", {}, undefined],
        ["with a password", { password: MATRIX_PASSWORD }, undefined],
        ["as an admin", { admin: true }, undefined],
        ["as an admin with a password", { admin: true, password: MATRIX_PASSWORD }, undefined],
        ["in tenant A", {}, "A"],
        ["in tenant B", {}, "B"],
        ["as an admin of tenant B", { admin: true }, "B"],
      ] as const
    ).map(([name, fields, named]): Variant => {
      const admin = "admin" in fields;
      const mints = admin || "password" in fields;
      const tenantId = named === undefined ? undefined : TENANT_IDS[named];
      // Where the new user lands: the caller's tenant, whatever it names; else the tenant named.
      const landsIn = (w: World) => w.caller.tenantId ?? tenantId;
      return {
        name,
        request: (w) => ({ user: { userId: w.newUserId, name: "made by the matrix", ...fields, ...(tenantId ? { tenantId } : {}) } }),
        namesTenant: () => tenantId,
        // A plain user is no credential: creating it changes no one in the user-access rule's sense.
        ...(mints
          ? {
              changesUser: (w: World) => ({
                userId: w.newUserId,
                adminBefore: undefined,
                adminAfter: admin,
                tenant: landsIn(w),
                adminOrState: false,
                mintsCredential: true,
              }),
            }
          : {}),
      };
    }),
  },
  "keyward.v1.UserRegistry.GetUser": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId }) }] },
  "keyward.v1.UserRegistry.ListUsers": {
    target: "none",
    variants: [
      { name: "", request: () => ({ pageSize: 1 }) },
      { name: "of tenant B", request: () => ({ pageSize: 1, tenantId: TENANT_IDS.B }), namesTenant: () => TENANT_IDS.B },
    ],
  },
  "keyward.v1.UserRegistry.UpdateUser": {
    target: "none",
    variants: [
      { name: "name", request: (w) => ({ user: { userId: w.pathUserId, name: "renamed" }, updateMask: { paths: ["name"] } }), changesUser: (w) => userChange(w) },
      {
        name: "admin flipped",
        request: (w) => ({ user: { userId: w.pathUserId, admin: !w.subject!.admin }, updateMask: { paths: ["admin"] } }),
        // Promoting mints the admin's universe for whoever holds the user's credentials; demoting does not.
        changesUser: (w) => ({ ...userChange(w), adminAfter: !w.subject!.admin, adminOrState: true, mintsCredential: !w.subject!.admin }),
      },
      {
        name: "suspend",
        request: (w) => ({ user: { userId: w.pathUserId, state: UserState.SUSPENDED }, updateMask: { paths: ["state"] } }),
        changesUser: (w) => ({ ...userChange(w), adminOrState: true }),
      },
      {
        name: "reactivate",
        subjectSuspended: true,
        request: (w) => ({ user: { userId: w.pathUserId, state: UserState.ACTIVE }, updateMask: { paths: ["state"] } }),
        changesUser: (w) => ({ ...userChange(w), adminOrState: true }),
      },
    ],
  },
  "keyward.v1.UserRegistry.DeleteUser": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId }), changesUser: (w) => userChange(w) }] },
  "keyward.v1.UserRegistry.UpdatePassword": {
    target: "none",
    variants: [
      {
        name: "with the current password",
        request: (w) => ({ userId: w.pathUserId, currentPassword: MATRIX_PASSWORD, newPassword: "another matrix password" }),
        changesUser: (w) => ({ ...userChange(w), mintsCredential: true, password: { hasOne: true, currentGiven: true } }),
      },
      {
        name: "without the current password",
        request: (w) => ({ userId: w.pathUserId, newPassword: "another matrix password" }),
        changesUser: (w) => ({ ...userChange(w), mintsCredential: true, password: { hasOne: true, currentGiven: false } }),
      },
      {
        name: "first password",
        subjectWithoutPassword: true,
        request: (w) => ({ userId: w.pathUserId, newPassword: "another matrix password" }),
        changesUser: (w) => ({ ...userChange(w), mintsCredential: true, password: { hasOne: false, currentGiven: false } }),
      },
    ],
  },
  "keyward.v1.SessionRegistry.CreateSession": {
    target: "none",
    variants: [{ name: "", request: (w) => ({ userId: w.signInUserId, password: MATRIX_PASSWORD }) }],
  },
  "keyward.v1.SessionRegistry.ListSessions": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId, pageSize: 1 }) }] },
  "keyward.v1.SessionRegistry.DeleteSession": {
    target: "none",
    variants: [{ name: "", request: (w) => ({ userId: w.pathUserId, sessionId: w.sessionId! }), changesUser: (w) => userChange(w) }],
  },
  "keyward.v1.ApiKeyRegistry.CreateApiKey": {
    target: "grant",
    variants: [
      {
        name: "",
        request: (w) => ({ userId: w.pathUserId, name: "matrix", rights: [...w.grant!] }),
        grants: (w) => ({ before: [], after: w.grant!, ownerAdmin: w.subject!.admin, ownerTenant: w.subject!.tenantId }),
        issuesFor: (w) => asOwner(w.subject!),
      },
    ],
  },
  "keyward.v1.ApiKeyRegistry.ListApiKeys": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId, pageSize: 1 }) }] },
  "keyward.v1.ApiKeyRegistry.GetApiKey": { target: "key", variants: [{ name: "", request: keyPath }] },
  "keyward.v1.ApiKeyRegistry.UpdateApiKey": {
    target: "key",
    variants: [
      ...(
        [
          ["name", { name: "renamed" }, "name"],
          ["disable", { state: ApiKeyState.DISABLED }, "state"],
          ["extend expiry", { expiresAt: inDays(30) }, "expires_at"],
          ["clear expiry", {}, "expires_at"],
          // Networks are a field like any other: touching the key (ARCHITECTURE.md, "Rights and access"). Loopback, so a key that
          // narrows itself keeps working from the test.
          ["allowed_ips", { allowedIps: ["127.0.0.0/8"] }, "allowed_ips"],
        ] as const
      ).map(([name, fields, path]): Variant => ({
        name,
        touchesKey: true,
        request: (w) => ({ apiKey: { userId: w.pathUserId, id: w.target!.id, ...fields }, updateMask: { paths: [path] } }),
      })),
      {
        name: "rights set to the caller's",
        touchesKey: true,
        request: (w) => ({ apiKey: { userId: w.pathUserId, id: w.target!.id, rights: [...w.caller.keyRights] }, updateMask: { paths: ["rights"] } }),
        grants: (w) => ({ before: w.target!.rights, after: w.caller.keyRights, ownerAdmin: w.targetOwner!.admin, ownerTenant: w.targetOwner!.tenantId }),
        issuesFor: (w) => (w.caller.keyRights.some((r) => !w.target!.rights.includes(r)) ? asOwner(w.targetOwner!) : undefined),
      },
    ],
  },
  "keyward.v1.ApiKeyRegistry.DeleteApiKey": { target: "key", variants: [{ name: "", touchesKey: true, request: keyPath }] },
  "keyward.v1.ApiKeyRegistry.RegenerateApiKey": {
    target: "key",
    variants: [
      { name: "with grace", touchesKey: true, issuesFor: (w) => asOwner(w.targetOwner!), request: (w) => ({ ...keyPath(w), gracePeriod: { seconds: 3600n, nanos: 0 } }) },
    ],
  },
  "keyward.v1.AuthService.GetAuthInfo": { target: "none", variants: [{ name: "", request: () => ({}) }] },
  "keyward.v1.TenantRegistry.CreateTenant": { target: "none", variants: [{ name: "", request: (w) => ({ tenant: { tenantId: w.newTenantId, name: "matrix" } }) }] },
  "keyward.v1.TenantRegistry.GetTenant": { target: "none", variants: [{ name: "", request: (w) => ({ tenantId: w.tenantId }) }] },
  "keyward.v1.TenantRegistry.ListTenants": { target: "none", variants: [{ name: "", request: () => ({ pageSize: 1 }) }] },
  "keyward.v1.TenantRegistry.UpdateTenant": {
    target: "none",
    variants: [{ name: "", request: (w) => ({ tenant: { tenantId: w.tenantId, name: "renamed" }, updateMask: { paths: ["name"] } }) }],
  },
  "keyward.v1.TenantRegistry.DeleteTenant": { target: "none", variants: [{ name: "", request: (w) => ({ tenantId: w.tenantId }) }] },
  // Events (ARCHITECTURE.md, "Events"): a stream replays from the first event, so an allowed one answers at once.
  "keyward.v1.EventRegistry.ListEvents": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId, pageSize: 1 }) }] },
  "keyward.v1.EventRegistry.StreamEvents": { target: "none", variants: [{ name: "", request: (w) => ({ userId: w.pathUserId, afterId: "0000000000000000" }) }] },
  "keyward.v1.WebhookRegistry.CreateWebhook": {
    target: "none",
    variants: [{ name: "", request: () => ({ webhook: { url: "http://localhost:9/matrix", enabled: false } }) }],
  },
  "keyward.v1.WebhookRegistry.ListWebhooks": { target: "none", variants: [{ name: "", request: () => ({ pageSize: 1 }) }] },
  ...Object.fromEntries(
    (["GetWebhook", "UpdateWebhook", "DeleteWebhook", "TestWebhook"] as const).map((name) => [
      `keyward.v1.WebhookRegistry.${name}`,
      {
        target: "none",
        variants: (["own scope", "B", "system"] as const).map((where): Variant => ({
          name: `a webhook of ${where === "own scope" ? "its own scope" : where === "B" ? "tenant B" : "the system"}`,
          webhookIn: where,
          request: (w) =>
            name === "UpdateWebhook"
              ? { webhook: { webhookId: w.webhook!.webhookId, enabled: false }, updateMask: { paths: ["enabled"] } }
              : { webhookId: w.webhook!.webhookId },
        })),
      } satisfies RpcSpec,
    ]),
  ),
};

/** One cell of the matrix. */
interface Case {
  readonly name: string;
  readonly method: DescMethod;
  readonly variant: Variant;
  readonly door: Door;
  readonly caller: CallerShape;
  readonly subject: SubjectKind;
  /** Where the subject lives (the caller's place for its own user). */
  readonly place: Place;
  readonly target: TargetKind | undefined;
}

interface Result {
  readonly case: Case;
  readonly expected: Expectation;
  readonly actual: Outcome;
  /** Why the stored records do not match what the answer implies; empty when they do. */
  readonly storeProblem: string;
}

function subjectsOf(method: DescMethod, spec: RpcSpec): SubjectKind[] {
  const rule = hasOption(method, access) ? getOption(method, access) : undefined;
  if (!rule || rule.userField === "") return ["none"];
  const subjects: SubjectKind[] = ["own", "other user", "other admin"];
  if (spec.target === "key") subjects.push("own path, other user's key");
  if (rule.optionalUserField) subjects.push("everyone");
  return subjects;
}

function generateCases(): Case[] {
  const cases: Case[] = [];
  for (const method of METHODS) {
    const spec = SPECS[`${method.parent.typeName}.${method.name}`];
    if (!spec) continue; // reported by its own test
    for (const variant of spec.variants)
      for (const caller of CALLERS)
        for (const subject of subjectsOf(method, spec))
          for (const place of placesOf(caller, subject))
            for (const target of spec.target === "none" ? [undefined] : TARGET_KINDS) {
              const ownerAdmin = subject === "other admin" || (subject === "own" && caller.admin);
              if (target !== undefined && targetRights(target, caller.rights, ownerAdmin) === undefined) continue;
              for (const door of doorsOf(method)) {
                const rights = target === undefined ? "" : ` ${target} key ${short(targetRights(target, caller.rights, ownerAdmin)!)}`;
                const where = subject === "own" || subject === "none" || place === "system" ? "" : ` in tenant ${place}`;
                const name = `${method.name}${variant.name ? ` (${variant.name})` : ""} over ${door}: ${caller.label} on ${subject}${where}${rights}`;
                cases.push({ name, method, variant, door, caller, subject, place, target });
              }
            }
  }
  return cases;
}

/**
 * Where a case's subject lives: a tenant caller's own user is in tenant A, and another user is in A, in B
 * or in the system; a system caller's subjects live in the system, and for the admin keys of
 * {@link SYSTEM_CALLERS_ON_TENANTS} in tenant A too.
 */
function placesOf(caller: CallerShape, subject: SubjectKind): Place[] {
  const home: Place = caller.inTenant ? "A" : "system";
  if (subject === "own" || subject === "none" || subject === "everyone" || subject === "own path, other user's key") return [home];
  if (caller.inTenant) return ["A", "B", "system"];
  return SYSTEM_CALLERS_ON_TENANTS.has(caller.label) ? ["system", "A"] : ["system"];
}

let sequence = 0;
const uniqueId = (prefix: string) => `${prefix}-${process.pid}-${++sequence}`;

/** Writes the case's users and keys into the store and returns them. */
async function setUp(store: SqliteStore, c: Case): Promise<World> {
  const now = new Date();
  const makeUser = async (admin: boolean, options: { suspended?: boolean; withoutPassword?: boolean; place?: Place } = {}): Promise<UserRecord> => {
    const state = options.suspended ? "suspended" : "active";
    const user: UserRecord = { userId: uniqueId("mx"), name: "", email: "", admin, state, createdAt: now, updatedAt: now };
    const tenantId = tenantOf(options.place ?? "system");
    if (tenantId !== undefined) user.tenantId = tenantId;
    if (options.withoutPassword) {
      await store.createUser(user);
      return user;
    }
    await store.createUser(user, matrixPassword);
    return { ...user, passwordSetAt: matrixPassword!.setAt };
  };
  const makeKey = async (owner: string, rights: readonly number[]) => {
    const made = newApiKey({ userId: owner, name: "matrix", rights: [...rights], expiresAt: new Date(Date.now() + DAY), now });
    await store.createApiKey(made.record, { maxKeysPerUser: 1000 });
    issuedKeys.add(made.key);
    return made;
  };
  /** A key regenerated with a grace period, as a rotation leaves it: the old secret still works, for now. */
  const makeRotatedKey = async (owner: string, rights: readonly number[]) => {
    const made = newApiKey({ userId: owner, name: "matrix", rights: [...rights], expiresAt: new Date(Date.now() + DAY), now });
    const current = generateKey(made.record.id);
    const record = { ...made.record, secretHash: hashSecret(current.secret), previousSecretHash: made.record.secretHash, previousSecretValidUntil: new Date(Date.now() + DAY) };
    await store.createApiKey(record, { maxKeysPerUser: 1000 });
    issuedKeys.add(made.key).add(current.key);
    return { record, key: made.key };
  };
  const withoutPassword = c.variant.subjectWithoutPassword === true;
  const home: Place = c.caller.inTenant ? "A" : "system";
  const callerUser = await makeUser(c.caller.admin, { suspended: c.caller.suspended, withoutPassword: withoutPassword && c.subject === "own", place: home });
  const callerKey = await (c.caller.superseded ? makeRotatedKey : makeKey)(callerUser.userId, c.caller.rights);
  const caller = { ...callerUser, keyRights: c.caller.rights, key: callerKey.key };
  const others = { suspended: c.variant.subjectSuspended === true, withoutPassword, place: c.place };
  const subject =
    c.subject === "own"
      ? callerUser
      : c.subject === "other user"
        ? await makeUser(false, others)
        : c.subject === "other admin"
          ? await makeUser(true, others)
          : undefined;
  const targetOwner = c.subject === "own path, other user's key" ? await makeUser(false, { place: home }) : subject;
  const spec = SPECS[`${c.method.parent.typeName}.${c.method.name}`]!;
  const wanted = c.target === undefined ? undefined : targetRights(c.target, c.caller.rights, targetOwner?.admin ?? false);
  const target = spec.target === "key" && wanted && targetOwner ? (await makeKey(targetOwner.userId, wanted)).record : undefined;
  const pathUserId = c.subject === "everyone" ? "" : c.subject === "own path, other user's key" ? callerUser.userId : (subject?.userId ?? callerUser.userId);
  const signInUserId = c.method.name === "CreateSession" ? (await makeUser(false)).userId : "";
  const tenantId = uniqueId("mx-t");
  if (c.method.parent.name === "TenantRegistry") await store.createTenant({ tenantId, name: "matrix", createdAt: now, updatedAt: now });
  let sessionId: string | undefined;
  if (c.method.name === "DeleteSession") sessionId = (await writeSession(store, pathUserId, "matrix")).id;
  let webhook: WebhookRecord | undefined;
  if (c.variant.webhookIn !== undefined) {
    const tenant = c.variant.webhookIn === "own scope" ? callerUser.tenantId : c.variant.webhookIn === "B" ? TENANT_IDS.B : undefined;
    webhook = {
      webhookId: generateKey().id,
      url: "http://127.0.0.1:9/matrix",
      eventTypes: [],
      enabled: false,
      secretSalt: "matrix",
      createdAt: now,
      updatedAt: now,
      delivery: { pending: 0, delivered: 0, failed: 0 },
      ...(tenant === undefined ? {} : { tenantId: tenant }),
    };
    await store.createWebhook(webhook, 1_000_000);
  }
  return {
    caller,
    pathUserId,
    webhook,
    targetOwner,
    target,
    grant: spec.target === "grant" ? wanted : undefined,
    newUserId: uniqueId("mx-new"),
    tenantId,
    newTenantId: uniqueId("mx-new-t"),
    subject: c.subject === "own path, other user's key" ? callerUser : subject,
    signInUserId,
    sessionId,
  };
}

/**
 * What a refusal must have left as it was: the target key, the subject user and its password, the
 * session, and no new user or key.
 */
async function snapshot(store: SqliteStore, w: World): Promise<string> {
  const user = w.subject ? await store.getUser(w.subject.userId).catch(() => undefined) : undefined;
  const password = w.subject ? await store.getPassword(w.subject.userId).catch(() => undefined) : undefined;
  const key = w.target ? await store.findApiKey(w.target.id) : undefined;
  const created = await store.getUser(w.newUserId).then(() => true, () => false);
  const keys = w.subject ? await store.countApiKeys(w.subject.userId) : 0;
  const session = w.sessionId ? (await store.findSessionWithOwner(w.sessionId)) !== undefined : undefined;
  const tenant = await store.getTenant(w.tenantId).catch(() => undefined);
  const tenantCreated = await store.getTenant(w.newTenantId).then(() => true, () => false);
  const webhook = w.webhook ? await store.getWebhook(w.webhook.webhookId).catch(() => undefined) : undefined;
  return JSON.stringify({ user, password, key, created, keys, session, tenant, tenantCreated, webhook });
}

async function runCase(store: SqliteStore, server: ServerProcess, doors: Doors, c: Case): Promise<Result> {
  const w = await setUp(store, c);
  const before = await snapshot(store, w);
  const expected = expectedAnswer({
    method: c.method,
    caller: {
      userId: w.caller.userId,
      admin: w.caller.admin,
      suspended: w.caller.state === "suspended",
      keyRights: w.caller.keyRights,
      superseded: c.caller.superseded,
      tenant: w.caller.tenantId,
    },
    subjectUserId: w.pathUserId === "" ? undefined : w.pathUserId,
    subjectTenant: w.subject?.tenantId,
    webhookTenant: w.webhook === undefined ? undefined : { tenant: w.webhook.tenantId },
    namesTenant: c.variant.namesTenant?.(w),
    foreignKey: c.subject === "own path, other user's key",
    touches: c.variant.touchesKey ? w.target!.rights : undefined,
    grants: c.variant.grants?.(w),
    changesUser: c.variant.changesUser?.(w),
    issuesFor: c.variant.issuesFor?.(w),
  });
  const request = c.variant.request(w);
  const actual =
    c.method.methodKind === "server_streaming"
      ? await firstOfStream(server, c.door, c.method as DescMethodServerStreaming, request, w.caller.key)
      : c.door === "rest"
        ? await callRest(server.httpUrl, c.method, request, w.caller.key)
        : await doors.call("grpc", c.method as DescMethodUnary, request, w.caller.key);
  const issued = actual.ok ? (actual.message as unknown as { key?: unknown }).key : undefined;
  if (typeof issued === "string") issuedKeys.add(issued);
  const after = await snapshot(store, w);
  const storeProblem = !actual.ok && after !== before ? `refused, but the store changed:\n    before ${before}\n    after  ${after}` : "";
  return { case: c, expected, actual, storeProblem };
}

function disagreement(r: Result): string | undefined {
  const { expected, actual } = r;
  const said = actual.ok ? "OK" : `${actual.codeName} ${actual.reason} (${actual.message})`;
  const wanted = expected.ok ? "OK" : `${Code[expected.code]} ${expected.reason}`;
  const agrees = expected.ok ? actual.ok : !actual.ok && actual.code === expected.code && actual.reason === expected.reason;
  if (agrees && r.storeProblem === "") return undefined;
  return `${r.case.name}: model says ${wanted}, server said ${said}${r.storeProblem ? `; ${r.storeProblem}` : ""}`;
}

/** Runs `work` over `items`, `width` at a time. */
async function pool<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await work(items[i]!);
      }
    }),
  );
  return results;
}

/**
 * The findings of the security reviews, as matrix cells that must agree with the model: refused, unless
 * marked "allowed" (what a narrow key must still be able to do, so a rule does not overshoot).
 */
const FINDINGS: ReadonlyArray<readonly [title: string, pick: (c: Case) => boolean, answer?: "allowed"]> = [
  [
    "finding 1: a RIGHT_USER_SETTINGS_API_KEYS key cannot regenerate its owner's RIGHT_USER_ALL key",
    (c) => c.method.name === "RegenerateApiKey" && c.caller.label === "user{USER_SETTINGS_API_KEYS}" && c.subject === "own" && c.target === "widest",
  ],
  [
    "finding 1: a RIGHT_USER_SETTINGS_API_KEYS key of an admin cannot regenerate the admin's RIGHT_ALL key",
    (c) => c.method.name === "RegenerateApiKey" && c.caller.label === "admin{USER_SETTINGS_API_KEYS}" && c.subject === "own" && c.target === "widest",
  ],
  [
    "finding 1: an admin key holding only RIGHT_ADMIN_API_KEYS cannot regenerate another admin's RIGHT_ALL key",
    (c) => c.method.name === "RegenerateApiKey" && c.caller.label === "admin{ADMIN_API_KEYS}" && c.subject === "other admin" && c.target === "widest",
  ],
  [
    "finding 2: a narrow key cannot clear or extend a broader key's expiry",
    (c) => c.method.name === "UpdateApiKey" && /expiry/.test(c.variant.name) && c.caller.label === "user{USER_SETTINGS_API_KEYS}" && c.subject === "own" && c.target === "widest",
  ],
  [
    "a narrow key cannot change a broader key's allowed networks",
    (c) => c.method.name === "UpdateApiKey" && c.variant.name === "allowed_ips" && c.caller.label === "user{USER_SETTINGS_API_KEYS}" && c.subject === "own" && c.target === "widest",
  ],
  [
    "finding 2: a narrow key cannot disable or delete a broader key",
    (c) =>
      ((c.method.name === "UpdateApiKey" && c.variant.name === "disable") || c.method.name === "DeleteApiKey") &&
      c.caller.label === "user{USER_SETTINGS_API_KEYS}" &&
      c.subject === "own" &&
      c.target === "widest",
  ],
  [
    "a RIGHT_ADMIN_USERS_WRITE key of an admin cannot set another admin's password",
    (c) => c.method.name === "UpdatePassword" && c.variant.name === "without the current password" && c.caller.label === "admin{ADMIN_USERS_WRITE}" && c.subject === "other admin",
  ],
  [
    "nor create an admin (with a password or without), nor a user with a password",
    (c) => c.method.name === "CreateUser" && /admin|password/.test(c.variant.name) && c.caller.label === "admin{ADMIN_USERS_WRITE}",
  ],
  [
    "nor promote a user",
    (c) => c.method.name === "UpdateUser" && c.variant.name === "admin flipped" && c.caller.label === "admin{ADMIN_USERS_WRITE}" && c.subject === "other user",
  ],
  [
    "nor suspend, rename, delete or end the sessions of an admin broader than itself",
    (c) =>
      ((c.method.name === "UpdateUser" && ["suspend", "name"].includes(c.variant.name)) || ["DeleteUser", "DeleteSession"].includes(c.method.name)) &&
      c.caller.label === "admin{ADMIN_USERS_WRITE}" &&
      c.subject === "other admin",
  ],
  [
    "a RIGHT_ADMIN_USERS_WRITE key still creates a plain user",
    (c) => c.method.name === "CreateUser" && c.variant.name === "" && c.caller.label === "admin{ADMIN_USERS_WRITE}",
    "allowed",
  ],
  [
    "with RIGHT_USER_ALL too, it manages a non-admin: password, profile, suspend, reactivate, sessions, delete",
    (c) =>
      ((c.method.name === "UpdatePassword" && c.variant.name === "without the current password") ||
        (c.method.name === "UpdateUser" && c.variant.name !== "admin flipped") ||
        ["DeleteUser", "DeleteSession"].includes(c.method.name)) &&
      c.caller.label === "admin{ADMIN_USERS_WRITE,USER_ALL}" &&
      c.subject === "other user",
    "allowed",
  ],
  [
    "a key's old secret in its grace period cannot regenerate the key, change its networks or create keys",
    (c) =>
      (c.method.name === "RegenerateApiKey" || c.method.name === "CreateApiKey" || (c.method.name === "UpdateApiKey" && c.variant.name === "allowed_ips")) &&
      c.caller.superseded &&
      c.subject === "own",
  ],
  [
    "a key holding RIGHT_ADMIN_API_KEYS but not another admin's universe cannot issue, regenerate or add rights to that admin's keys (its key could delete the admin)",
    (c) =>
      ["CreateApiKey", "RegenerateApiKey"].includes(c.method.name) &&
      c.caller.label === "admin{ADMIN_API_KEYS}" &&
      c.subject === "other admin" &&
      (c.target === "equal" || c.target === "narrower"),
  ],
  [
    "a key holding RIGHT_ADMIN_API_KEYS and RIGHT_USER_ALL still issues and regenerates keys of a non-admin",
    (c) =>
      ["CreateApiKey", "RegenerateApiKey"].includes(c.method.name) &&
      c.caller.label === "admin{ADMIN_API_KEYS,USER_ALL}" &&
      c.subject === "other user" &&
      c.target === "narrower",
    "allowed",
  ],
  [
    "tenant A's admin with RIGHT_ALL gets USER_NOT_FOUND for every user of tenant B or of the system, on every user path",
    (c) => c.caller.label === "tenant A's admin{ALL}" && c.subject !== "own" && c.subject !== "none" && c.place !== "A",
  ],
  [
    "tenant A's admin with RIGHT_ALL manages tenant A's users and admins: passwords, promotion, keys, deletion",
    (c) =>
      c.caller.label === "tenant A's admin{ALL}" &&
      c.place === "A" &&
      (c.subject === "other user" || c.subject === "other admin") &&
      ((c.method.name === "UpdatePassword" && c.variant.name === "without the current password") ||
        (c.method.name === "UpdateUser" && c.variant.name === "admin flipped") ||
        c.method.name === "DeleteUser" ||
        (c.method.name === "CreateApiKey" && c.target === "equal" && c.subject === "other admin")),
    "allowed",
  ],
  [
    "tenant A's admin, whatever its key, never calls TenantRegistry nor creates or lists outside tenant A",
    (c) =>
      c.caller.inTenant &&
      (c.method.parent.name === "TenantRegistry" || ["in tenant B", "as an admin of tenant B", "of tenant B"].includes(c.variant.name)),
  ],
  [
    "a system admin with RIGHT_ALL manages tenant A's users and creates users and admins in a tenant",
    (c) =>
      c.caller.label === "admin{ALL}" &&
      ((c.place === "A" && c.subject === "other admin" && ["DeleteUser", "UpdatePassword"].includes(c.method.name) && c.variant.name !== "with the current password") ||
        (c.method.name === "CreateUser" && c.variant.name.includes("tenant B"))),
    "allowed",
  ],
];

describe("e2e: authorization matrix (every RPC and caller shape over REST and gRPC, against a reference model of ARCHITECTURE.md, 'Rights and access')", function () {
  this.timeout(900_000);
  const cases = generateCases();
  let server: ServerProcess;
  let doors: Doors;
  let store: SqliteStore;
  let results: Result[] = [];
  let runMs = 0;

  before(async () => {
    // Streams are opened 8 at a time from one address: above the default per-client cap. The matrix's
    // keys all expire within a day: expiry warnings (not what it tests) would write an event for each.
    server = await startServer({ args: ["--max-event-streams-per-client", "100", "--expiry-warnings", ""] });
    issuedKeys.add(server.adminKey());
    doors = openDoors(server.httpUrl, server.grpcAddress);
    store = openSqliteStore(join(server.dataDir, "keyward.db"));
    for (const tenantId of Object.values(TENANT_IDS)) await store.createTenant({ tenantId, name: "matrix", createdAt: new Date(), updatedAt: new Date() });
    matrixPassword = { hash: await new PasswordHasher().hash(MATRIX_PASSWORD), setAt: new Date() };
    const started = Date.now();
    results = await pool(cases, 8, (c) => runCase(store, server, doors, c));
    runMs = Date.now() - started;
  });

  after(async () => {
    if (process.env["MX_DEBUG"]) console.log("DEBUG-SERVER-OUTPUT\n" + (server?.output() ?? "").split("\n").slice(-15).join("\n"));
    doors?.close();
    await store?.close();
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  it("covers every method of every service: each declares (keyward.v1.access) and has a request here", () => {
    const undeclared = METHODS.filter((m) => !hasOption(m, access)).map((m) => `${m.parent.typeName}.${m.name}`);
    const unbuilt = METHODS.filter((m) => SPECS[`${m.parent.typeName}.${m.name}`] === undefined).map((m) => `${m.parent.typeName}.${m.name}`);
    expect(undeclared, "methods without a (keyward.v1.access) rule").to.deep.equal([]);
    expect(unbuilt, "methods the matrix cannot call yet: add them to SPECS").to.deep.equal([]);
    expect(Object.keys(SPECS).filter((name) => !METHODS.some((m) => `${m.parent.typeName}.${m.name}` === name)), "SPECS for methods that no longer exist").to.deep.equal([]);
  });

  it("is as large as it says: callers × subjects × targets × variants × doors", () => {
    const rpcs = new Set(cases.map((c) => c.method.name)).size;
    console.log(
      `      matrix: ${cases.length} calls = ${CALLERS.length} callers × up to 4 subjects × up to 4 targets × ${rpcs} RPCs (${cases.length / DOORS.length} cells with their variants) × ${DOORS.length} doors, in ${(runMs / 1000).toFixed(1)} s`,
    );
    expect(rpcs).to.equal(METHODS.length);
    expect(results).to.have.length(cases.length);
    // Both answers occur for every RPC: a matrix where everything passes (or fails) proves nothing. A
    // public method (CreateSession) is the exception: no caller shape is refused, which is its point.
    for (const method of new Set(cases.map((c) => c.method))) {
      const mine = results.filter((r) => r.case.method === method);
      expect(mine.some((r) => r.expected.ok), `${method.name}: some call allowed`).to.equal(true);
      if (hasOption(method, access) && getOption(method, access).public) continue;
      expect(mine.some((r) => !r.expected.ok), `${method.name}: some call refused`).to.equal(true);
    }
  });

  for (const method of METHODS) {
    for (const door of doorsOf(method)) {
      it(`${method.parent.name}.${method.name} over ${door}: the server gives the model's answer in every case, and refusals change nothing`, () => {
        const mine = results.filter((r) => r.case.method === method && r.case.door === door);
        expect(mine.length, "cases run").to.be.greaterThan(0);
        const wrong = mine.map(disagreement).filter((d): d is string => d !== undefined);
        expect(wrong, `${wrong.length} of ${mine.length} cases disagree`).to.deep.equal([]);
      });
    }
  }

  for (const [title, pick, answer] of FINDINGS) {
    it(title, () => {
      const picked = results.filter((r) => pick(r.case));
      expect(picked.map((r) => r.case.door).sort(), "the finding is a cell of the matrix, on both doors").to.include.members(["grpc", "rest"]);
      for (const r of picked) {
        expect(r.expected.ok, `${r.case.name}: the model ${answer === "allowed" ? "allows" : "refuses"} it`).to.equal(answer === "allowed");
        expect(disagreement(r)).to.equal(undefined);
      }
    });
  }

  // Metered keys and self-rotation (ARCHITECTURE.md, "Keys"): a few explicit calls per door rather than
  // another caller shape across the whole matrix, which would multiply its run time.
  for (const door of ["rest", "grpc"] as const) {
    it(`metered keys over ${door}: every way to mint a credential or loosen a limit is API_KEY_METERED and changes nothing; lowering and rotating itself pass`, async () => {
      const m = await meteredWorld(store, `mx-meter-${door}-${process.pid}`);
      const send = (method: DescMethodUnary, request: MessageInitShape<DescMessage>, token = m.meteredKey) =>
        door === "rest" ? callRest(server.httpUrl, method, request, token) : doors.call("grpc", method, request, token);
      const seconds = (n: number) => ({ seconds: BigInt(n), nanos: 0 });
      const refused: [string, DescMethodUnary, MessageInitShape<DescMessage>][] = [
        ["create a key", ApiKeyRegistry.method.createApiKey, { userId: m.userId, rights: [Right.USER_INFO] }],
        ["regenerate another key", ApiKeyRegistry.method.regenerateApiKey, { userId: m.userId, keyId: m.otherKeyId }],
        ["set its own password", UserRegistry.method.updatePassword, { userId: m.userId, currentPassword: MATRIX_PASSWORD, newPassword: "a metered key's choice, 12+" }],
        ["create a user with a password", UserRegistry.method.createUser, { user: { userId: `${m.userId}-new`, password: "a metered key's choice, 12+" } }],
        ["remove another key's rate limit", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: m.userId, id: m.tightKeyId }, updateMask: { paths: ["rate_limit"] } }],
        ["raise its own uses", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: m.userId, id: m.meteredKeyId, remainingUses: 1_000_000_000 }, updateMask: { paths: ["remaining_uses"] } }],
        ["shorten its own window", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: m.userId, id: m.meteredKeyId, rateLimit: { requests: 100_000, period: seconds(1) } }, updateMask: { paths: ["rate_limit"] } }],
        ["raise another key's refill", ApiKeyRegistry.method.updateApiKey, { apiKey: { userId: m.userId, id: m.tightKeyId, refill: { amount: 51, period: seconds(86_400) } }, updateMask: { paths: ["refill"] } }],
      ];
      for (const [what, method, request] of refused) {
        const before = await meteredState(store, m.userId);
        const answer = await send(method, request);
        expect(answer.ok ? "OK" : `${answer.codeName} ${answer.reason}`, what).to.equal("PermissionDenied API_KEY_METERED");
        expect(usesMoved(before, await meteredState(store, m.userId)), `${what}: the store changed`).to.equal("");
      }
      const lowered = await send(ApiKeyRegistry.method.updateApiKey, {
        apiKey: { userId: m.userId, id: m.tightKeyId, remainingUses: 10, rateLimit: { requests: 5, period: seconds(60) } },
        updateMask: { paths: ["remaining_uses", "rate_limit"] },
      });
      expect(lowered.ok, "lowering another key's limits").to.equal(true);
      const rotated = await send(ApiKeyRegistry.method.regenerateApiKey, { userId: m.userId, keyId: "self", gracePeriod: seconds(3600) });
      if (!rotated.ok) throw new Error(`self-rotation refused: ${rotated.reason} ${rotated.message}`);
      const { apiKey, key } = rotated.message as unknown as { apiKey: { id: string; rateLimit?: { requests: number }; remainingUses?: number }; key: string };
      issuedKeys.add(key);
      expect(apiKey.id).to.equal(m.meteredKeyId);
      expect(apiKey.rateLimit?.requests, "the limits stay").to.equal(100_000);
      expect(apiKey.remainingUses).to.be.a("number").and.at.most(100_000);
      // The old secret, still in its grace period, may not rotate the key again: only the current one can.
      const again = await send(ApiKeyRegistry.method.regenerateApiKey, { userId: m.userId, keyId: "self" });
      expect(again.ok ? "OK" : `${again.codeName} ${again.reason}`).to.equal("PermissionDenied API_KEY_SECRET_SUPERSEDED");
    });

    it(`self-rotation over ${door}: needs no right, keeps a key outside its owner's universe as it is, and is refused to a session and for another user`, async () => {
      const m = await meteredWorld(store, `mx-self-${door}-${process.pid}`);
      const send = (request: MessageInitShape<DescMessage>, token: string) =>
        door === "rest" ? callRest(server.httpUrl, ApiKeyRegistry.method.regenerateApiKey, request, token) : doors.call("grpc", ApiKeyRegistry.method.regenerateApiKey, request, token);
      const said = (o: Outcome) => (o.ok ? "OK" : `${o.codeName} ${o.reason}`);
      // A {USER_INFO} key holds no API-key right; a demoted admin's {ALL} key holds rights its owner no longer has.
      expect(said(await send({ userId: m.userId, keyId: "self" }, m.infoKey)), "{USER_INFO} key").to.equal("OK");
      expect(said(await send({ userId: m.plainUserId, keyId: m.demotedKeyId }, m.demotedKey)), "the demoted key by id").to.equal("PermissionDenied INSUFFICIENT_RIGHTS");
      expect(said(await send({ userId: m.plainUserId, keyId: "self" }, m.demotedKey)), "the demoted key as self").to.equal("OK");
      expect(said(await send({ userId: m.userId, keyId: "self" }, m.session)), "a session").to.equal("InvalidArgument VALIDATION_FAILED");
      expect(said(await send({ userId: m.plainUserId, keyId: "self" }, m.meteredKey)), "another user's id").to.equal("InvalidArgument VALIDATION_FAILED");
    });
  }

  it("self-rotation over REST's own path: POST /api/v1/api-keys/self:regenerate with an empty body", async () => {
    const m = await meteredWorld(store, `mx-self-path-${process.pid}`);
    const response = await fetch(new URL("/api/v1/api-keys/self:regenerate", server.httpUrl), {
      method: "POST",
      headers: { authorization: `Bearer ${m.infoKey}`, "content-type": "application/json" },
      body: "{}",
    });
    const body = (await response.json()) as { apiKey?: { id: string }; key?: string };
    expect(response.status).to.equal(200);
    issuedKeys.add(body.key!);
    expect(body.apiKey!.id).to.equal(m.infoKey.split(".")[1]);
    expect(body.key!.split(".")[1]).to.equal(m.infoKey.split(".")[1]);
    const old = await fetch(new URL("/api/v1/auth_info", server.httpUrl), { headers: { authorization: `Bearer ${m.infoKey}` } });
    expect(old.status, "the old secret stops at once without a grace period").to.equal(401);
  });
});

/** The fixtures of the metered and self-rotation cases. */
interface MeteredWorld {
  readonly userId: string;
  readonly plainUserId: string;
  /** An admin's {ALL} key with a rate limit and uses (never reached by these calls). */
  readonly meteredKey: string;
  readonly meteredKeyId: string;
  /** An unmetered {ALL} key of the same user. */
  readonly otherKeyId: string;
  /** A {USER_INFO} key of the same user with tight limits. */
  readonly tightKeyId: string;
  /** A {USER_INFO} key of the same user, unmetered. */
  readonly infoKey: string;
  /** A {ALL} key of a plain user (an admin's key after a demotion). */
  readonly demotedKey: string;
  readonly demotedKeyId: string;
  readonly session: string;
}

async function meteredWorld(store: SqliteStore, prefix: string): Promise<MeteredWorld> {
  const now = new Date();
  const user = (userId: string, admin: boolean): UserRecord => ({ userId, name: "", email: "", admin, state: "active", createdAt: now, updatedAt: now });
  const [userId, plainUserId] = [prefix, `${prefix}-plain`];
  await store.createUser(user(userId, true), matrixPassword);
  await store.createUser(user(plainUserId, false), matrixPassword);
  const key = async (owner: string, rights: number[], limits: Partial<Parameters<typeof newApiKey>[0]> = {}) => {
    const made = newApiKey({ userId: owner, name: "metered", rights, expiresAt: new Date(Date.now() + DAY), now, ...limits });
    await store.createApiKey(made.record, { maxKeysPerUser: 1000 });
    issuedKeys.add(made.key);
    return made;
  };
  const metered = await key(userId, [Right.ALL], { rateLimit: { requests: 100_000, periodMs: 60_000 }, remainingUses: 100_000 });
  const other = await key(userId, [Right.ALL]);
  const tight = await key(userId, [Right.USER_INFO], { rateLimit: { requests: 10, periodMs: 60_000 }, remainingUses: 50, refill: { amount: 50, periodMs: DAY } });
  const info = await key(userId, [Right.USER_INFO]);
  const demoted = await key(plainUserId, [Right.ALL]);
  const session = await writeSession(store, userId, "matrix", now);
  return {
    userId,
    plainUserId,
    meteredKey: metered.key,
    meteredKeyId: metered.record.id,
    otherKeyId: other.record.id,
    tightKeyId: tight.record.id,
    infoKey: info.key,
    demotedKey: demoted.key,
    demotedKeyId: demoted.record.id,
    session: session.token,
  };
}

/** The user's keys and password as stored, without what use moves (last use; uses, compared apart). */
async function meteredState(store: SqliteStore, userId: string): Promise<{ text: string; uses: Map<string, number | undefined> }> {
  const user = await store.getUser(userId);
  const keys = (await store.listApiKeys(userId, { pageSize: 100, pageToken: "" })).items;
  const uses = new Map(keys.map((k) => [k.id, k.remainingUses]));
  const stable = keys.map(({ lastUsedAt: _a, lastUsedIp: _b, lastUsedUserAgent: _c, remainingUses: _d, refilledAt: _e, ...rest }) => rest);
  const created = await store.getUser(`${userId}-new`).then(
    () => true,
    () => false,
  );
  return { text: JSON.stringify({ user, stable, created }), uses };
}

/** What changed between two states beyond use: "" when nothing (a use only ever lowers a count). */
function usesMoved(before: { text: string; uses: Map<string, number | undefined> }, after: { text: string; uses: Map<string, number | undefined> }): string {
  if (before.text !== after.text) return `before ${before.text}\nafter  ${after.text}`;
  for (const [id, was] of before.uses) {
    const now = after.uses.get(id);
    if (was === undefined ? now !== undefined : now === undefined || now > was) return `uses of ${id}: ${String(was)} → ${String(now)}`;
  }
  return "";
}
