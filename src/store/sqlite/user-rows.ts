// users rows: how a UserRecord is laid out in SQLite (dates as integer ms, admin as 0/1).
import type { UserRecord, UserState } from "../store.js";

/** A users row as SQLite returns it: dates as integer milliseconds, admin as 0/1. */
export interface UserRow {
  user_id: string;
  name: string;
  email: string;
  admin: number;
  state: string;
  created_at: number;
  updated_at: number;
  /** Read-only here: written by the insert and the password statements only. */
  password_set_at: number | null;
  /** NULL for a system user; written by the insert only. */
  tenant_id: string | null;
}

/** Maps a record to its row: the named parameters of the users statements. */
export function userToRow(user: UserRecord): UserRow {
  return {
    user_id: user.userId,
    name: user.name,
    email: user.email,
    admin: user.admin ? 1 : 0,
    state: user.state,
    created_at: user.createdAt.getTime(),
    updated_at: user.updatedAt.getTime(),
    password_set_at: user.passwordSetAt?.getTime() ?? null,
    tenant_id: user.tenantId ?? null,
  };
}

/** Maps a row back to a record. */
export function rowToUser(row: UserRow): UserRecord {
  return userFromColumns(
    row.user_id,
    row.name,
    row.email,
    row.admin,
    row.state,
    row.created_at,
    row.updated_at,
    row.password_set_at,
    row.tenant_id,
  );
}

/**
 * The one mapping of a users row's columns to a record, also for the joins that read an owner beside a
 * key or a session under other column names (positional, so the hot key lookup builds no row object).
 */
export function userFromColumns(
  userId: string,
  name: string,
  email: string,
  admin: number,
  state: string,
  createdAt: number,
  updatedAt: number,
  passwordSetAt: number | null,
  tenantId: string | null,
): UserRecord {
  const user: UserRecord = {
    userId,
    name,
    email,
    admin: admin === 1,
    state: state as UserState, // guarded by the column's CHECK constraint
    createdAt: new Date(createdAt),
    updatedAt: new Date(updatedAt),
  };
  if (passwordSetAt !== null) user.passwordSetAt = new Date(passwordSetAt);
  if (tenantId !== null) user.tenantId = tenantId;
  return user;
}
