/**
 * An independent reference model of ARCHITECTURE.md, "Rights and access" and "Tenants" (method access,
 * tenant scope, the grant, key-access and user-access rules, the first-password and grace rules), for the
 * authorization matrix. It is written from the design's
 * words, reads the `Right` enum and each method's declared `(keyward.v1.access)` option from the
 * descriptors, and imports nothing from src/rights, src/authn or src/authz, so a bug there cannot hide in both.
 */
import { getOption, hasOption, type DescMethod } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { Right, RightSchema, access } from "../../../gen/keyward/v1/rights_pb.js";

/** Every right of the enum except RIGHT_INVALID, by number. */
export const ALL_RIGHTS: readonly number[] = RightSchema.values.filter((v) => v.number !== 0).map((v) => v.number);
const NAMES = new Map(RightSchema.values.map((v) => [v.number, v.name]));

/** A right's enum name. */
export function rightName(right: number): string {
  return NAMES.get(right) ?? String(right);
}

/** `*_ALL` means every right whose name starts with the same prefix, itself included; others mean themselves. */
export function expand(rights: readonly number[]): Set<number> {
  const out = new Set<number>();
  for (const right of rights) {
    const name = rightName(right);
    if (!name.endsWith("_ALL")) out.add(right);
    else for (const other of ALL_RIGHTS) if (rightName(other).startsWith(name.slice(0, -"ALL".length))) out.add(other);
  }
  return out;
}

/** Where a user lives: a tenant's id, or undefined for a system user. */
export type Place = string | undefined;

/** What decides a universe. */
export interface Owner {
  readonly admin: boolean;
  readonly suspended: boolean;
  readonly tenant?: Place;
}

/** Every right a user of `tenant` may ever hold: all, but RIGHT_ADMIN_TENANTS is for system admins only. */
export function reachable(tenant: Place): Set<number> {
  return new Set(ALL_RIGHTS.filter((r) => tenant === undefined || r !== Right.ADMIN_TENANTS));
}

/**
 * What a user may hold: the user family; every right for admins, less RIGHT_ADMIN_TENANTS for a tenant
 * admin; nothing while suspended.
 */
export function universe(owner: Owner): Set<number> {
  if (owner.suspended) return new Set();
  return owner.admin ? reachable(owner.tenant) : expand([Right.USER_ALL]);
}

/** expand(key rights) ∩ universe(owner). */
export function effective(keyRights: readonly number[], owner: Owner): Set<number> {
  const allowed = universe(owner);
  return new Set([...expand(keyRights)].filter((r) => allowed.has(r)));
}

const holdsAll = (held: ReadonlySet<number>, wanted: Iterable<number>) => [...wanted].every((r) => held.has(r));

/** What the model predicts: success, or the code and reason of the refusal. */
export type Expectation = { ok: true } | { ok: false; code: Code; reason: string };

const OK: Expectation = { ok: true };
const refused = (code: Code, reason: string): Expectation => ({ ok: false, code, reason });

/** What one call asks, in the terms of ARCHITECTURE.md, "Rights and access". */
export interface AccessQuestion {
  readonly method: DescMethod;
  readonly caller: {
    readonly userId: string;
    readonly admin: boolean;
    readonly suspended: boolean;
    readonly keyRights: readonly number[];
    /** The caller uses its key's old secret, still accepted during a regenerate's grace period. */
    readonly superseded: boolean;
    readonly tenant?: Place;
  };
  /** The user named by the method's `user_field`, when it has one. */
  readonly subjectUserId: string | undefined;
  /** Where that user lives. */
  readonly subjectTenant?: Place;
  /** The webhook a call names, by where it lives (its tenant, or undefined for the system's); undefined: none. */
  readonly webhookTenant?: { readonly tenant: Place } | undefined;
  /** The tenant a request names (`CreateUser`'s `user.tenant_id`, `ListUsers`' `tenant_id`); undefined for none. */
  readonly namesTenant?: Place;
  /** The key id in the path belongs to a user other than the path's. */
  readonly foreignKey: boolean;
  /** The rights of the existing key the call touches (changes, disables, regenerates, deletes). */
  readonly touches: readonly number[] | undefined;
  /** Rights the call gives or takes: from `before` to `after` on a key of `owner`. */
  readonly grants:
    | { readonly before: readonly number[]; readonly after: readonly number[]; readonly ownerAdmin: boolean; readonly ownerTenant?: Place }
    | undefined;
  /** The user the call changes, in the sense of the user-access rule; undefined when it changes none. */
  readonly changesUser: UserChange | undefined;
  /**
   * The owner of a credential the call issues — a new key, a regenerated secret, rights added to a key —
   * and its admin flag; undefined when the call issues none.
   */
  readonly issuesFor?: { readonly userId: string; readonly admin: boolean; readonly tenant?: Place } | undefined;
}

/**
 * A change of one user: creating it with a password or as an admin, changing any of its fields, setting its
 * password, deleting it, ending one of its sessions.
 */
export interface UserChange {
  readonly userId: string;
  /** Its admin flag before the call; undefined when the call creates it. */
  readonly adminBefore: boolean | undefined;
  readonly adminAfter: boolean;
  /** Where the user lives (or, created, will live). */
  readonly tenant?: Place;
  /** The call changes `admin` or `state`. */
  readonly adminOrState: boolean;
  /** The call sets a password or makes the user an admin: it mints a credential of that user. */
  readonly mintsCredential: boolean;
  /** For a password change: whether the user has a password now, and whether the call gives the current one (rightly). */
  readonly password?: { readonly hasOne: boolean; readonly currentGiven: boolean };
}

/** The answer ARCHITECTURE.md ("Rights and access", "Credentials and errors") requires for `question`. */
export function expectedAnswer(question: AccessQuestion): Expectation {
  const { method, caller } = question;
  if (!hasOption(method, access)) return refused(Code.PermissionDenied, "ACCESS_UNDECLARED");
  const rule = getOption(method, access);
  if (rule.public) return OK;
  if (caller.suspended) return refused(Code.Unauthenticated, "USER_SUSPENDED");
  const held = effective(caller.keyRights, caller);
  // On oneself the own-user rights are needed, unless the caller holds the other-user (admin) rights.
  const onSelf = rule.userField !== "" && question.subjectUserId === caller.userId;
  const needed = onSelf && !holdsAll(held, rule.otherUserRights) ? rule.ownUserRights : rule.otherUserRights;
  if (!holdsAll(held, needed)) return refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
  // Tenant scope: a tenant's user reaches only its tenant's users; anyone else is as if missing.
  if (caller.tenant !== undefined) {
    // A call that names no user (an optional user field left empty) covers the caller's scope: nothing to refuse here.
    const named = rule.userField !== "" && question.subjectUserId !== undefined;
    if (named && question.subjectUserId !== caller.userId && question.subjectTenant !== caller.tenant) {
      return refused(Code.NotFound, "USER_NOT_FOUND");
    }
    if (question.namesTenant !== undefined && question.namesTenant !== caller.tenant) return refused(Code.NotFound, "TENANT_NOT_FOUND");
    // Webhooks are scoped as users are: another tenant's, or the system's, is as if missing.
    if (question.webhookTenant !== undefined && question.webhookTenant.tenant !== caller.tenant) return refused(Code.NotFound, "WEBHOOK_NOT_FOUND");
  }
  if (question.foreignKey) return refused(Code.NotFound, "API_KEY_NOT_FOUND");
  // Grace rule: an old secret may call, but not touch or create keys, set passwords or grant admin.
  const mints = question.touches !== undefined || question.grants !== undefined || question.changesUser?.mintsCredential === true;
  if (caller.superseded && mints) return refused(Code.PermissionDenied, "API_KEY_SECRET_SUPERSEDED");
  // Key-access rule: touching a key needs every right of it, expanded, that anyone where the caller lives may hold.
  const touched = question.touches && [...expand(question.touches)].filter((r) => reachable(caller.tenant).has(r));
  if (touched && !holdsAll(held, touched)) return refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
  if (question.grants) {
    // Grant rule: every right added or removed must be held; added rights must lie in the owner's universe.
    const { before, after, ownerAdmin, ownerTenant } = question.grants;
    const changed = [...after.filter((r) => !before.includes(r)), ...before.filter((r) => !after.includes(r))];
    if (!holdsAll(held, changed)) return refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
    const added = after.filter((r) => !before.includes(r));
    if (!holdsAll(universe({ admin: ownerAdmin, suspended: false, tenant: ownerTenant }), added)) {
      return refused(Code.PermissionDenied, "RIGHTS_OUTSIDE_OWNER_UNIVERSE");
    }
  }
  // Issuing a credential for another user is acting on that user: its key could act on the user itself
  // with the user's own-user rights, so the caller must hold the user's universe.
  const issuedFor = question.issuesFor;
  if (issuedFor && issuedFor.userId !== caller.userId && !holdsAll(held, universe({ admin: issuedFor.admin, suspended: false, tenant: issuedFor.tenant }))) {
    return refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
  }
  if (question.changesUser) return userAccess(question.changesUser, caller.userId, held, rule.ownUserRights);
  return OK;
}

/**
 * The user-access rule. Self-service (one's own user, neither `admin` nor `state`, the method's own-user
 * rights held) is decided by those rights: a password change then needs the current password, or for a
 * first password the user's whole universe. Anything else needs the user's universe before and after
 * the call (suspension ignored: it ends), and RIGHT_ADMIN_USERS_WRITE for `admin` or `state`.
 */
function userAccess(change: UserChange, callerId: string, held: ReadonlySet<number>, ownUserRights: readonly number[]): Expectation {
  const selfService = change.userId === callerId && !change.adminOrState && holdsAll(held, ownUserRights);
  if (selfService) {
    if (change.password === undefined) return OK;
    if (!change.password.hasOne) {
      return holdsAll(held, universe({ admin: change.adminAfter, suspended: false, tenant: change.tenant })) ? OK : refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
    }
    return change.password.currentGiven ? OK : refused(Code.InvalidArgument, "VALIDATION_FAILED");
  }
  const needed = new Set(universe({ admin: change.adminAfter, suspended: false, tenant: change.tenant }));
  if (change.adminBefore !== undefined) for (const r of universe({ admin: change.adminBefore, suspended: false, tenant: change.tenant })) needed.add(r);
  if (change.adminOrState) needed.add(Right.ADMIN_USERS_WRITE);
  return holdsAll(held, needed) ? OK : refused(Code.PermissionDenied, "INSUFFICIENT_RIGHTS");
}
