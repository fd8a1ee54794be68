// Versioned schema migrations, applied in order at open inside one transaction and recorded in
// `schema_migrations`, so reopening an up-to-date database changes nothing.
import type { SqliteDatabase } from "./connection.js";

interface Migration {
  version: number;
  description: string;
  sql: string;
}

// Append only: never edit a released migration, add the next version instead.
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "users and api keys",
    sql: `
      CREATE TABLE users (
        user_id    TEXT    NOT NULL PRIMARY KEY,
        name       TEXT    NOT NULL,
        email      TEXT    NOT NULL,
        admin      INTEGER NOT NULL CHECK (admin IN (0, 1)),
        state      TEXT    NOT NULL CHECK (state IN ('active', 'suspended')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX users_newest_first ON users (created_at DESC, user_id DESC);
      CREATE INDEX users_by_admin_state ON users (admin, state);

      -- WITHOUT ROWID clusters rows by id: the by-id lookup is one primary-key b-tree seek.
      CREATE TABLE api_keys (
        id                          TEXT    NOT NULL PRIMARY KEY,
        user_id                     TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        name                        TEXT    NOT NULL,
        name_folded                 TEXT    NOT NULL,
        rights                      TEXT    NOT NULL,
        state                       TEXT    NOT NULL CHECK (state IN ('active', 'disabled')),
        secret_hash                 TEXT    NOT NULL,
        previous_secret_hash        TEXT,
        previous_secret_valid_until INTEGER,
        expires_at                  INTEGER,
        created_at                  INTEGER NOT NULL,
        updated_at                  INTEGER NOT NULL,
        last_used_at                INTEGER
      ) STRICT, WITHOUT ROWID;
      -- Serves per-user lists (newest first), counts and the foreign-key cascade.
      CREATE INDEX api_keys_by_user_newest_first ON api_keys (user_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 2,
    description: "revocation feed",
    sql: `
      -- AUTOINCREMENT, not a plain rowid: a seq is never reused, even after every entry was pruned.
      CREATE TABLE revocations (
        seq        INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
        kind       TEXT    NOT NULL,
        subject_id TEXT    NOT NULL,
        at         INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX revocations_by_time ON revocations (at);
      -- One row: the highest seq pruning has deleted, so a reader can tell that it missed entries.
      CREATE TABLE revocation_watermark (
        id             INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        pruned_through INTEGER NOT NULL
      ) STRICT;
      INSERT INTO revocation_watermark (id, pruned_through) VALUES (1, 0);
    `,
  },
  {
    version: 3,
    description: "api key networks and last-used client",
    sql: `
      -- JSON array of CIDRs; NULL (every key before this version) means anywhere.
      ALTER TABLE api_keys ADD COLUMN allowed_ips TEXT;
      ALTER TABLE api_keys ADD COLUMN last_used_ip TEXT;
      ALTER TABLE api_keys ADD COLUMN last_used_user_agent TEXT;
    `,
  },
  {
    version: 4,
    description: "passwords and sessions",
    sql: `
      -- The hash stays in the row but out of every SELECT that builds a UserRecord (see users.ts).
      ALTER TABLE users ADD COLUMN password_hash TEXT;
      ALTER TABLE users ADD COLUMN password_set_at INTEGER;

      CREATE TABLE sessions (
        id           TEXT    NOT NULL PRIMARY KEY,
        user_id      TEXT    NOT NULL REFERENCES users (user_id) ON DELETE CASCADE,
        secret_hash  TEXT    NOT NULL,
        created_at   INTEGER NOT NULL,
        expires_at   INTEGER NOT NULL,
        last_used_at INTEGER NOT NULL,
        user_agent   TEXT    NOT NULL,
        address      TEXT    NOT NULL
      ) STRICT, WITHOUT ROWID;
      -- Serves per-user lists (newest first), pruning and the foreign-key cascade.
      CREATE INDEX sessions_by_user_newest_first ON sessions (user_id, created_at DESC, id DESC);
    `,
  },
  {
    version: 5,
    description: "sign-in attempt counters",
    sql: `
      -- One row per user id or client network that tried to sign in lately; rows lapse at expires_at.
      CREATE TABLE attempt_counters (
        id              TEXT    NOT NULL PRIMARY KEY,
        attempts        INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        expires_at      INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX attempt_counters_by_expiry ON attempt_counters (expires_at);
    `,
  },
  {
    version: 6,
    description: "tenants",
    sql: `
      CREATE TABLE tenants (
        tenant_id  TEXT    NOT NULL PRIMARY KEY,
        name       TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX tenants_newest_first ON tenants (created_at DESC, tenant_id DESC);
      -- NULL (every user before this version) is a system user. No cascade: a tenant with users is never
      -- deleted (tenants.ts decides it inside the delete's transaction; the reference is the backstop).
      ALTER TABLE users ADD COLUMN tenant_id TEXT REFERENCES tenants (tenant_id);
      -- Serves one tenant's users newest first, their count, and the delete's not-empty check.
      CREATE INDEX users_by_tenant_newest_first ON users (tenant_id, created_at DESC, user_id DESC);
    `,
  },
];

/** The schema version this code expects. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/** Brings the schema up to {@link LATEST_SCHEMA_VERSION}; refuses a database from a newer Keyward. */
export function migrate(db: SqliteDatabase): void {
  // IMMEDIATE takes the write lock first, so two processes opening a new file cannot both migrate.
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version     INTEGER NOT NULL PRIMARY KEY,
      description TEXT    NOT NULL,
      applied_at  INTEGER NOT NULL
    ) STRICT`);
    const current = schemaVersion(db);
    if (current > LATEST_SCHEMA_VERSION) {
      throw new Error(
        `database schema version ${current} is newer than this Keyward supports (${LATEST_SCHEMA_VERSION}); upgrade Keyward`,
      );
    }
    const record = db.prepare("INSERT INTO schema_migrations (version, description, applied_at) VALUES (?, ?, ?)");
    for (const migration of MIGRATIONS.filter((m) => m.version > current)) {
      db.exec(migration.sql);
      record.run(migration.version, migration.description, Date.now());
    }
  }).immediate();
}

/** The highest applied migration version (0 for an empty database). */
export function schemaVersion(db: SqliteDatabase): number {
  const row = db.prepare<[], { version: number | null }>("SELECT max(version) AS version FROM schema_migrations").get();
  return row?.version ?? 0;
}
