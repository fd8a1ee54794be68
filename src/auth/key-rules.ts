/**
 * The two rules that decide what a caller may do to API keys beyond calling the method (DESIGN §5). The
 * interceptor has already checked the method's rights on the subject user; these judge the keys
 * themselves, and every key operation goes through them, inside the store's write (an updater or a
 * delete guard), so the rule and the write see the same stored key.
 *
 * - Grant rule (The Things Stack's): a caller may give, add or remove only rights it holds (a pseudo-right
 *   only if it holds that pseudo-right), and a key's rights must lie within its owner's universe.
 * - Key-access rule, its other half: a caller may touch an existing key (change any field, disable,
 *   enable, regenerate, delete) only when its effective rights include every right of that key,
 *   expanded. Regenerating hands out a working secret and extending an expiry lengthens a credential's
 *   life: both are granting, so a narrow key can never take over, or keep alive, a broader one.
 */
import { InsufficientRights, KeyRightsNotHeld, RightsOutsideOwnerUniverse } from "../errors.js";
import { changedRights, missingRights, rights } from "../rights/index.js";
import type { ApiKeyRecord, UserRecord } from "../store/store.js";
import type { Principal } from "./principal.js";

/** Throws `INSUFFICIENT_RIGHTS` unless `caller` holds every right of `key`, pseudo-rights expanded. */
export function enforceKeyAccess(caller: Principal, key: ApiKeyRecord): void {
  const missing = missingRights(caller.rights, rights.expand(key.rights));
  if (missing.length > 0) throw KeyRightsNotHeld.create({ key_id: key.id, missing: names(missing) });
}

/**
 * Throws unless `caller` may change a key of `owner` from rights `before` to `after` (`before` empty for
 * a new key): `INSUFFICIENT_RIGHTS` for a changed right the caller lacks, `RIGHTS_OUTSIDE_OWNER_UNIVERSE`
 * for an added right the owner may not hold. Suspension aside: an admin may prepare keys of a suspended
 * user, which stay refused until the user is active again.
 */
export function enforceGrantRule(caller: Principal, owner: UserRecord, before: readonly number[], after: readonly number[]): void {
  const missing = missingRights(caller.rights, changedRights(before, after));
  if (missing.length > 0) throw InsufficientRights.create({ missing: names(missing) });
  const added = after.filter((r) => !before.includes(r));
  const outside = missingRights(rights.universe({ admin: owner.admin, suspended: false }), added);
  if (outside.length > 0) throw RightsOutsideOwnerUniverse.create({ user_id: owner.userId, rights: names(outside) });
}

function names(list: readonly number[]): string {
  return list.map(rights.name).join(", ");
}
