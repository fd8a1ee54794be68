/**
 * The world of one escalation sequence: a fresh set of users, keys and sessions written straight into the
 * server's SQLite file (a second connection, as another node would), the attacker's one starting
 * credential among them, and snapshots of every stored record of that world, read with plain SQL so that
 * nothing the server stores can escape the comparison.
 */
import Database from "better-sqlite3";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { generateKey, hashSecret } from "../../../src/keys/index.js";
import { newApiKey } from "../../../src/services/new-api-key.js";
import type { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import type { PasswordRecord, UserRecord } from "../../../src/store/store.js";
import { rightName } from "./access-model.js";
import { writeSession } from "./fixture-session.js";
import { issuedKeys } from "./secret-scan.js";

/** How the attacker's one starting credential looks. */
export interface AttackerShape {
  readonly label: string;
  /** Whether the attacker's own user is an admin. */
  readonly admin: boolean;
  /** An API key, a session, or the old secret of a key regenerated with a grace period. */
  readonly credential: "key" | "session" | "grace";
  /** The key's rights (for a session, unused: a session carries its user's universe). */
  readonly rights: readonly number[];
  /** The attacker's user lives in tenant A (ARCHITECTURE.md, "Tenants"); a system user otherwise. */
  readonly inTenant?: boolean;
  /** The start key is metered (ARCHITECTURE.md, "Keys"): a rate limit and usage credits with a refill, {@link START_LIMITS}. */
  readonly metered?: boolean;
}

/**
 * A metered start key's limits: never reached by a sequence's calls, and each below its maximum so that
 * raising it is a valid request the metered rule must refuse.
 */
export const START_LIMITS = {
  rateLimit: { requests: 100_000, periodMs: 60_000 },
  remainingUses: 100_000,
  refill: { amount: 100_000, periodMs: 86_400_000 },
} as const;
/** A fixture key of the attacker's user with tight limits, for steps that try to loosen another key. */
const TIGHT_LIMITS = { rateLimit: { requests: 10, periodMs: 60_000 }, remainingUses: 50, refill: { amount: 50, periodMs: 86_400_000 } };

const short = (rights: readonly number[]) => `{${rights.map((r) => rightName(r).replace(/^RIGHT_/, "")).join(",")}}`;
const keyShape = (admin: boolean, rights: number[], credential: "key" | "grace" = "key", inTenant = false, metered = false): AttackerShape => ({
  label: `${credential === "grace" ? "old secret in grace of " : ""}${metered ? "metered " : ""}${inTenant ? "tenant A's " : ""}${admin ? "admin" : "user"}${short(rights)}`,
  admin,
  credential,
  rights,
  inTenant,
  metered,
});

/** Every starting credential the property draws from. */
export const ATTACKER_SHAPES: readonly AttackerShape[] = [
  // Each right alone, on an admin's key and a non-admin's (admin rights then lie outside its universe).
  ...Object.values(Right)
    .filter((r): r is Right => typeof r === "number" && r !== Right.INVALID)
    .flatMap((right) => [keyShape(true, [right]), keyShape(false, [right])]),
  // Narrow admin keys.
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS]),
  keyShape(true, [Right.ADMIN_USERS_READ, Right.ADMIN_USERS_WRITE]),
  keyShape(true, [Right.ADMIN_API_KEYS, Right.USER_SETTINGS_API_KEYS]),
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.USER_ALL]),
  keyShape(true, [Right.ADMIN_API_KEYS, Right.USER_ALL]),
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS, Right.USER_SETTINGS_BASIC]),
  keyShape(true, [Right.ADMIN_ALL, Right.USER_SETTINGS_API_KEYS]),
  keyShape(false, [Right.USER_INFO, Right.USER_SETTINGS_API_KEYS]),
  keyShape(false, [Right.ADMIN_ALL, Right.USER_ALL]),
  // Sessions carry their user's whole universe.
  { label: "session of a user", admin: false, credential: "session", rights: [] },
  { label: "session of an admin", admin: true, credential: "session", rights: [] },
  // The old secret of a regenerated key, during its grace period.
  keyShape(true, [Right.ALL], "grace"),
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS], "grace"),
  keyShape(true, [Right.USER_SETTINGS_API_KEYS], "grace"),
  keyShape(false, [Right.USER_ALL], "grace"),
  // Tenant A's admins and users: whatever they hold, nothing outside tenant A is theirs to reach.
  keyShape(true, [Right.ALL], "key", true),
  keyShape(true, [Right.ADMIN_ALL, Right.USER_ALL], "key", true),
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS], "key", true),
  keyShape(true, [Right.ADMIN_API_KEYS, Right.USER_ALL], "key", true),
  keyShape(true, [Right.ADMIN_TENANTS, Right.ADMIN_USERS_READ], "key", true),
  keyShape(false, [Right.ALL], "key", true),
  keyShape(true, [Right.ALL], "grace", true),
  { label: "session of tenant A's admin", admin: true, credential: "session", rights: [], inTenant: true },
  { label: "session of tenant A's user", admin: false, credential: "session", rights: [], inTenant: true },
  // Metered keys: whatever rights they carry, they mint no credential and loosen no limit.
  keyShape(true, [Right.ALL], "key", false, true),
  keyShape(true, [Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS], "key", false, true),
  keyShape(false, [Right.USER_ALL], "key", false, true),
  keyShape(true, [Right.ALL], "key", true, true),
];

/** What the world is made of besides the shape. */
export interface WorldOptions {
  /** The attacker's own user has a password (which the attacker does not know). */
  readonly attackerHasPassword: boolean;
}

/** The users of every world, in this order. `new-*` do not exist at the start: they are ids to create. */
export const ROLES = [
  "attacker",
  "other-admin",
  "user",
  "suspended-admin",
  "no-password",
  "new-1",
  "new-2",
  // Tenant A's admin and user, tenant B's admin and user (ARCHITECTURE.md, "Tenants").
  "a-admin",
  "a-user",
  "b-admin",
  "b-user",
] as const;
/** The tenants of a world, by the names steps use. */
export const TENANTS = ["A", "B"] as const;
export type TenantName = (typeof TENANTS)[number];
export type Role = (typeof ROLES)[number];

/** A credential the attacker holds: the full token, and what it is. */
export interface Credential {
  readonly label: string;
  readonly token: string;
  readonly kind: "key" | "session";
  readonly id: string;
  readonly secret: string;
}

/** Splits a full token (`NNSXS.<id>.<secret>` or `ONSXG.<id>.<secret>`). */
export function credentialOf(label: string, token: string): Credential {
  const [prefix, id, secret] = token.split(".");
  return { label, token, kind: prefix === "ONSXG" ? "session" : "key", id: id!, secret: secret! };
}

/** One world, as written. */
export interface World {
  readonly prefix: string;
  readonly shape: AttackerShape;
  /** User ids by role. */
  readonly userIds: Readonly<Record<Role, string>>;
  /** The fixture keys, in a fixed order, with readable names. */
  readonly keys: readonly { readonly id: string; readonly name: string }[];
  /** The fixture sessions, likewise. */
  readonly sessions: readonly { readonly id: string; readonly name: string }[];
  readonly start: Credential;
  /** The rights a "same as my start key" choice grants: the start key's rights, or a session's universe as a pseudo-right. */
  readonly startKeyRights: readonly number[];
  /** The world's tenant ids by name, and one id no tenant has yet. */
  readonly tenantIds: Readonly<Record<TenantName, string>> & { readonly new: string };
  /** The attacker's tenant: what it may reach when it starts in one; undefined for a system attacker. */
  readonly scope: string | undefined;
  /** A webhook of the system's scope and one of each tenant's (ARCHITECTURE.md, "Events"). */
  readonly webhookIds: Readonly<Record<"system" | TenantName, string>>;
}

const DAY = 86_400_000;
let worlds = 0;

/** Writes a fresh world for `shape` into `store`; every fixture user with a password has `password`. */
export async function buildWorld(store: SqliteStore, shape: AttackerShape, options: WorldOptions, password: PasswordRecord): Promise<World> {
  const prefix = `esc-${process.pid}-${++worlds}`;
  const userIds = Object.fromEntries(ROLES.map((role) => [role, `${prefix}-${role}`])) as Record<Role, string>;
  const now = new Date();
  const tenantIds = { A: `${prefix}-ta`, B: `${prefix}-tb`, new: `${prefix}-tnew` };
  for (const tenantId of [tenantIds.A, tenantIds.B]) await store.createTenant({ tenantId, name: tenantId, createdAt: now, updatedAt: now });
  const makeUser = (role: Role, admin: boolean, withPassword: boolean, suspended = false, tenant?: TenantName) => {
    const user: UserRecord = { userId: userIds[role], name: role, email: "", admin, state: suspended ? "suspended" : "active", createdAt: now, updatedAt: now };
    if (tenant !== undefined) user.tenantId = tenantIds[tenant];
    return store.createUser(user, withPassword ? password : undefined);
  };
  await makeUser("attacker", shape.admin, options.attackerHasPassword, false, shape.inTenant ? "A" : undefined);
  await makeUser("a-admin", true, true, false, "A");
  await makeUser("a-user", false, true, false, "A");
  await makeUser("b-admin", true, true, false, "B");
  await makeUser("b-user", false, true, false, "B");
  await makeUser("other-admin", true, true);
  await makeUser("user", false, true);
  await makeUser("suspended-admin", true, true, true);
  await makeUser("no-password", false, false);

  const keys: { id: string; name: string }[] = [];
  const makeKey = async (role: Role, rights: number[], name: string, graceOldSecret = false, limits: Pick<Parameters<typeof newApiKey>[0], "rateLimit" | "remainingUses" | "refill"> = {}) => {
    const made = newApiKey({ userId: userIds[role], name, rights, now, ...limits });
    if (graceOldSecret) {
      // Regenerated an hour of grace ago: the old secret (the attacker's) still works, the new one is the owner's.
      const fresh = generateKey(made.record.id);
      made.record.previousSecretHash = made.record.secretHash;
      made.record.previousSecretValidUntil = new Date(now.getTime() + 3_600_000);
      made.record.secretHash = hashSecret(fresh.secret);
      issuedKeys.add(fresh.key);
    }
    await store.createApiKey(made.record, { maxKeysPerUser: 1000 });
    issuedKeys.add(made.key);
    keys.push({ id: made.record.id, name: `${role}'s ${keys.length === 0 ? "start " : ""}key ${name}` });
    return made.key;
  };
  const sessions: { id: string; name: string }[] = [];
  const makeSession = async (role: Role) => {
    const session = await writeSession(store, userIds[role], "escalation fixture", now);
    sessions.push({ id: session.id, name: `${role}'s session ${sessions.length + 1}` });
    return session.token;
  };

  let start: string;
  if (shape.credential === "session") start = await makeSession("attacker");
  else start = await makeKey("attacker", [...shape.rights], short(shape.rights), shape.credential === "grace", shape.metered ? START_LIMITS : {});
  // The attacker's user has broader keys than the one it holds, and a session it does not hold.
  await makeKey("attacker", [shape.admin ? Right.ALL : Right.USER_ALL], shape.admin ? "{ALL}" : "{USER_ALL}");
  await makeKey("attacker", [Right.USER_INFO], "{USER_INFO}");
  await makeKey("attacker", [Right.USER_INFO], "{USER_INFO} metered", false, TIGHT_LIMITS);
  if (shape.credential !== "session") await makeSession("attacker");
  await makeKey("other-admin", [Right.ALL], "{ALL}");
  await makeKey("user", [Right.USER_ALL], "{USER_ALL}");
  await makeKey("suspended-admin", [Right.ALL], "{ALL}");
  await makeKey("no-password", [Right.USER_INFO], "{USER_INFO}");
  await makeSession("other-admin");
  await makeSession("user");
  await makeKey("a-admin", [Right.ALL], "{ALL}");
  await makeKey("a-user", [Right.USER_ALL], "{USER_ALL}");
  await makeKey("b-admin", [Right.ALL], "{ALL}");
  await makeKey("b-user", [Right.USER_ALL], "{USER_ALL}");
  await makeSession("a-user");
  await makeSession("b-user");
  // Webhook ids are key-id shaped (39 base32 characters).
  const webhookIds = { system: generateKey().id, A: generateKey().id, B: generateKey().id };
  for (const [scope, webhookId] of Object.entries(webhookIds)) {
    await store.createWebhook(
      {
        webhookId,
        // Loopback's discard port: a test delivery is refused at once and leaves the machine never.
        url: "http://127.0.0.1:9/escalation",
        eventTypes: [],
        enabled: false,
        secretSalt: "escalation",
        createdAt: now,
        updatedAt: now,
        delivery: { pending: 0, delivered: 0, failed: 0 },
        ...(scope === "system" ? {} : { tenantId: tenantIds[scope as TenantName] }),
      },
      1_000_000,
    );
  }

  return {
    webhookIds,
    prefix,
    shape,
    userIds,
    keys,
    sessions,
    start: credentialOf(`start: ${shape.label}`, start),
    startKeyRights: shape.credential === "session" ? [shape.admin ? Right.ALL : Right.USER_ALL] : shape.rights,
    tenantIds,
    scope: shape.inTenant ? tenantIds.A : undefined,
  };
}

/** A users row, as stored (the password hash included: a change of it is a change of the user). */
export interface UserRow {
  readonly user_id: string;
  readonly admin: number;
  readonly state: string;
  readonly password_hash: string | null;
  /** The user's tenant; null for a system user. */
  readonly tenant_id: string | null;
  readonly [column: string]: unknown;
}

/** An api_keys row, as stored, without the columns that record use (not changes). */
export interface KeyRow {
  readonly id: string;
  readonly user_id: string;
  readonly rights: string;
  readonly state: string;
  readonly secret_hash: string;
  readonly previous_secret_hash: string | null;
  readonly previous_secret_valid_until: number | null;
  readonly expires_at: number | null;
  readonly [column: string]: unknown;
}

/** A sessions row, as stored, without its last use. */
export interface SessionRow {
  readonly id: string;
  readonly user_id: string;
  readonly secret_hash: string;
  readonly expires_at: number;
  readonly [column: string]: unknown;
}

/** Every stored record of one world at one moment. */
export interface Snapshot {
  readonly at: number;
  readonly users: ReadonlyMap<string, UserRow>;
  readonly keys: ReadonlyMap<string, KeyRow>;
  readonly sessions: ReadonlyMap<string, SessionRow>;
  /** The world's tenants (ARCHITECTURE.md, "Tenants"), and any the attacker made. */
  readonly tenants: ReadonlyMap<string, Record<string, unknown>>;
}

/** Columns that move with use, not with a change anyone made. */
const USE_COLUMNS = ["last_used_at", "last_used_ip", "last_used_user_agent"];

/** Reads snapshots of worlds from the server's SQLite file, on a read-only connection of its own. */
export class WorldReader {
  readonly #db: Database.Database;

  constructor(file: string) {
    this.#db = new Database(file, { readonly: true });
  }

  snapshot(world: World): Snapshot {
    const like = `${world.prefix}-%`;
    const rows = (sql: string) => this.#db.prepare(sql).all(like) as Record<string, unknown>[];
    const strip = (row: Record<string, unknown>) => Object.fromEntries(Object.entries(row).filter(([c]) => !USE_COLUMNS.includes(c)));
    const byId = <T>(list: Record<string, unknown>[], id: string) => new Map(list.map((r) => [String(r[id]), strip(r) as T]));
    return {
      at: Date.now(),
      users: byId<UserRow>(rows("SELECT * FROM users WHERE user_id LIKE ? ORDER BY user_id"), "user_id"),
      keys: byId<KeyRow>(rows("SELECT * FROM api_keys WHERE user_id LIKE ? ORDER BY created_at, id"), "id"),
      sessions: byId<SessionRow>(rows("SELECT * FROM sessions WHERE user_id LIKE ? ORDER BY created_at, id"), "id"),
      tenants: byId<Record<string, unknown>>(rows("SELECT * FROM tenants WHERE tenant_id LIKE ? ORDER BY tenant_id"), "tenant_id"),
    };
  }

  close(): void {
    this.#db.close();
  }
}
