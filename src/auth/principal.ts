import { createContextKey, type HandlerContext } from "@connectrpc/connect";
import type { ApiKeyRecord, UserRecord } from "../store/store.js";

/** The authenticated caller of one call: the key used, its owner, and what it may do now. */
export interface Principal {
  readonly user: UserRecord;
  /** The key's record. Its secret hash never leaves the auth package in a response. */
  readonly key: ApiKeyRecord;
  /** Effective rights: expand(key rights) ∩ universe(owner), at the time of the call. */
  readonly rights: ReadonlySet<number>;
}

/** Context value holding the caller; set by the authorization interceptor for non-public methods. */
export const kPrincipal = createContextKey<Principal | undefined>(undefined, { description: "authenticated caller" });

/** The caller of a protected method. Throws if called from a public method (a wiring bug, not a user error). */
export function principalOf(context: Pick<HandlerContext, "values">): Principal {
  const principal = context.values.get(kPrincipal);
  if (!principal) throw new Error("principalOf: no authenticated caller in context (is the method public?)");
  return principal;
}
