// Secondary indexes, created at open (createIndexes is a no-op for indexes that already exist).
// Unique ids need none: user ids and key ids are `_id`, which MongoDB always indexes uniquely.
import type { Db } from "mongodb";
import type { ApiKeyDocument, UserDocument } from "./documents.js";

/** Collection names. */
export const USERS = "users";
export const API_KEYS = "api_keys";

/** Creates every index the store's queries use. */
export async function ensureIndexes(db: Db): Promise<void> {
  await db.collection<UserDocument>(USERS).createIndexes([
    // listUsers: newest first, `_id` breaking ties, matching the keyset cursor.
    { key: { createdAt: -1, _id: -1 }, name: "users_newest_first" },
    // countActiveAdmins.
    { key: { admin: 1, state: 1 }, name: "users_by_admin_state" },
  ]);
  await db.collection<ApiKeyDocument>(API_KEYS).createIndexes([
    // listApiKeys, countApiKeys and the cascade delete: one user's keys, newest first.
    { key: { userId: 1, createdAt: -1, _id: -1 }, name: "api_keys_by_user_newest_first" },
  ]);
}
