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
  };
}

/** Maps a row back to a record. */
export function rowToUser(row: UserRow): UserRecord {
  const user: UserRecord = {
    userId: row.user_id,
    name: row.name,
    email: row.email,
    admin: row.admin === 1,
    state: row.state as UserState, // guarded by the column's CHECK constraint
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
  if (row.password_set_at !== null) user.passwordSetAt = new Date(row.password_set_at);
  return user;
}
