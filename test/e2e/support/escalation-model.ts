/**
 * The escalation invariant, judged from stored records alone (the invariant of ARCHITECTURE.md, "Rights and access"): no sequence of calls
 * made with a credential C yields a credential whose effective rights exceed C's, nor changes a principal
 * broader than C. Written from the design's words on top of the reference model's `expand`, `universe` and
 * `effective` (support/access-model.ts); nothing here asks the server what a credential may do, so a bug
 * in the server's own reckoning cannot hide in both.
 *
 * - A credential's power is read from the store: a key secret (current, or the previous one inside its
 *   grace) of an active, unexpired key gives expand(rights) ∩ universe(owner); a live session gives its
 *   owner's universe; a password the attacker chose that matches a user's stored hash gives the session
 *   it could sign in with, that user's universe. A suspended owner's credentials give nothing.
 * - A change to user T (any column, its password hash included, or the end of one of its sessions) needs
 *   U(T before) and U(T after) within the start rights, U being the universe T's admin flag gives,
 *   suspension aside. Not a change: creating a user with neither password nor admin. Exempt: the
 *   attacker's own user changed by a credential of its own, touching neither `admin` nor `state`, with the
 *   method's own-user rights held.
 * - A change to a key (any column but its use) needs expand(rights) before and after within the start
 *   rights, less what the key's owner can never hold where it lives (RIGHT_ADMIN_TENANTS in a tenant);
 *   keys that go with their deleted owner are judged as that owner's deletion.
 * - Grace rule: a call made with an old secret in its grace period creates, changes, deletes or
 *   regenerates no key, sets no password and grants no admin.
 * - Metered rule (ARCHITECTURE.md, "Keys"): a call made with a key that has a rate limit or usage credits
 *   creates no key, regenerates no key but itself, sets no password and loosens no key's limits (removes
 *   or raises a rate limit, the uses left or a refill, or adds a refill; uses compared as of the later
 *   snapshot, a refill that fell due counted, so the uses the call itself spent are no change).
 * - Self-rotation: a key's current secret giving that key a new secret (nothing else changed) is no
 *   change of a broader principal, even when the key's rights exceed its owner's universe: the new
 *   secret's power is the old one's.
 * - Tenant scope (ARCHITECTURE.md, "Tenants"): an attacker that starts in a tenant changes, creates or
 *   deletes no user (nor its keys or sessions) outside that tenant, and no credential it holds, nor any
 *   session a chosen password could open, reaches a user outside it. Only a start holding
 *   RIGHT_ADMIN_TENANTS changes a tenant.
 */
import { hash } from "node:crypto";
import { getOption, hasOption, type DescMethod } from "@bufbuild/protobuf";
import { verify } from "@node-rs/argon2";
import { access } from "../../../gen/keyward/v1/rights_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { effective, expand, reachable, rightName, universe } from "./access-model.js";
import type { Credential, KeyRow, Snapshot, UserRow, World } from "./escalation-world.js";

/** What a credential may do at one moment. */
export interface Power {
  readonly rights: ReadonlySet<number>;
  /** The user the credential acts as, when it authenticates at all. */
  readonly owner: string | undefined;
  /** An old secret inside its grace period. */
  readonly grace: boolean;
  /** The key the credential is, when it is a key's secret. */
  readonly keyId?: string;
  /** That key has a rate limit or usage credits. */
  readonly metered?: boolean;
}

const NOTHING: Power = { rights: new Set(), owner: undefined, grace: false };
const sha256 = (secret: string) => `sha256:${hash("sha256", secret, "base64url")}`;
const holder = (user: UserRow) => ({ admin: user.admin === 1, suspended: user.state !== "active", tenant: user.tenant_id ?? undefined });
/** U(user): the universe its admin flag and tenant give, suspension aside; nothing for a user that does not exist. */
const flagUniverse = (user: UserRow | undefined): ReadonlySet<number> =>
  user ? universe({ admin: user.admin === 1, suspended: false, tenant: user.tenant_id ?? undefined }) : new Set();
/** Whether `user` lies outside the attacker's tenant, when it started in one. */
const outOfScope = (world: World, user: UserRow | undefined) => world.scope !== undefined && user !== undefined && user.tenant_id !== world.scope;
/** A key's rights, expanded, that its owner could ever hold where it lives (a tenant's user never holds RIGHT_ADMIN_TENANTS). */
const keyRights = (key: KeyRow | undefined, owner: UserRow | undefined): ReadonlySet<number> => {
  if (!key) return new Set();
  const reach = reachable(owner?.tenant_id ?? undefined);
  return new Set([...expand(JSON.parse(key.rights) as number[])].filter((r) => reach.has(r)));
};

/** The power of `credential` in `snapshot`. */
export function powerOf(credential: Credential, snapshot: Snapshot): Power {
  const presented = sha256(credential.secret);
  if (credential.kind === "session") {
    const session = snapshot.sessions.get(credential.id);
    const owner = session && snapshot.users.get(session.user_id);
    if (!session || !owner || session.secret_hash !== presented || session.expires_at <= snapshot.at) return NOTHING;
    return { rights: universe(holder(owner)), owner: owner.user_id, grace: false };
  }
  const key = snapshot.keys.get(credential.id);
  const owner = key && snapshot.users.get(key.user_id);
  if (!key || !owner) return NOTHING;
  const current = key.secret_hash === presented;
  const grace = !current && key.previous_secret_hash === presented && (key.previous_secret_valid_until ?? 0) > snapshot.at;
  if (!current && !grace) return NOTHING;
  if (key.state !== "active" || (key.expires_at !== null && key.expires_at <= snapshot.at)) return NOTHING;
  return { rights: effective(JSON.parse(key.rights) as number[], holder(owner)), owner: owner.user_id, grace, keyId: key.id, metered: isMetered(key) };
}

const isMetered = (key: KeyRow) => key["rate_limit_requests"] != null || key["remaining_uses"] != null;

/** The uses `key` has left at `at`: its stored count, or its refill's amount once a refill fell due. Undefined: unlimited. */
function usesAt(key: KeyRow, at: number): number | undefined {
  const [remaining, amount, period, since] = [key["remaining_uses"], key["refill_amount"], key["refill_period_ms"], key["refilled_at"]] as (number | null)[];
  if (remaining == null) return undefined;
  return amount != null && period != null && since != null && at - since >= period ? amount : remaining;
}

/** The most uses a server leases at once, and so gives back at once. */
const LEASE_BLOCK_MAX = 100;

/**
 * Whether `was` became `now` by use alone: only the count of uses moved, within one count (the same
 * `refilled_at`), down by uses leased or up by at most one lease given back. Using a key is not touching it.
 */
function usedOnly(was: KeyRow, now: KeyRow): boolean {
  const moved = Object.keys({ ...was, ...now }).filter((column) => !same(was[column], now[column]));
  if (moved.length !== 1 || moved[0] !== "remaining_uses" || was["remaining_uses"] == null || now["remaining_uses"] == null) return false;
  return (now["remaining_uses"] as number) <= (was["remaining_uses"] as number) + LEASE_BLOCK_MAX;
}

/** What the change of `was` to `now` loosens, read from the design's words; undefined when nothing. */
function loosened(was: KeyRow, now: KeyRow, at: number): string | undefined {
  const [r1, p1, r2, p2] = [was["rate_limit_requests"], was["rate_limit_period_ms"], now["rate_limit_requests"], now["rate_limit_period_ms"]] as (number | null)[];
  if (r1 != null && (r2 == null || r2 > r1! || r2 * p1! > r1! * p2!)) return "removed or raised its rate limit";
  const [left, willHave] = [usesAt(was, at), usesAt(now, at)];
  // Within one count (the same `refilled_at`) the count rises only by a lease given back (the meter returns
  // a changed key's unused block, at most 100 uses); a new count starts a new epoch and may not rise at all.
  const returned = was["refilled_at"] === now["refilled_at"] ? LEASE_BLOCK_MAX : 0;
  if (left !== undefined && (willHave === undefined || willHave > left + returned)) return `removed or raised its uses (${left} → ${willHave ?? "unlimited"})`;
  const [a1, q1, a2, q2] = [was["refill_amount"], was["refill_period_ms"], now["refill_amount"], now["refill_period_ms"]] as (number | null)[];
  if (a2 != null && (a1 == null || a2 > a1 || a2 * q1! > a1 * q2!)) return "added or raised its refill";
  return undefined;
}

/** Columns a regenerate writes. */
const SECRET_COLUMNS = new Set(["secret_hash", "previous_secret_hash", "previous_secret_valid_until", "updated_at", "refilled_at"]);

/** Readable names for a world's ids, so a failure reads as a story rather than a list of random ids. */
export class Names {
  readonly #names = new Map<string, string>();
  /** Every key and session id ever seen, in the order first seen (fixtures first), deleted ones included. */
  readonly keyIds: string[] = [];
  readonly sessionIds: string[] = [];
  /** The owner of every key and session ever seen. */
  readonly owners = new Map<string, string>();

  constructor(readonly world: World) {
    for (const [role, id] of Object.entries(world.userIds)) this.#names.set(id, role);
    for (const key of world.keys) this.#add(this.keyIds, key.id, key.name);
    for (const session of world.sessions) this.#add(this.sessionIds, session.id, session.name);
  }

  /** Learns the owners of the records of `snapshot`, and names those that have no name yet (made during the sequence). */
  learn(snapshot: Snapshot): void {
    for (const record of [...snapshot.keys.values(), ...snapshot.sessions.values()]) this.owners.set(record.id, record.user_id);
    for (const key of snapshot.keys.values()) {
      if (!this.#names.has(key.id)) {
        this.#add(this.keyIds, key.id, `new key #${this.keyIds.length - this.world.keys.length + 1} of ${this.of(key.user_id)} ${rightsText(JSON.parse(key.rights) as number[])}`);
      }
    }
    for (const session of snapshot.sessions.values()) {
      if (!this.#names.has(session.id)) {
        this.#add(this.sessionIds, session.id, `new session #${this.sessionIds.length - this.world.sessions.length + 1} of ${this.of(session.user_id)}`);
      }
    }
  }

  #add(ids: string[], id: string, name: string): void {
    ids.push(id);
    this.#names.set(id, name);
  }

  of(id: string): string {
    return this.#names.get(id) ?? id;
  }
}

/** `{USER_INFO,ADMIN_ALL}`. */
export function rightsText(rights: Iterable<number>): string {
  return `{${[...rights]
    .sort((a, b) => a - b)
    .map((r) => rightName(r).replace(/^RIGHT_/, ""))
    .join(",")}}`;
}

const beyond = (rights: Iterable<number>, start: ReadonlySet<number>) => [...rights].filter((r) => !start.has(r));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One call, as the judge of its effects needs it. */
export interface CallFacts {
  /** The power of the credential the call carried, at call time; undefined for an anonymous call. */
  readonly caller: Power | undefined;
  /** The method called; undefined for forward auth. */
  readonly method: DescMethod | undefined;
}

/** What the changes between `before` and `after`, made by one call, break of the invariant and the grace rule. */
export function changeProblems(before: Snapshot, after: Snapshot, call: CallFacts, start: ReadonlySet<number>, world: World, names: Names): string[] {
  const problems: string[] = [];
  const ownUserRights = call.method && hasOption(call.method, access) ? getOption(call.method, access).ownUserRights : undefined;
  const grace = call.caller?.grace === true;

  for (const userId of new Set([...before.users.keys(), ...after.users.keys()])) {
    const was = before.users.get(userId);
    const now = after.users.get(userId);
    const endedSessions = [...before.sessions.values()].filter((s) => s.user_id === userId && !after.sessions.has(s.id));
    if (same(was, now) && endedSessions.length === 0) continue;
    const who = names.of(userId);
    const what = describeUserChange(was, now, endedSessions.length);
    if (grace && now?.password_hash != null && now.password_hash !== was?.password_hash) {
      problems.push(`an old secret in its grace period set the password of ${who}`);
    }
    if (grace && now?.admin === 1 && was?.admin !== 1) problems.push(`an old secret in its grace period made ${who} an admin`);
    if (call.caller?.metered && now?.password_hash != null && now.password_hash !== was?.password_hash) {
      problems.push(`a metered key set the password of ${who}`);
    }
    // Creating a user with neither a password nor admin gives no one anything.
    if (!was && now && now.password_hash === null && now.admin === 0) continue;
    const selfService =
      userId === world.userIds.attacker &&
      call.caller?.owner === userId &&
      was !== undefined &&
      (now === undefined || (now.admin === was.admin && now.state === was.state)) &&
      ownUserRights !== undefined &&
      ownUserRights.every((r) => call.caller!.rights.has(r));
    if (selfService) continue;
    if (outOfScope(world, was) || outOfScope(world, now)) problems.push(`reached ${who} outside tenant A (${what})`);
    const outside = beyond(new Set([...flagUniverse(was), ...flagUniverse(now)]), start);
    if (outside.length > 0) problems.push(`changed ${who} (${what}), whose universe holds ${rightsText(outside)} beyond the start rights`);
  }

  for (const tenantId of new Set([...before.tenants.keys(), ...after.tenants.keys()])) {
    if (same(before.tenants.get(tenantId), after.tenants.get(tenantId)) || start.has(Right.ADMIN_TENANTS)) continue;
    problems.push(`changed tenant ${tenantId} without RIGHT_ADMIN_TENANTS in the start rights`);
  }

  for (const keyId of new Set([...before.keys.keys(), ...after.keys.keys()])) {
    const was = before.keys.get(keyId);
    const now = after.keys.get(keyId);
    if (same(was, now) || (was && now && usedOnly(was, now))) continue;
    // A key that went with its deleted owner is judged as that owner's deletion, above.
    if (was && !now && !after.users.has(was.user_id)) continue;
    const what = !was ? "created" : !now ? "deleted" : `changed ${Object.keys(now).filter((c) => !same(was[c], now[c])).join(", ")}`;
    if (grace) problems.push(`an old secret in its grace period touched ${names.of(keyId)} (${what})`);
    const changed = was && now ? Object.keys(now).filter((c) => !same(was[c], now[c])) : [];
    const regenerated = changed.includes("secret_hash");
    if (call.caller?.metered) {
      if (!was) problems.push(`a metered key created ${names.of(keyId)}`);
      if (regenerated && keyId !== call.caller.keyId) problems.push(`a metered key regenerated ${names.of(keyId)}`);
      const loose = was && now ? loosened(was, now, after.at) : undefined;
      if (loose !== undefined) problems.push(`a metered key ${loose.replace("its", `the limits of ${names.of(keyId)}:`)}`);
    }
    // Self-rotation: the caller's own key, its current secret, gave itself a new secret and nothing else.
    if (!grace && keyId === call.caller?.keyId && regenerated && changed.every((c) => SECRET_COLUMNS.has(c))) continue;
    const owner = before.users.get((was ?? now)!.user_id) ?? after.users.get((was ?? now)!.user_id);
    if (outOfScope(world, owner)) problems.push(`${what} ${names.of(keyId)} of ${names.of(owner!.user_id)}, outside tenant A`);
    const outside = beyond(new Set([...keyRights(was, owner), ...keyRights(now, owner)]), start);
    if (outside.length > 0) problems.push(`${what} ${names.of(keyId)}, whose rights hold ${rightsText(outside)} beyond the start rights`);
  }
  return problems;
}

function describeUserChange(was: UserRow | undefined, now: UserRow | undefined, endedSessions: number): string {
  if (!was) return `created${now!.admin === 1 ? " as admin" : ""}${now!.password_hash !== null ? " with a password" : ""}`;
  if (!now) return "deleted";
  const columns = Object.keys(now).filter((c) => !same(was[c], now[c]) && c !== "updated_at" && c !== "password_set_at");
  const changed = columns.map((c) => (c === "password_hash" ? "password" : c === "admin" || c === "state" ? `${c} ${String(was[c])}→${String(now[c])}` : c));
  if (endedSessions > 0) changed.push(`${endedSessions} session(s) ended`);
  return changed.join(", ") || "updated";
}

/** The passwords the attacker chose, and which users' stored hashes they match (argon2 checks, remembered). */
export class ChosenPasswords {
  static readonly #checked = new Map<string, boolean>();
  readonly #chosen = new Set<string>();

  choose(password: string): void {
    this.#chosen.add(password);
  }

  /** Each user of `snapshot` whose password is one the attacker chose, with that password. */
  async matches(snapshot: Snapshot): Promise<{ userId: string; password: string }[]> {
    const found: { userId: string; password: string }[] = [];
    for (const user of snapshot.users.values()) {
      if (user.password_hash === null) continue;
      for (const password of this.#chosen) {
        const memo = `${user.password_hash}\n${password}`;
        let matches = ChosenPasswords.#checked.get(memo);
        if (matches === undefined) {
          matches = await verify(user.password_hash, password).catch(() => false);
          ChosenPasswords.#checked.set(memo, matches);
        }
        if (matches) found.push({ userId: user.user_id, password });
      }
    }
    return found;
  }
}

/**
 * What the credentials the attacker holds or could get break of the invariant in `snapshot`: each held
 * credential, and a sign-in with each chosen password that matches a user's.
 */
export async function credentialProblems(
  snapshot: Snapshot,
  held: readonly Credential[],
  passwords: ChosenPasswords,
  start: ReadonlySet<number>,
  names: Names,
  passwordName: (password: string) => string,
  world?: World,
): Promise<string[]> {
  const problems: string[] = [];
  for (const credential of held) {
    const power = powerOf(credential, snapshot);
    const outside = beyond(power.rights, start);
    if (outside.length > 0) problems.push(`${credential.label} holds ${rightsText(outside)} beyond the start rights`);
    const owner = power.owner === undefined ? undefined : snapshot.users.get(power.owner);
    if (world && outOfScope(world, owner)) problems.push(`${credential.label} acts as ${names.of(owner!.user_id)}, outside tenant A`);
  }
  for (const { userId, password } of await passwords.matches(snapshot)) {
    if (world && outOfScope(world, snapshot.users.get(userId))) {
      problems.push(`a sign-in as ${names.of(userId)} with ${passwordName(password)}, which the attacker chose, reaches a user outside tenant A`);
    }
    const outside = beyond(universe(holder(snapshot.users.get(userId)!)), start);
    if (outside.length > 0) {
      problems.push(`a sign-in as ${names.of(userId)} with ${passwordName(password)}, which the attacker chose, would hold ${rightsText(outside)} beyond the start rights`);
    }
  }
  return problems;
}
