/**
 * The rights algebra, derived from the `Right` enum descriptor (never a hand-kept list), so a right added
 * to the proto is understood everywhere with no code change.
 *
 * - A value whose name ends in `_ALL` is a pseudo-right. Its family is every value whose name starts with
 *   the same prefix (`RIGHT_USER_ALL` → `RIGHT_USER_*`; `RIGHT_ALL` → `RIGHT_*`, i.e. every right), the
 *   pseudo-right itself and nested pseudo-rights included. So holding `RIGHT_USER_ALL` means holding every
 *   current and future user right, and the right to grant `RIGHT_USER_ALL` on.
 * - Expansion happens at check time; keys store rights as granted.
 * - A user's universe: the `RIGHT_USER_*` family; every right when the user is an admin, but for a tenant
 *   admin every right except the system-only ones (`RIGHT_ADMIN_TENANTS`); nothing while suspended.
 *   Effective rights of a key = expand(key rights) ∩ universe(owner). The pseudo-rights stay in a tenant
 *   admin's universe: there `RIGHT_ALL` means every right a tenant admin may hold (ARCHITECTURE.md,
 *   "Tenants").
 */
import type { DescEnum } from "@bufbuild/protobuf";

const PSEUDO_SUFFIX = "_ALL";

/** What decides a user's universe. */
export interface RightsOwner {
  readonly admin: boolean;
  readonly suspended: boolean;
  /** The user belongs to a tenant: its admin rights never include the system-only rights. */
  readonly inTenant?: boolean;
}

/** The rights algebra of one `Right` enum. */
export interface RightsModel {
  /** Every defined right except the zero value, pseudo-rights included, by number. */
  readonly defined: readonly number[];
  /** True for a defined, non-zero right. */
  isDefined(right: number): boolean;
  /** True for a pseudo-right (`*_ALL`). */
  isPseudo(right: number): boolean;
  /** The enum name of a right (`RIGHT_USER_INFO`), or its number for unknown values. */
  name(right: number): string;
  /** The number of a right given by full name (`RIGHT_USER_INFO`) or short name (`USER_INFO`). */
  fromName(name: string): number | undefined;
  /** The rights with every pseudo-right replaced by its family (which contains the pseudo-right). */
  expand(rights: Iterable<number>): Set<number>;
  /** What a user may hold. */
  universe(owner: RightsOwner): ReadonlySet<number>;
  /**
   * Every right a user may ever hold where it lives, whatever its admin flag or state: every right for a
   * system user, a tenant admin's universe for a tenant user (a user never leaves its tenant).
   */
  reachable(inTenant: boolean): ReadonlySet<number>;
  /** What a key of `owner` with `keyRights` may do now: expand(keyRights) ∩ universe(owner). */
  effective(keyRights: Iterable<number>, owner: RightsOwner): Set<number>;
}

/**
 * Builds the algebra for an enum shaped like `keyward.v1.Right`: a zero value, families by name prefix,
 * `<PREFIX>USER_ALL` and `<PREFIX>ALL` pseudo-rights.
 */
export function createRightsModel(rightEnum: DescEnum): RightsModel {
  const values = rightEnum.values.filter((v) => v.number !== 0);
  const byNumber = new Map(values.map((v) => [v.number, v.name]));
  const byName = new Map(values.map((v) => [v.name, v.number]));
  // protobuf-es reports the shared prefix with or without its trailing underscore depending on version.
  const shared = rightEnum.sharedPrefix?.toUpperCase() ?? "";
  const enumPrefix = shared === "" || shared.endsWith("_") ? shared : `${shared}_`;
  const implied = new Map<number, readonly number[]>();
  for (const value of values) {
    if (!value.name.endsWith(PSEUDO_SUFFIX)) {
      implied.set(value.number, [value.number]);
      continue;
    }
    const familyPrefix = value.name.slice(0, -"ALL".length);
    implied.set(
      value.number,
      values.filter((v) => v.name.startsWith(familyPrefix)).map((v) => v.number),
    );
  }
  const familyOf = (pseudoName: string): ReadonlySet<number> => {
    const number = byName.get(pseudoName);
    if (number === undefined) throw new Error(`rights: enum ${rightEnum.typeName} has no ${pseudoName}`);
    return new Set(implied.get(number));
  };
  const userUniverse = familyOf(`${enumPrefix}USER_ALL`);
  const adminUniverse = familyOf(`${enumPrefix}ALL`);
  // Rights only system admins hold: managing tenants would let a tenant admin out of its tenant.
  const systemOnly = new Set([familyOf(`${enumPrefix}ADMIN_TENANTS`)].flatMap((family) => [...family]));
  const tenantAdminUniverse: ReadonlySet<number> = new Set([...adminUniverse].filter((r) => !systemOnly.has(r)));
  const nothing: ReadonlySet<number> = new Set();

  const model: RightsModel = {
    defined: values.map((v) => v.number),
    isDefined: (right) => byNumber.has(right),
    isPseudo: (right) => byNumber.get(right)?.endsWith(PSEUDO_SUFFIX) ?? false,
    name: (right) => byNumber.get(right) ?? String(right),
    fromName: (name) => byName.get(name) ?? byName.get(enumPrefix + name),
    expand(rights) {
      const out = new Set<number>();
      for (const right of rights) for (const r of implied.get(right) ?? []) out.add(r);
      return out;
    },
    universe(owner) {
      if (owner.suspended) return nothing;
      if (!owner.admin) return userUniverse;
      return owner.inTenant === true ? tenantAdminUniverse : adminUniverse;
    },
    reachable: (inTenant) => (inTenant ? tenantAdminUniverse : adminUniverse),
    effective(keyRights, owner) {
      const universe = model.universe(owner);
      const out = model.expand(keyRights);
      for (const right of out) if (!universe.has(right)) out.delete(right);
      return out;
    },
  };
  return model;
}
