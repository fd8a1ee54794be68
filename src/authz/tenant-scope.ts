/**
 * Tenant scope (ARCHITECTURE.md, "Tenants"): which users a caller reaches at all. A system user (no
 * tenant) reaches every user; a tenant user reaches only the users of its own tenant. A user out of
 * reach is answered exactly as a user that does not exist (`USER_NOT_FOUND`), so a tenant admin learns
 * nothing of other tenants or of system users.
 *
 * Scope comes before rights on a subject: the authorization interceptor applies it to the user a call
 * names, and the principal-access rules apply it again to the stored user inside each write, where a
 * user deleted and created again elsewhere under the same id would otherwise slip through.
 */
import { TenantNotFound, UserNotFound } from "../errors/errors.js";
import type { UserRecord } from "../store/store.js";
import type { Principal } from "../authn/principal.js";

/** The tenant `principal` is confined to; undefined for a system user, who is confined to none. */
export function scopeOf(principal: Principal): string | undefined {
  return principal.user.tenantId;
}

/** Whether `principal` reaches `user`: a system user reaches everyone, a tenant user its tenant only. */
export function reaches(principal: Principal, user: UserRecord): boolean {
  const scope = scopeOf(principal);
  return scope === undefined || user.tenantId === scope;
}

/** Throws `USER_NOT_FOUND` for a user `principal` does not reach, the answer for a missing user. */
export function enforceReach(principal: Principal, user: UserRecord): void {
  if (!reaches(principal, user)) throw UserNotFound.create({ user_id: user.userId });
}

/**
 * The tenant a request of `principal` addresses when it names `requested` (`""` for none): where
 * `CreateUser` puts the new user and which users `ListUsers` lists. A tenant user always addresses its
 * own tenant (naming another is `TENANT_NOT_FOUND`, as if it did not exist); a system user addresses what
 * it names, or no tenant for `""` (a system user; every user). Whether a named tenant exists is decided
 * by the store, for a create inside its write.
 */
export function tenantAddressed(principal: Principal, requested: string): string | undefined {
  const scope = scopeOf(principal);
  if (scope === undefined) return requested === "" ? undefined : requested;
  if (requested !== "" && requested !== scope) throw TenantNotFound.create({ tenant_id: requested });
  return scope;
}
