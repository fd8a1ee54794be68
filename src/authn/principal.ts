import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { RightsOwner } from "../rights/index.js";
import type { ApiKeyRecord, SessionRecord, UserRecord } from "../store/store.js";

/**
 * The authenticated caller of one call: the key or session used (exactly one of them is set), its owner,
 * and what it may do now.
 */
export interface Principal {
  readonly user: UserRecord;
  /** The key's record, when the caller used an API key. Its secret hash never leaves the auth package in a response. */
  readonly key: ApiKeyRecord | undefined;
  /** The session's record, when the caller used a session (ARCHITECTURE.md, "Sessions and passwords"). */
  readonly session: SessionRecord | undefined;
  /** Effective rights: expand(key rights) ∩ universe(owner), or a session's universe(owner), at the time of the call. */
  readonly rights: ReadonlySet<number>;
  /**
   * True when the call was authenticated with the key's previous secret, still accepted during the grace
   * period of a regenerate: it may call with the key's rights, but not mint or change credentials (the grace
   * rule, principal-access.ts). False for the current secret and for sessions.
   */
  readonly supersededSecret: boolean;
}

/** Context value holding the caller; set by the authorization interceptor for non-public methods. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "authenticated caller" });

/** The caller of a protected method. Throws if called from a public method (a wiring bug, not a user error). */
export function principalOf(context: Pick<HandlerContext, "values">): Principal {
  const principal = context.values.get(kPrincipal);
  if (!principal) throw new Error("principalOf: no authenticated caller in context (is the method public?)");
  return principal;
}

/** What decides `user`'s universe: its admin flag, its state, and whether it lives in a tenant (ARCHITECTURE.md, "Tenants"). */
export function rightsOwnerOf(user: UserRecord): RightsOwner {
  return { admin: user.admin, suspended: user.state === "suspended", inTenant: user.tenantId !== undefined };
}
