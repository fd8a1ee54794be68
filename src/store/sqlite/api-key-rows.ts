// api_keys rows: how an ApiKeyRecord is laid out in SQLite (dates as integer ms, rights as JSON).
import { foldName } from "../name-search.js";
import type { ApiKeyRecord, ApiKeyState } from "../store.js";

/** An api_keys row as SQLite returns it: dates as integer milliseconds, rights as a JSON array. */
export interface ApiKeyRow {
  id: string;
  user_id: string;
  name: string;
  name_folded: string;
  rights: string;
  state: string;
  secret_hash: string;
  previous_secret_hash: string | null;
  previous_secret_valid_until: number | null;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
}

/** Maps a record to its row: the named parameters of the api_keys statements. */
export function apiKeyToRow(key: ApiKeyRecord): ApiKeyRow {
  return {
    id: key.id,
    user_id: key.userId,
    name: key.name,
    name_folded: foldName(key.name),
    rights: JSON.stringify(key.rights),
    state: key.state,
    secret_hash: key.secretHash,
    previous_secret_hash: key.previousSecretHash ?? null,
    previous_secret_valid_until: key.previousSecretValidUntil?.getTime() ?? null,
    expires_at: key.expiresAt?.getTime() ?? null,
    created_at: key.createdAt.getTime(),
    updated_at: key.updatedAt.getTime(),
    last_used_at: key.lastUsedAt?.getTime() ?? null,
  };
}

/** Maps a row back to a record. */
export function rowToApiKey(row: ApiKeyRow): ApiKeyRecord {
  const key: ApiKeyRecord = {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    rights: JSON.parse(row.rights) as number[],
    state: row.state as ApiKeyState, // guarded by the column's CHECK constraint
    secretHash: row.secret_hash,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
  // Absent optionals stay absent (not null, not an own property set to undefined).
  if (row.previous_secret_hash !== null) key.previousSecretHash = row.previous_secret_hash;
  if (row.previous_secret_valid_until !== null) key.previousSecretValidUntil = new Date(row.previous_secret_valid_until);
  if (row.expires_at !== null) key.expiresAt = new Date(row.expires_at);
  if (row.last_used_at !== null) key.lastUsedAt = new Date(row.last_used_at);
  return key;
}
