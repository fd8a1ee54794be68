// Secondary indexes, created at open (createIndexes is a no-op for indexes that already exist).
// Unique ids need none: user ids and key ids are `_id`, which MongoDB always indexes uniquely.
import type { Db } from "mongodb";
import type { ApiKeyDocument, GuardDocument, SessionDocument, TenantDocument, UserDocument } from "./documents.js";

/** Collection names. */
export const USERS = "users";
export const API_KEYS = "api_keys";
export const SESSIONS = "sessions";
export const TENANTS = "tenants";
/** One document per cross-record guard, written by every transaction the guard decides (see users.ts). */
export const GUARDS = "guards";
/** The guard document of the last-admin rule. */
export const ACTIVE_ADMINS_GUARD = "active_admins";

/**
 * Creates the guard documents, outside any transaction, so that transactions only ever update them
 * (creating a collection or document inside a transaction is what older servers refuse).
 */
export async function ensureGuards(db: Db): Promise<void> {
  await db.collection<GuardDocument>(GUARDS).updateOne({ _id: ACTIVE_ADMINS_GUARD }, { $setOnInsert: { writes: 0 } }, { upsert: true });
}

/** Creates every index the store's queries use. */
export async function ensureIndexes(db: Db): Promise<void> {
  await db.collection<UserDocument>(USERS).createIndexes([
    // listUsers: newest first, `_id` breaking ties, matching the keyset cursor.
    { key: { createdAt: -1, _id: -1 }, name: "users_newest_first" },
    // countActiveAdmins.
    { key: { admin: 1, state: 1 }, name: "users_by_admin_state" },
    // listUsers of one tenant, its count, and a tenant delete's not-empty guard.
    { key: { tenantId: 1, createdAt: -1, _id: -1 }, name: "users_by_tenant_newest_first" },
  ]);
  await db.collection<TenantDocument>(TENANTS).createIndexes([
    // listTenants: newest first.
    { key: { createdAt: -1, _id: -1 }, name: "tenants_newest_first" },
  ]);
  await db.collection<ApiKeyDocument>(API_KEYS).createIndexes([
    // listApiKeys, countApiKeys and the cascade delete: one user's keys, newest first.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "api_keys_by_user_newest_first" },
  ]);
  await db.collection<SessionDocument>(SESSIONS).createIndexes([
    // listSessions, pruning, and ending a user's sessions: one user's sessions, newest first.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "sessions_by_user_newest_first" },
  ]);
}
