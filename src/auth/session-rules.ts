/**
 * The rule beside the grant rule for passwords (DESIGN §11): a session holds its user's whole universe,
 * so whatever makes sessions possible is a grant of that universe. Setting a user's *first* password on
 * oneself therefore needs a credential that already holds all of it (the `RIGHT_ALL` key in `admin.key`
 * of a fresh install, or a key with `RIGHT_USER_ALL`): a narrower key must not be able to mint sessions
 * broader than itself. Changing an existing password needs the current one instead (user-registry.ts).
 */
import { InsufficientRights } from "../errors.js";
import { missingRights, rights } from "../rights/index.js";
import type { Principal } from "./principal.js";

/** Throws `INSUFFICIENT_RIGHTS`, naming what is missing, unless `caller` holds its user's whole universe. */
export function enforceFirstPasswordRule(caller: Principal): void {
  const missing = missingRights(caller.rights, rights.universe({ admin: caller.user.admin, suspended: false }));
  if (missing.length > 0) throw InsufficientRights.create({ missing: missing.map(rights.name).join(", ") });
}
