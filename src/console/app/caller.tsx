/**
 * Who is signed in, learned from `AuthService.GetAuthInfo` with whatever credential the browser holds
 * (the session cookie, or this tab's pasted key), and signing out.
 */
import { createContext, useContext } from "react";
import type { GetAuthInfoResponse } from "../../../gen/keyward/v1/auth_pb.js";
import type { User } from "../../../gen/keyward/v1/user_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";

/** The tenant a caller belongs to: its id, and its name as GetAuthInfo reports it. */
export interface CallerTenant {
  readonly tenantId: string;
  readonly name: string;
}

/** The signed-in person and what they may do. */
export interface Caller {
  readonly user: User;
  /** Signed in with a password (a session cookie) rather than a pasted key. */
  readonly sessionId: string | undefined;
  /** The pasted key's id, when signed in with one. */
  readonly keyId: string | undefined;
  /** Effective rights now, expanded. */
  readonly rights: ReadonlySet<Right>;
  /** Whether the admin screens apply: the credential can read other users. */
  readonly canAdminUsers: boolean;
  /** Whether the Tenants screens apply: the credential can manage tenants (system admins only). */
  readonly canAdminTenants: boolean;
  /** Whether the credential can read its own user's events (Activity, a key's history). */
  readonly canReadOwnEvents: boolean;
  /** Whether the credential can read the events of everyone in its admin scope (Activity's "Everyone"). */
  readonly canReadScopeEvents: boolean;
  /** Whether the Webhooks screen applies: the credential can manage webhooks (admins only). */
  readonly canAdminWebhooks: boolean;
  /** The tenant of the signed-in user; undefined for a system user. A tenant admin administers it only. */
  readonly tenant: CallerTenant | undefined;
  readonly signOut: () => Promise<void>;
}

/** The caller described by a GetAuthInfo answer. */
export function callerOf(info: GetAuthInfoResponse, signOut: () => Promise<void>): Caller {
  const rights = new Set(info.rights);
  return {
    user: info.user!,
    sessionId: info.session?.id || undefined,
    keyId: info.apiKey?.id || undefined,
    rights,
    canAdminUsers: rights.has(Right.ADMIN_USERS_READ),
    canAdminTenants: rights.has(Right.ADMIN_TENANTS),
    canReadOwnEvents: rights.has(Right.USER_EVENTS_READ),
    canReadScopeEvents: rights.has(Right.ADMIN_EVENTS_READ),
    canAdminWebhooks: rights.has(Right.ADMIN_WEBHOOKS),
    tenant: info.user?.tenantId ? { tenantId: info.user.tenantId, name: info.tenant?.name ?? "" } : undefined,
    signOut,
  };
}

const CallerContext = createContext<Caller | undefined>(undefined);

/** Provides the signed-in caller to the screens. */
export const CallerProvider = CallerContext.Provider;

/** The signed-in caller; only inside {@link CallerProvider}. */
export function useCaller(): Caller {
  const caller = useContext(CallerContext);
  if (caller === undefined) throw new Error("useCaller outside a signed-in screen");
  return caller;
}
