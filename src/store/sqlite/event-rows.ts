// events rows: how an EventRecord is laid out in SQLite (time as integer ms, changed as JSON text,
// absent actor, subject and client fields as NULL).
import type { EventChange, EventRecord } from "../store.js";

/** The columns of an events row, in the order of {@link EventRow}. */
export const EVENT_COLUMNS = `seq, time, type, actor_user_id, actor_api_key_id, actor_session_id, subject_tenant_id,
  subject_user_id, subject_api_key_id, subject_session_id, client_address, client_user_agent, changed, reason,
  count, previous_hash, hash`;

/** An events row as SQLite returns it. */
export interface EventRow {
  seq: number;
  time: number;
  type: string;
  actor_user_id: string | null;
  actor_api_key_id: string | null;
  actor_session_id: string | null;
  subject_tenant_id: string | null;
  subject_user_id: string | null;
  subject_api_key_id: string | null;
  subject_session_id: string | null;
  client_address: string | null;
  client_user_agent: string | null;
  changed: string;
  reason: string | null;
  count: number;
  previous_hash: string;
  hash: string;
}

/** Maps an event to its row: the named parameters of the insert. */
export function eventToRow(event: EventRecord): EventRow {
  return {
    seq: event.seq,
    time: event.time.getTime(),
    type: event.type,
    actor_user_id: event.actor.userId ?? null,
    actor_api_key_id: event.actor.apiKeyId ?? null,
    actor_session_id: event.actor.sessionId ?? null,
    subject_tenant_id: event.subject.tenantId ?? null,
    subject_user_id: event.subject.userId ?? null,
    subject_api_key_id: event.subject.apiKeyId ?? null,
    subject_session_id: event.subject.sessionId ?? null,
    client_address: event.client.address ?? null,
    client_user_agent: event.client.userAgent ?? null,
    changed: JSON.stringify(event.changed.map((c) => [c.field, c.before ?? null, c.after ?? null])),
    reason: event.reason ?? null,
    count: event.count,
    previous_hash: event.previousHash,
    hash: event.hash,
  };
}

/** Maps a row back to an event; NULLs stay absent fields, as the chain's canonical form reads them. */
export function rowToEvent(row: EventRow): EventRecord {
  const event: EventRecord = {
    seq: row.seq,
    time: new Date(row.time),
    type: row.type,
    actor: present({ userId: row.actor_user_id, apiKeyId: row.actor_api_key_id, sessionId: row.actor_session_id }),
    subject: present({
      tenantId: row.subject_tenant_id,
      userId: row.subject_user_id,
      apiKeyId: row.subject_api_key_id,
      sessionId: row.subject_session_id,
    }),
    client: present({ address: row.client_address, userAgent: row.client_user_agent }),
    changed: (JSON.parse(row.changed) as [string, string | null, string | null][]).map(([field, before, after]) => {
      const change: EventChange = { field };
      if (before !== null) change.before = before;
      if (after !== null) change.after = after;
      return change;
    }),
    count: row.count,
    previousHash: row.previous_hash,
    hash: row.hash,
  };
  if (row.reason !== null) event.reason = row.reason;
  return event;
}

/** `fields` without its NULL entries. */
function present<K extends string>(fields: Record<K, string | null>): Partial<Record<K, string>> {
  const result: Partial<Record<K, string>> = {};
  for (const [name, value] of Object.entries(fields) as [K, string | null][]) {
    if (value !== null) result[name] = value;
  }
  return result;
}
