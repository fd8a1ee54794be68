// api_keys rows: how an ApiKeyRecord is laid out in SQLite (dates and periods as integer ms, rights and
// metadata as JSON).
import { foldName } from "../name-search.js";
import type { ApiKeyRecord, ApiKeyState, ApiKeyWithOwner } from "../store.js";
import { userFromColumns } from "./user-rows.js";

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
  last_used_ip: string | null;
  last_used_user_agent: string | null;
  allowed_ips: string | null;
  rate_limit_requests: number | null;
  rate_limit_period_ms: number | null;
  remaining_uses: number | null;
  refill_amount: number | null;
  refill_period_ms: number | null;
  refilled_at: number | null;
  metadata: string | null;
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
    last_used_ip: key.lastUsedIp ?? null,
    last_used_user_agent: key.lastUsedUserAgent ?? null,
    allowed_ips: key.allowedIps === undefined || key.allowedIps.length === 0 ? null : JSON.stringify(key.allowedIps),
    rate_limit_requests: key.rateLimit?.requests ?? null,
    rate_limit_period_ms: key.rateLimit?.periodMs ?? null,
    remaining_uses: key.remainingUses ?? null,
    refill_amount: key.refill?.amount ?? null,
    refill_period_ms: key.refill?.periodMs ?? null,
    refilled_at: key.refilledAt?.getTime() ?? null,
    metadata: key.metadata === undefined || Object.keys(key.metadata).length === 0 ? null : JSON.stringify(key.metadata),
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
  addClientColumns(key, row.last_used_ip, row.last_used_user_agent, row.allowed_ips);
  addMeterColumns(
    key,
    row.rate_limit_requests,
    row.rate_limit_period_ms,
    row.remaining_uses,
    row.refill_amount,
    row.refill_period_ms,
    row.refilled_at,
    row.metadata === null ? null : (JSON.parse(row.metadata) as Record<string, string>),
  );
  return key;
}

/**
 * A key joined with its owner, as `API_KEY_SQL.findWithOwner` returns it: the columns of both records but
 * the key's id (the lookup parameter), the join column once, in this order.
 */
export type KeyWithOwnerRow = [
  user_id: string,
  name: string,
  rights: string,
  state: string,
  secret_hash: string,
  previous_secret_hash: string | null,
  previous_secret_valid_until: number | null,
  expires_at: number | null,
  created_at: number,
  updated_at: number,
  last_used_at: number | null,
  last_used_ip: string | null,
  last_used_user_agent: string | null,
  allowed_ips: string | null,
  user_name: string,
  user_email: string,
  user_admin: number,
  user_state: string,
  user_created_at: number,
  user_updated_at: number,
  user_password_set_at: number | null,
  user_tenant_id: string | null,
  rate_limit_requests: number | null,
  rate_limit_period_ms: number | null,
  remaining_uses: number | null,
  refill_amount: number | null,
  refill_period_ms: number | null,
  refilled_at: number | null,
  metadata: Record<string, string> | null,
];

/**
 * The select list of {@link KeyWithOwnerRow} for a join of `api_keys AS k` with `users AS u`: one JSON
 * array of the columns, in order. One text value and one `JSON.parse` cost a third less than 22 values
 * (`npm run bench:sqlite-floor`): better-sqlite3 builds a JavaScript value per column, and that, not the
 * two b-tree seeks, was most of the authentication path's read. SQLite's JSON escapes every text exactly.
 * Migration 8's columns come last; the metadata object is embedded as JSON, so it is parsed once with the rest.
 */
export const KEY_WITH_OWNER_JSON = `json_array(k.user_id, k.name, k.rights, k.state, k.secret_hash,
  k.previous_secret_hash, k.previous_secret_valid_until, k.expires_at, k.created_at, k.updated_at, k.last_used_at,
  k.last_used_ip, k.last_used_user_agent, k.allowed_ips, u.name, u.email, u.admin, u.state, u.created_at,
  u.updated_at, u.password_set_at, u.tenant_id, k.rate_limit_requests, k.rate_limit_period_ms, k.remaining_uses,
  k.refill_amount, k.refill_period_ms, k.refilled_at, json(k.metadata))`;

/**
 * Maps the joined row of the key `keyId` (the text of {@link KEY_WITH_OWNER_JSON}) back to its records, as
 * {@link rowToApiKey} and `rowToUser` would.
 */
export function rowToApiKeyWithOwner(keyId: string, json: string): ApiKeyWithOwner {
  const row = JSON.parse(json) as KeyWithOwnerRow;
  const key: ApiKeyRecord = {
    id: keyId,
    userId: row[0],
    name: row[1],
    rights: JSON.parse(row[2]) as number[],
    state: row[3] as ApiKeyState, // guarded by the column's CHECK constraint
    secretHash: row[4],
    createdAt: new Date(row[8]),
    updatedAt: new Date(row[9]),
  };
  if (row[5] !== null) key.previousSecretHash = row[5];
  if (row[6] !== null) key.previousSecretValidUntil = new Date(row[6]);
  if (row[7] !== null) key.expiresAt = new Date(row[7]);
  if (row[10] !== null) key.lastUsedAt = new Date(row[10]);
  addClientColumns(key, row[11], row[12], row[13]);
  addMeterColumns(key, row[22], row[23], row[24], row[25], row[26], row[27], row[28]);
  const user = userFromColumns(row[0], row[14], row[15], row[16], row[17], row[18], row[19], row[20], row[21]);
  return { key, user };
}

/** The columns added by migration 2; NULLs stay absent fields. */
function addClientColumns(key: ApiKeyRecord, ip: string | null, userAgent: string | null, allowedIps: string | null): void {
  if (ip !== null) key.lastUsedIp = ip;
  if (userAgent !== null) key.lastUsedUserAgent = userAgent;
  if (allowedIps !== null) key.allowedIps = JSON.parse(allowedIps) as string[];
}

/** The columns added by migration 8; NULLs stay absent fields (a pair is present only when both are set). */
function addMeterColumns(
  key: ApiKeyRecord,
  rateLimitRequests: number | null,
  rateLimitPeriodMs: number | null,
  remainingUses: number | null,
  refillAmount: number | null,
  refillPeriodMs: number | null,
  refilledAt: number | null,
  metadata: Record<string, string> | null,
): void {
  if (rateLimitRequests !== null && rateLimitPeriodMs !== null) key.rateLimit = { requests: rateLimitRequests, periodMs: rateLimitPeriodMs };
  if (remainingUses !== null) key.remainingUses = remainingUses;
  if (refillAmount !== null && refillPeriodMs !== null) key.refill = { amount: refillAmount, periodMs: refillPeriodMs };
  if (refilledAt !== null) key.refilledAt = new Date(refilledAt);
  if (metadata !== null) key.metadata = metadata;
}
