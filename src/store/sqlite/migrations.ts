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
  {
    version: 7,
    description: "events, webhooks, their outbox and expiry warnings",
    sql: `
      -- The audit trail (ARCHITECTURE.md, "Events"). seq is the rowid, set by the appender from the chain
      -- head (not AUTOINCREMENT: the head row, not sqlite_sequence, says where the chain stands).
      CREATE TABLE events (
        seq                INTEGER NOT NULL PRIMARY KEY,
        time               INTEGER NOT NULL,
        type               TEXT    NOT NULL,
        actor_user_id      TEXT,
        actor_api_key_id   TEXT,
        actor_session_id   TEXT,
        subject_tenant_id  TEXT,
        subject_user_id    TEXT,
        subject_api_key_id TEXT,
        subject_session_id TEXT,
        client_address     TEXT,
        client_user_agent  TEXT,
        changed            TEXT    NOT NULL,
        reason             TEXT,
        count              INTEGER NOT NULL,
        previous_hash      TEXT    NOT NULL,
        hash               TEXT    NOT NULL
      ) STRICT;
      -- One per filter that drives a list: each holds the rowid (seq), so it walks one user's, key's or
      -- tenant's events in seq order, newest or oldest first, without a sort.
      CREATE INDEX events_by_subject_user ON events (subject_user_id) WHERE subject_user_id IS NOT NULL;
      CREATE INDEX events_by_actor_user ON events (actor_user_id) WHERE actor_user_id IS NOT NULL;
      CREATE INDEX events_by_subject_api_key ON events (subject_api_key_id) WHERE subject_api_key_id IS NOT NULL;
      CREATE INDEX events_by_subject_tenant ON events (subject_tenant_id) WHERE subject_tenant_id IS NOT NULL;
      CREATE INDEX events_by_time ON events (time);
      -- One row: the newest event's seq and hash (where the next one links), and the retention's anchor.
      CREATE TABLE event_chain (
        id                  INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        seq                 INTEGER NOT NULL,
        hash                TEXT    NOT NULL,
        pruned_through_seq  INTEGER NOT NULL,
        pruned_through_hash TEXT    NOT NULL
      ) STRICT;
      INSERT INTO event_chain (id, seq, hash, pruned_through_seq, pruned_through_hash) VALUES (1, 0, '', 0, '');

      -- No reference to tenants: a webhook is only ever matched by its tenant id against events.
      CREATE TABLE webhooks (
        webhook_id      TEXT    NOT NULL PRIMARY KEY,
        tenant_id       TEXT,
        url             TEXT    NOT NULL,
        event_types     TEXT    NOT NULL,
        enabled         INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        secret_salt     TEXT    NOT NULL,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        delivered       INTEGER NOT NULL DEFAULT 0,
        failed          INTEGER NOT NULL DEFAULT 0,
        last_attempt_at INTEGER,
        last_status     INTEGER,
        last_error      TEXT,
        last_success_at INTEGER
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX webhooks_newest_first ON webhooks (created_at DESC, webhook_id DESC);
      -- Serves one scope's list and count, and the appender's match (tenant_id IS NULL: the system's).
      CREATE INDEX webhooks_by_tenant_newest_first ON webhooks (tenant_id, created_at DESC, webhook_id DESC);

      -- The outbox: one row per (webhook, event), queued in the event's transaction.
      CREATE TABLE webhook_deliveries (
        webhook_id      TEXT    NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
        event_seq       INTEGER NOT NULL REFERENCES events (seq) ON DELETE CASCADE,
        state           TEXT    NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts        INTEGER NOT NULL,
        next_attempt_at INTEGER NOT NULL,
        lease_owner     TEXT,
        lease_until     INTEGER,
        queued_at       INTEGER NOT NULL,
        finished_at     INTEGER,
        PRIMARY KEY (webhook_id, event_seq)
      ) STRICT, WITHOUT ROWID;
      -- The claim: due pending deliveries, most overdue first (a claim moves next_attempt_at to its lease's end).
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at, event_seq);
      -- A webhook's pending count, and the cascade from a pruned event.
      CREATE INDEX webhook_deliveries_by_webhook_state ON webhook_deliveries (webhook_id, state);
      CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (event_seq);
      CREATE INDEX webhook_deliveries_finished ON webhook_deliveries (finished_at) WHERE finished_at IS NOT NULL;

      -- One row per warning given: (key, point, expiry date), so a changed expiry is warned anew.
      CREATE TABLE expiry_warnings (
        key_id     TEXT    NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        lead_ms    INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        warned_at  INTEGER NOT NULL,
        PRIMARY KEY (key_id, lead_ms, expires_at)
      ) STRICT, WITHOUT ROWID;
      -- The sweep's range: keys expiring within a lead time.
      CREATE INDEX api_keys_by_expiry ON api_keys (expires_at) WHERE expires_at IS NOT NULL;
    `,
  },
  {
    version: 8,
    description: "api key rate limits, usage credits and metadata",
    sql: `
      -- NULL (every key before this version) means no limit, unlimited uses, no refill, no metadata. The
      -- pairs are set together or not at all; remaining_uses and refilled_at likewise (record-checks.ts).
      ALTER TABLE api_keys ADD COLUMN rate_limit_requests INTEGER;
      ALTER TABLE api_keys ADD COLUMN rate_limit_period_ms INTEGER;
      ALTER TABLE api_keys ADD COLUMN remaining_uses INTEGER;
      ALTER TABLE api_keys ADD COLUMN refill_amount INTEGER;
      ALTER TABLE api_keys ADD COLUMN refill_period_ms INTEGER;
      ALTER TABLE api_keys ADD COLUMN refilled_at INTEGER;
      -- A JSON object of strings; NULL when empty.
      ALTER TABLE api_keys ADD COLUMN metadata TEXT;
    `,
  },
  {
    version: 9,
    description: "row counts kept by triggers",
    sql: `
      -- The sizes lists report and the key cap reads, kept by triggers in the transaction of every insert,
      -- delete or move of a row, so they cannot drift or be forgotten, and a read is one seek instead of a
      -- count over every row (ARCHITECTURE.md, "The store"). kind: 'users' and 'tenants' (id ''), the
      -- users of a tenant (id: the tenant's), the api keys of a user (id: the user's).
      CREATE TABLE row_counts (
        kind TEXT    NOT NULL CHECK (kind IN ('users', 'tenants', 'users_of_tenant', 'api_keys_of_user')),
        id   TEXT    NOT NULL,
        n    INTEGER NOT NULL,
        PRIMARY KEY (kind, id)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO row_counts (kind, id, n) SELECT 'users', '', count(*) FROM users;
      INSERT INTO row_counts (kind, id, n) SELECT 'tenants', '', count(*) FROM tenants;
      INSERT INTO row_counts (kind, id, n)
        SELECT 'users_of_tenant', tenant_id, count(*) FROM users WHERE tenant_id IS NOT NULL GROUP BY tenant_id;
      INSERT INTO row_counts (kind, id, n) SELECT 'api_keys_of_user', user_id, count(*) FROM api_keys GROUP BY user_id;

      CREATE TRIGGER users_count_insert AFTER INSERT ON users BEGIN
        UPDATE row_counts SET n = n + 1 WHERE kind = 'users' AND id = '';
        INSERT INTO row_counts (kind, id, n) SELECT 'users_of_tenant', NEW.tenant_id, 1 WHERE NEW.tenant_id IS NOT NULL
          ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
      END;
      -- A deleted user's keys go by the foreign-key cascade, whose deletes fire api_keys_count_delete; the
      -- user's row of counts goes here, whichever runs first (a decrement of a missing row changes nothing).
      CREATE TRIGGER users_count_delete AFTER DELETE ON users BEGIN
        UPDATE row_counts SET n = n - 1 WHERE kind = 'users' AND id = '';
        UPDATE row_counts SET n = n - 1 WHERE kind = 'users_of_tenant' AND id = OLD.tenant_id;
        DELETE FROM row_counts WHERE kind = 'api_keys_of_user' AND id = OLD.user_id;
      END;
      CREATE TRIGGER users_count_tenant_move AFTER UPDATE OF tenant_id ON users
        WHEN OLD.tenant_id IS NOT NEW.tenant_id BEGIN
        UPDATE row_counts SET n = n - 1 WHERE kind = 'users_of_tenant' AND id = OLD.tenant_id;
        INSERT INTO row_counts (kind, id, n) SELECT 'users_of_tenant', NEW.tenant_id, 1 WHERE NEW.tenant_id IS NOT NULL
          ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER tenants_count_insert AFTER INSERT ON tenants BEGIN
        UPDATE row_counts SET n = n + 1 WHERE kind = 'tenants' AND id = '';
      END;
      CREATE TRIGGER tenants_count_delete AFTER DELETE ON tenants BEGIN
        UPDATE row_counts SET n = n - 1 WHERE kind = 'tenants' AND id = '';
        DELETE FROM row_counts WHERE kind = 'users_of_tenant' AND id = OLD.tenant_id;
      END;
      CREATE TRIGGER api_keys_count_insert AFTER INSERT ON api_keys BEGIN
        INSERT INTO row_counts (kind, id, n) VALUES ('api_keys_of_user', NEW.user_id, 1)
          ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER api_keys_count_delete AFTER DELETE ON api_keys BEGIN
        UPDATE row_counts SET n = n - 1 WHERE kind = 'api_keys_of_user' AND id = OLD.user_id;
      END;
      CREATE TRIGGER api_keys_count_owner_move AFTER UPDATE OF user_id ON api_keys
        WHEN OLD.user_id IS NOT NEW.user_id BEGIN
        UPDATE row_counts SET n = n - 1 WHERE kind = 'api_keys_of_user' AND id = OLD.user_id;
        INSERT INTO row_counts (kind, id, n) VALUES ('api_keys_of_user', NEW.user_id, 1)
          ON CONFLICT (kind, id) DO UPDATE SET n = n + 1;
      END;
    `,
  },
];

/** The schema version this code expects. */
export const LATEST_SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

/**
 * Brings the schema up to `target` ({@link LATEST_SCHEMA_VERSION} but in tests, which make the files of
 * older releases with it); refuses a database from a newer Keyward.
 */
export function migrate(db: SqliteDatabase, target = LATEST_SCHEMA_VERSION): void {
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
    for (const migration of MIGRATIONS.filter((m) => m.version > current && m.version <= target)) {
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
