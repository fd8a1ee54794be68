/**
 * Principal access: the one place that decides what a caller may do to principals — API keys, users, their
 * passwords and sessions — beyond calling the method. The authorization interceptor (authorization.ts) has
 * already checked the method's rights from its proto option; the rules here judge the records the call
 * changes. Every operation calls them inside the store's write (an updater or a guard), so the decision and
 * the write see the same stored record; no handler decides any of this itself.
 *
 * The invariant they keep: no sequence of calls made with a credential yields a credential (a key secret, a
 * session, a password the caller knows) whose effective rights exceed the caller's, and no call changes a
 * principal broader than the caller.
 *
 * - Grant rule (The Things Stack's): a caller may give, add or remove only rights it holds (a pseudo-right
 *   only if it holds that pseudo-right), and a key's rights must lie within its owner's universe.
 * - Key-access rule: a caller may touch an existing key (change any field, disable, enable, regenerate,
 *   delete) only when its effective rights include every right of that key, expanded. Regenerating hands
 *   out a working secret and extending an expiry lengthens a credential's life: both are granting.
 * - User-access rule: a password, a session and the admin flag are credentials too, since a session carries
 *   its user's whole universe. So a call that changes a user — creates it with a password or as an admin,
 *   changes any of its fields, sets its password, deletes it, ends one of its sessions, or issues it a
 *   credential (a key, a regenerated secret, rights added to its key) — needs the caller's
 *   effective rights to include that user's universe before and after the call. The universe here ignores
 *   suspension: a password or admin flag set on a suspended user becomes live when it is reactivated.
 *   Self-service is the exception: on one's own user, without touching `admin` or `state`, holding the
 *   method's own-user rights (its `own_user_rights` in the proto) is what decides.
 * - First-password rule: setting the first password of one's own user needs the user's whole universe
 *   (a narrower key must not mint a session broader than itself); changing it needs the current password.
 * - Tenant scope (tenant-scope.ts): every rule here first refuses a stored user the caller does not
 *   reach with `USER_NOT_FOUND`, inside the write, as the interceptor did before the handler ran; a user
 *   removed and created again in another tenant under the same id is judged as it is now.
 * - Grace rule: a key's previous secret, accepted during a regenerate's grace period, may call with the
 *   key's rights but may not create, change, regenerate or delete keys, set passwords or grant admin: only
 *   the current secret can, so a leaked old secret can neither take the key over nor mint a new credential.
 * - Metered rule: a key with a rate limit or usage credits may not mint a credential, which would not be
 *   metered (create a key, regenerate a key other than itself, set a password, create a user with one),
 *   and may not loosen any key's limits, itself included (remove or raise a rate limit, the remaining uses
 *   or a refill; add a refill). Lowering is allowed. A session is never metered.
 * - Self-rotation (`key_id` `self`): the calling key regenerating itself needs the grace rule only; the new
 *   secret carries exactly what the old one did, so neither the key-access nor the metered rule applies.
 */
import type { HandlerContext } from "@connectrpc/connect";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import {
  ApiKeyMetered,
  ApiKeySecretSuperseded,
  InsufficientRights,
  KeyRightsNotHeld,
  RightsOutsideOwnerUniverse,
  UserRightsNotHeld,
  validationFailed,
} from "../errors/errors.js";
import { changedRights, missingRights, rights } from "../rights/index.js";
import type { ApiKeyRecord, UserRecord } from "../store/store.js";
import { creditsAt } from "../store/usage-credits.js";
import { accessRuleOf } from "./access-rules.js";
import { isMetered } from "../authn/key-meter.js";
import { principalOf, type Principal } from "../authn/principal.js";
import { enforceReach, scopeOf } from "./tenant-scope.js";

/** The caller of one call, as these rules judge it. */
export interface Caller {
  readonly principal: Principal;
  /** The called method's own-user rights (its proto access option): what self-service needs. */
  readonly ownUserRights: readonly number[];
}

/** The caller of the call `context` belongs to (a protected method). */
export function callerOf(context: Pick<HandlerContext, "values" | "method">): Caller {
  return { principal: principalOf(context), ownUserRights: accessRuleOf(context.method)?.ownUserRights ?? [] };
}

// --- API keys ---

/**
 * Creating a key of `owner` with `granted` rights: the grace rule, the grant rule, and for another user's
 * key the user-access rule (see {@link enforceIssueFor}).
 */
export function enforceCreateKey(caller: Caller, owner: UserRecord, granted: readonly number[]): void {
  enforceReach(caller.principal, owner);
  refuseSupersededSecret(caller);
  refuseMetered(caller, "create a key");
  enforceGrantRule(caller.principal, owner, [], granted);
  enforceIssueFor(caller, owner, "issue it a key");
}

/** What a touch of an existing key does beyond touching it, for {@link enforceTouchKey}. */
export interface KeyChange {
  /** The key's stored owner. */
  readonly owner: UserRecord;
  /** The rights the key is given. */
  readonly rights?: readonly number[] | undefined;
  /** The key gets a new secret, which the caller receives. */
  readonly regenerates?: boolean | undefined;
  /** The key as the change leaves it, when the change may move its limits; judged at `now`. */
  readonly after?: { readonly key: KeyLimits; readonly now: Date } | undefined;
}

/** The parts of a key the metered rule compares. */
export type KeyLimits = Pick<ApiKeyRecord, "rateLimit" | "remainingUses" | "refill" | "refilledAt">;

/**
 * Touching the existing `key` (changing any field, disabling, enabling, regenerating, deleting): the grace
 * rule and the key-access rule; with `change.rights`, the grant rule against the key's stored owner; and
 * when the touch hands the caller a secret or adds rights to another user's key, the user-access rule
 * (see {@link enforceIssueFor}).
 */
export function enforceTouchKey(caller: Caller, key: ApiKeyRecord, change?: KeyChange): void {
  if (change) enforceReach(caller.principal, change.owner);
  refuseSupersededSecret(caller);
  if (change?.regenerates && key.id !== caller.principal.key?.id) refuseMetered(caller, "regenerate another key", key);
  if (change?.after) {
    const loosened = loosening(key, change.after.key, change.after.now);
    if (loosened !== undefined) refuseMetered(caller, loosened, key);
  }
  const missing = missingRights(caller.principal.rights, keyPotential(caller, key));
  if (missing.length > 0) throw KeyRightsNotHeld.create({ key_id: key.id, missing: names(missing) });
  if (change === undefined) return;
  if (change.rights) enforceGrantRule(caller.principal, change.owner, key.rights, change.rights);
  if (change.regenerates) enforceIssueFor(caller, change.owner, "regenerate its key");
  else if (change.rights?.some((right) => !key.rights.includes(right))) enforceIssueFor(caller, change.owner, "give its key rights");
}

/**
 * Self-rotation: the calling key gives itself a new secret. Only the grace rule applies: the secret it
 * hands out carries exactly the rights, limits and credits of the one that asked, so nothing is granted.
 */
export function enforceRotateSelf(caller: Caller, key: ApiKeyRecord): void {
  if (caller.principal.key?.id !== key.id) throw new Error("enforceRotateSelf: the key is not the caller's own");
  refuseSupersededSecret(caller);
}

/**
 * What a change of `before`'s limits to `after` loosens, as the action the metered rule names, or
 * undefined when it loosens nothing. Loosening: removing a limit, raising a rate limit's requests or its
 * requests per time, raising the uses left as of `now` (a refill that fell due counted), adding a refill
 * or raising its amount or amount per time. Each comparison is exact (cross-multiplied, no rounding).
 */
export function loosening(before: KeyLimits, after: KeyLimits, now: Date): string | undefined {
  const [was, is] = [before.rateLimit, after.rateLimit];
  if (was !== undefined && (is === undefined || is.requests > was.requests || is.requests * was.periodMs > was.requests * is.periodMs)) {
    return "remove or raise a rate limit";
  }
  const [left, willHave] = [creditsAt(before, now)?.remaining, creditsAt(after, now)?.remaining];
  if (left !== undefined && (willHave === undefined || willHave > left)) return "remove or raise remaining uses";
  const [refilled, refills] = [before.refill, after.refill];
  if (refills !== undefined && (refilled === undefined || refills.amount > refilled.amount || refills.amount * refilled.periodMs > refilled.amount * refills.periodMs)) {
    return "add or raise a refill";
  }
  return undefined;
}

/**
 * Every right `key` may ever carry: its rights expanded, less those its owner can never hold where it
 * lives. A caller in a tenant touches only keys of its tenant's users (scope), who never hold
 * `RIGHT_ADMIN_TENANTS`, so a tenant admin's `RIGHT_ALL` key may touch a tenant user's `RIGHT_ALL` key,
 * its own included. For a system caller nothing is left out, as before tenants.
 */
function keyPotential(caller: Caller, key: ApiKeyRecord): Set<number> {
  const potential = rights.expand(key.rights);
  const reachable = rights.reachable(scopeOf(caller.principal) !== undefined);
  for (const right of potential) if (!reachable.has(right)) potential.delete(right);
  return potential;
}

/**
 * Issuing a credential for another user — a new key, a regenerated secret, rights added to its key — is
 * acting on that user: the key can do whatever that user's own-user rights allow on the user itself
 * (rename it, end its sessions, delete it), so the caller must hold the user's universe, as for setting
 * its password. On one's own user the grant rule alone bounds the new credential by the caller's.
 */
function enforceIssueFor(caller: Caller, owner: UserRecord, action: string): void {
  if (owner.userId !== caller.principal.user.userId) enforceUserAccess(caller, owner, owner, false, action);
}

/**
 * The grant rule for a change of a key of `owner` from `before` to `after` (`before` empty for a new key):
 * `INSUFFICIENT_RIGHTS` for a changed right the caller lacks, `RIGHTS_OUTSIDE_OWNER_UNIVERSE` for an added
 * right the owner may not hold. Suspension aside: an admin may prepare keys of a suspended user, which stay
 * refused until the user is active again.
 */
function enforceGrantRule(caller: Principal, owner: UserRecord, before: readonly number[], after: readonly number[]): void {
  const missing = missingRights(caller.rights, changedRights(before, after));
  if (missing.length > 0) throw InsufficientRights.create({ missing: names(missing) });
  const added = after.filter((r) => !before.includes(r));
  const outside = missingRights(universeOf(owner), added);
  if (outside.length > 0) throw RightsOutsideOwnerUniverse.create({ user_id: owner.userId, rights: names(outside) });
}

// --- Users ---

/**
 * Creating `user`, with a first password when `withPassword`. A plain user (no password, not an admin)
 * needs nothing beyond the method's right: no credential comes of it. With a password or `admin`, the
 * caller must hold the new user's universe, and must use a current secret.
 */
export function enforceCreateUser(caller: Caller, user: UserRecord, withPassword: boolean): void {
  enforceReach(caller.principal, user);
  if (!withPassword && !user.admin) return;
  refuseSupersededSecret(caller);
  if (withPassword) refuseMetered(caller, "create a user with a password");
  enforceUserAccess(caller, undefined, user, false, `create it ${withPassword ? "with a password" : "as an admin"}`);
}

/** Changing the fields `paths` of the stored user `before`, giving `after`. */
export function enforceUpdateUser(caller: Caller, before: UserRecord, after: UserRecord, paths: readonly string[]): void {
  enforceReach(caller.principal, before);
  const adminFields = paths.includes("admin") || paths.includes("state");
  if (paths.includes("admin") && after.admin) refuseSupersededSecret(caller);
  if (isSelfService(caller, before.userId, adminFields)) return;
  enforceUserAccess(caller, before, after, adminFields, "change it");
}

/** Deleting the stored user `target`. */
export function enforceDeleteUser(caller: Caller, target: UserRecord): void {
  enforceReach(caller.principal, target);
  if (isSelfService(caller, target.userId, false)) return;
  enforceUserAccess(caller, target, target, false, "delete it");
}

/** Ending a session of the stored user `owner`. */
export function enforceEndSession(caller: Caller, owner: UserRecord): void {
  enforceReach(caller.principal, owner);
  if (isSelfService(caller, owner.userId, false)) return;
  enforceUserAccess(caller, owner, owner, false, "end its sessions");
}

/**
 * How a caller may set the stored user `target`'s password: on its own user with the current password,
 * or (the user has none yet) under the first-password rule; on another user under the user-access rule.
 * Throws when it may not at all.
 */
export type PasswordAccess = "current password" | "first password" | "other user";

/** The {@link PasswordAccess} of `caller` to `target`'s password, or the refusal. */
export function passwordAccess(caller: Caller, target: UserRecord): PasswordAccess {
  enforceReach(caller.principal, target);
  refuseSupersededSecret(caller);
  refuseMetered(caller, "set a password");
  if (isSelfService(caller, target.userId, false)) {
    if (target.passwordSetAt !== undefined) return "current password";
    // The first-password rule: a session will carry the whole universe, so the credential must too.
    const missing = missingRights(caller.principal.rights, universeOf(target));
    if (missing.length > 0) throw InsufficientRights.create({ missing: names(missing) });
    return "first password";
  }
  enforceUserAccess(caller, target, target, false, "set its password");
  return "other user";
}

/**
 * Setting the stored user `target`'s password, inside the write: the rule of {@link passwordAccess},
 * where `currentPasswordChecked` says whether the call proved the user's current password. A first
 * password set by someone else since the caller looked makes the current one required.
 */
export function enforceSetPassword(caller: Caller, target: UserRecord, currentPasswordChecked: boolean): void {
  if (passwordAccess(caller, target) === "current password" && !currentPasswordChecked) {
    throw validationFailed([{ field: "current_password", description: "required to change one's own password" }]);
  }
}

/**
 * Self-service: the call acts on the caller's own user, touches neither `admin` nor `state` (changing
 * those is never self-service), and the caller holds the method's own-user rights.
 */
function isSelfService(caller: Caller, targetUserId: string, adminFields: boolean): boolean {
  const { principal } = caller;
  return !adminFields && targetUserId === principal.user.userId && missingRights(principal.rights, caller.ownUserRights).length === 0;
}

/**
 * The user-access rule: the caller's effective rights must include the user's universe before the call
 * (none for a create) and after it, and `RIGHT_ADMIN_USERS_WRITE` when `admin` or `state` changes.
 */
function enforceUserAccess(caller: Caller, before: UserRecord | undefined, after: UserRecord, adminFields: boolean, action: string): void {
  const needed = new Set(universeOf(after));
  if (before) for (const right of universeOf(before)) needed.add(right);
  if (adminFields) needed.add(Right.ADMIN_USERS_WRITE);
  const missing = missingRights(caller.principal.rights, needed);
  if (missing.length > 0) throw UserRightsNotHeld.create({ user_id: after.userId, action, missing: names(missing) });
}

// --- Both ---

/** The grace rule: refuses a call authenticated with a key's superseded secret. */
function refuseSupersededSecret(caller: Caller): void {
  const { principal } = caller;
  if (principal.supersededSecret) throw ApiKeySecretSuperseded.create({ key_id: principal.key?.id ?? "" });
}

/**
 * The metered rule: refuses `action` to a caller whose key has a rate limit or usage credits. When the
 * call touches the caller's own key, its stored record (`touched`, read inside this write) counts too, so
 * a limit set since the key was verified is already in force.
 */
function refuseMetered(caller: Caller, action: string, touched?: ApiKeyRecord): void {
  const own = caller.principal.key;
  if (own === undefined) return;
  if (isMetered(own) || (touched?.id === own.id && isMetered(touched))) throw ApiKeyMetered.create({ key_id: own.id, action });
}

/** What `user` may hold, suspension aside: what it holds once active. */
function universeOf(user: UserRecord): ReadonlySet<number> {
  return rights.universe({ admin: user.admin, suspended: false, inTenant: user.tenantId !== undefined });
}

function names(list: readonly number[]): string {
  return list.map(rights.name).join(", ");
}
