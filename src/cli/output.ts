/**
 * What the CLI prints: aligned tables for lists, key/value blocks for one object, the API's proto3 JSON
 * with `--json`, and the one-time notice that goes with a new key. Pure string building, except `print*`.
 */
import { toJson, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { durationMs, timestampDate, type Duration, type Timestamp } from "@bufbuild/protobuf/wkt";
import { formatDuration } from "../durations.js";
import { ApiKeyState, type ApiKey } from "../../gen/keyward/v1/api_key_pb.js";
import type { Event } from "../../gen/keyward/v1/event_pb.js";
import type { Tenant } from "../../gen/keyward/v1/tenant_pb.js";
import type { User } from "../../gen/keyward/v1/user_pb.js";
import type { TestWebhookResponse, Webhook } from "../../gen/keyward/v1/webhook_pb.js";
import { apiKeyStates, userStates } from "./enum-flags.js";
import { shortRightName } from "./rights-flags.js";
import { escapeJsonText, escapeText } from "./safe-text.js";

/** The words printed with every new key (TTN: "it will never be shown again"). */
export const KEY_NOTICE = "Copy the key now: it will not be shown again.";

/**
 * Columns padded to their widest cell, separated by three spaces; the last column is not padded, so no
 * line ends in blanks. Cells are shown with control characters escaped (see safe-text.ts).
 */
export function formatTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows].map((row) => row.map(escapeText));
  const widths = headers.map((_, column) => Math.max(...all.map((row) => width(row[column] ?? ""))));
  const line = (row: readonly string[]) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell + " ".repeat(widths[column]! - width(cell))))
      .join("   ");
  return all.map(line).join("\n") + "\n";
}

/** `label: value` lines with the values aligned, control characters escaped. */
export function formatBlock(pairs: readonly (readonly [string, string])[]): string {
  const labelWidth = Math.max(...pairs.map(([label]) => width(label))) + 1;
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(labelWidth)}  ${escapeText(value)}`).join("\n") + "\n";
}

/** Code points, so names with accents line up; wide (CJK) characters are not measured specially. */
function width(text: string): number {
  return [...text].length;
}

/** RFC 3339 in UTC to the second (`--json` keeps the full precision); `absent` when unset. */
export function formatTime(timestamp: Timestamp | undefined, absent: string): string {
  if (!timestamp) return absent;
  return timestampDate(timestamp).toISOString().replace(/\.\d+Z$/, "Z");
}

const fullRights = (list: readonly number[]) => list.map((right) => shortRightName(right, false)).join(", ");
const shortRights = (list: readonly number[]) => list.map((right) => shortRightName(right, true)).join(",");

export function userBlock(user: User): string {
  return formatBlock([
    ["User ID", user.userId],
    // Only tenant users name a tenant: a system user's block reads as it did before tenants existed.
    ...(user.tenantId ? [["Tenant", user.tenantId] as const] : []),
    ["Name", user.name || "-"],
    ["Email", user.email || "-"],
    ["Admin", user.admin ? "yes" : "no"],
    ["State", userStates.label(user.state)],
    ["Created", formatTime(user.createdAt, "-")],
    ["Updated", formatTime(user.updatedAt, "-")],
  ]);
}

/**
 * A key's state as a person needs it: the server keeps `state` (active or disabled, a toggle) apart from
 * `expires_at`, but an expired key no longer works, so calling it `active` would mislead.
 */
export function apiKeyStateLabel(key: ApiKey, now = Date.now()): string {
  const state = apiKeyStates.label(key.state);
  if (!key.expiresAt || timestampDate(key.expiresAt).getTime() > now) return state;
  return key.state === ApiKeyState.ACTIVE ? "expired" : `${state}, expired`;
}

export function apiKeyBlock(key: ApiKey): string {
  const pairs: [string, string][] = [
    ["ID", key.id],
    ["User ID", key.userId],
    ["Name", key.name || "-"],
    ["State", apiKeyStateLabel(key)],
    ["Rights", fullRights(key.rights)],
    ["Expires", formatTime(key.expiresAt, "never")],
    ["Created", formatTime(key.createdAt, "-")],
    ["Updated", formatTime(key.updatedAt, "-")],
    ["Last used", lastUsed(key)],
    ["Allowed networks", key.allowedIps.length > 0 ? key.allowedIps.join(", ") : "anywhere"],
    ["Rate limit", key.rateLimit ? `${key.rateLimit.requests} calls per ${periodText(key.rateLimit.period)}` : "none"],
    ["Remaining uses", key.remainingUses === undefined ? "unlimited" : String(key.remainingUses)],
  ];
  if (key.refill) {
    pairs.push(["Refill", `${key.refill.amount} uses every ${periodText(key.refill.period)}, next ${formatTime(key.nextRefillAt, "-")}`]);
  }
  // Metadata values are the key owner's text: escaped on output like every other field (formatBlock).
  const metadata = Object.entries(key.metadata).sort(([a], [b]) => a.localeCompare(b));
  pairs.push(["Metadata", metadata.length > 0 ? metadata.map(([k, v]) => `${k}=${v}`).join(", ") : "-"]);
  if (key.previousSecretValidUntil) {
    pairs.push(["Old secret valid until", formatTime(key.previousSecretValidUntil, "-")]);
  }
  return formatBlock(pairs);
}

/** A period as the flags take it: `60s` reads `1m`, `86400s` reads `1d`. */
function periodText(period: Duration | undefined): string {
  return period ? formatDuration(durationMs(period)) : "-";
}

/** `2026-12-01T10:00:00Z from 192.0.2.7 (curl/8.5.0)`, or "never". */
function lastUsed(key: ApiKey): string {
  const at = formatTime(key.lastUsedAt, "never");
  if (!key.lastUsedAt) return at;
  const from = key.lastUsedIp ? ` from ${key.lastUsedIp}` : "";
  return `${at}${from}${key.lastUsedUserAgent ? ` (${key.lastUsedUserAgent})` : ""}`;
}

/** Users with their tenant (`-` for a system user). */
export function usersTable(users: readonly User[]): string {
  if (users.length === 0) return "No users.\n";
  return formatTable(
    ["USER ID", "TENANT", "NAME", "EMAIL", "ADMIN", "STATE", "CREATED"],
    users.map((u) => [u.userId, u.tenantId || "-", u.name || "-", u.email || "-", u.admin ? "yes" : "no", userStates.label(u.state), formatTime(u.createdAt, "-")]),
  );
}

export function tenantBlock(tenant: Tenant): string {
  return formatBlock([
    ["Tenant ID", tenant.tenantId],
    ["Name", tenant.name || "-"],
    ["Created", formatTime(tenant.createdAt, "-")],
    ["Updated", formatTime(tenant.updatedAt, "-")],
  ]);
}

export function tenantsTable(tenants: readonly Tenant[]): string {
  if (tenants.length === 0) return "No tenants.\n";
  return formatTable(
    ["TENANT ID", "NAME", "CREATED"],
    tenants.map((t) => [t.tenantId, t.name || "-", formatTime(t.createdAt, "-")]),
  );
}

export function apiKeysTable(keys: readonly ApiKey[]): string {
  if (keys.length === 0) return "No API keys.\n";
  return formatTable(
    ["ID", "NAME", "STATE", "RIGHTS", "CREATED", "EXPIRES", "LAST USED", "LAST IP", "NETWORKS"],
    keys.map((k) => [
      k.id,
      k.name || "-",
      apiKeyStateLabel(k),
      shortRights(k.rights),
      formatTime(k.createdAt, "-"),
      formatTime(k.expiresAt, "never"),
      formatTime(k.lastUsedAt, "never"),
      k.lastUsedIp || "-",
      k.allowedIps.length > 0 ? k.allowedIps.join(",") : "any",
    ]),
  );
}

/** Events, one line each (ARCHITECTURE.md, "Events"): who, what, from where, and what changed. */
export function eventsTable(events: readonly Event[]): string {
  if (events.length === 0) return "No events.\n";
  return formatTable(EVENT_COLUMNS, events.map(eventRow));
}

/** The columns of {@link eventsTable}; `keyward events tail` prints them once, then a row per event. */
export const EVENT_COLUMNS = ["ID", "TIME", "TYPE", "ACTOR", "SUBJECT", "CLIENT", "DETAIL"] as const;

/** One event as a row of {@link EVENT_COLUMNS}. */
export function eventRow(event: Event): string[] {
  const actor = event.actor;
  const who = actor?.userId ? `${actor.userId}${actor.apiKeyId ? ` key ${actor.apiKeyId}` : actor.sessionId ? ` session ${actor.sessionId}` : ""}` : "keyward";
  const subject = event.subject;
  const what = [
    subject?.tenantId ? `tenant ${subject.tenantId}` : "",
    subject?.userId ? `user ${subject.userId}` : "",
    subject?.apiKeyId ? `key ${subject.apiKeyId}` : "",
    subject?.sessionId ? `session ${subject.sessionId}` : "",
  ].filter((part) => part !== "");
  const detail = [
    event.reason,
    event.count > 1 ? `x${event.count}` : "",
    event.changed.map((c) => (c.before || c.after ? `${c.field}: ${c.before || "-"} -> ${c.after || "-"}` : c.field)).join("; "),
  ].filter((part) => part !== "");
  return [event.id, formatTime(event.time, "-"), event.type, who, what.join(" ") || "-", event.client?.address || "-", detail.join(" ") || "-"];
}

/** A new key's metadata, then the notice, then the key alone on the last line (as `keyward bootstrap`). */
export function newKeyText(key: ApiKey | undefined, secretKey: string): string {
  return `${key ? apiKeyBlock(key) : ""}\n${KEY_NOTICE}\n\n${secretKey}\n`;
}

/** The message as the API's proto3 JSON (what the Connect protocol returns), pretty-printed. */
export function jsonText<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): string {
  return `${escapeJsonText(JSON.stringify(toJson(schema, message), null, 2))}\n`;
}

// Webhooks (ARCHITECTURE.md, "Events").

/** The words printed with a new webhook's secret. */
export const WEBHOOK_SECRET_NOTICE = "Copy the signing secret now: it will not be shown again. Receivers check each delivery's X-Keyward-Signature with it.";

export function webhookBlock(webhook: Webhook): string {
  const d = webhook.delivery;
  return formatBlock([
    ["Webhook ID", webhook.webhookId],
    ["URL", webhook.url],
    ["Events", webhook.eventTypes.length > 0 ? webhook.eventTypes.join(", ") : "all"],
    ["Enabled", webhook.enabled ? "yes" : "no"],
    ["Tenant", webhook.tenantId || "-"],
    ["Created", formatTime(webhook.createdAt, "-")],
    ["Updated", formatTime(webhook.updatedAt, "-")],
    ["Pending", String(d?.pending ?? 0n)],
    ["Delivered", String(d?.delivered ?? 0n)],
    ["Failed", String(d?.failed ?? 0n)],
    ["Last attempt", d?.lastAttemptAt ? `${formatTime(d.lastAttemptAt, "-")} (${d.lastError || `HTTP ${d.lastStatus}`})` : "never"],
    ["Last success", formatTime(d?.lastSuccessAt, "never")],
  ]);
}

export function webhooksTable(webhooks: readonly Webhook[]): string {
  if (webhooks.length === 0) return "No webhooks.\n";
  return formatTable(
    ["ID", "URL", "EVENTS", "ENABLED", "PENDING", "DELIVERED", "FAILED", "LAST ERROR"],
    webhooks.map((w) => [
      w.webhookId,
      w.url,
      w.eventTypes.length > 0 ? w.eventTypes.join(",") : "all",
      w.enabled ? "yes" : "no",
      String(w.delivery?.pending ?? 0n),
      String(w.delivery?.delivered ?? 0n),
      String(w.delivery?.failed ?? 0n),
      w.delivery?.lastError || "-",
    ]),
  );
}

/** A new webhook and its secret, with the notice. */
export function newWebhookText(webhook: Webhook | undefined, secret: string): string {
  return `${webhook ? webhookBlock(webhook) : ""}\n${WEBHOOK_SECRET_NOTICE}\n\n${secret}\n`;
}

/** What the receiver answered to a test event. */
export function webhookTestText(response: TestWebhookResponse): string {
  const answer = response.error === "" ? `answered HTTP ${response.status}` : `failed: ${response.error}`;
  return `Sent test event ${response.event?.id ?? ""} (${response.event?.type ?? "webhook.test"}): the receiver ${answer}.\n`;
}
