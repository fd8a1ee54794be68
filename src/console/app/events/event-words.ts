/**
 * Events as people read them (ARCHITECTURE.md, "Events"): a type in words ("API key disabled"), a
 * refusal's reason in words, and each changed field as "before → after" in the console's own terms
 * (rights by their labels, states as the key table shows them). A type, reason or field this console
 * does not know is shown as the API names it: clients must accept types they do not know.
 */
import type { Event, EventChange } from "../../../../gen/keyward/v1/event_pb.js";
import { formatDate } from "../format.js";
import { countText } from "../keys/key-limits.js";
import { labelOf } from "../rights.js";

const TYPES: Readonly<Record<string, string>> = {
  "user.create": "User created",
  "user.update": "User changed",
  "user.delete": "User deleted",
  "user.password.update": "Password changed",
  "api_key.create": "API key created",
  "api_key.update": "API key changed",
  "api_key.regenerate": "API key regenerated",
  "api_key.delete": "API key deleted",
  "api_key.expiring": "API key expires soon",
  "api_key.leaked": "API key found leaked",
  "session.create": "Signed in",
  "session.delete": "Session ended",
  "tenant.create": "Tenant created",
  "tenant.update": "Tenant changed",
  "tenant.delete": "Tenant deleted",
  "auth.fail": "Credential refused",
};

/** The type filters Activity offers: prefixes of `type`, as the API filters them. */
export const TYPE_FILTERS: ReadonlyArray<{ readonly prefix: string; readonly label: string }> = [
  { prefix: "", label: "All events" },
  { prefix: "api_key.", label: "API keys" },
  { prefix: "auth.fail", label: "Refused credentials" },
  { prefix: "session.", label: "Sign-ins and sessions" },
  { prefix: "user.", label: "Users and passwords" },
  { prefix: "tenant.", label: "Tenants" },
];

/**
 * An event's type in words. A key update that only turned the key off or on says so, since that is
 * what a person did with the status toggle.
 */
export function typeWords(event: Event): string {
  if (event.type === "api_key.update" && event.changed.length === 1 && event.changed[0]!.field === "state") {
    const after = parsed(event.changed[0]!.after);
    if (after === "disabled") return "API key disabled";
    if (after === "active") return "API key enabled";
  }
  return TYPES[event.type] ?? event.type;
}

const REASONS: Readonly<Record<string, string>> = {
  API_KEY_INVALID: "wrong or unknown API key",
  API_KEY_NOT_FOUND: "unknown API key",
  API_KEY_DISABLED: "disabled API key",
  API_KEY_EXPIRED: "expired API key",
  API_KEY_IP_NOT_ALLOWED: "API key used from a network it is not allowed from",
  INSUFFICIENT_RIGHTS: "missing rights",
  LOGIN_FAILED: "wrong user id or password",
  SESSION_EXPIRED: "expired session",
  SESSION_INVALID: "unknown or ended session",
  USER_SUSPENDED: "suspended user",
  API_KEY_SECRET_SUPERSEDED: "old secret of a regenerated API key",
  CREDENTIALS_MALFORMED: "malformed credentials",
  LOGIN_THROTTLED: "too many sign-in attempts",
  API_KEY_RATE_LIMITED: "API key over its rate limit",
  API_KEY_USAGE_EXHAUSTED: "API key with no uses left",
  API_KEY_METERED: "not allowed for an API key with limits",
};

/**
 * Where a leaked key was found: the URL of an `api_key.leaked` event's reason (the page the report
 * named), when it is an http(s) URL the console may link to; undefined otherwise.
 */
export function leakUrl(event: Event): string | undefined {
  if (event.type !== "api_key.leaked" || event.reason === "") return undefined;
  try {
    const url = new URL(event.reason);
    return url.protocol === "https:" || url.protocol === "http:" ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** An event's reason in words: why a credential was refused, or when an expiring key expires. */
export function reasonWords(event: Event): string {
  if (event.reason === "") return "";
  if (event.type === "api_key.leaked") return `found at ${event.reason}`;
  if (event.type === "api_key.expiring") {
    const days = /^(\d+)d$/.exec(event.reason);
    if (days) return days[1] === "1" ? "expires within a day" : `expires within ${days[1]} days`;
  }
  return REASONS[event.reason] ?? event.reason;
}

const FIELDS: Readonly<Record<string, string>> = {
  rights: "Rights",
  state: "State",
  expires_at: "Expires",
  allowed_ips: "Allowed networks",
  admin: "Admin",
  name: "Name",
  email: "Email",
  secret: "Secret",
  password: "Password",
  previous_secret_valid_until: "Old secret works until",
  rate_limit: "Rate limit",
  remaining_uses: "Remaining uses",
  refill: "Refill",
  metadata: "Metadata",
};

/** One changed field in words: its name, and its values before and after when the event has them. */
export interface ChangeWords {
  readonly field: string;
  /** Empty when there was no value before (a creation) or the event names the field without values. */
  readonly before: string;
  readonly after: string;
}

/** A changed field in words. */
export function changeWords(change: EventChange): ChangeWords {
  return {
    field: FIELDS[change.field] ?? change.field,
    before: change.before === "" ? "" : valueWords(change.field, change.before),
    after: change.after === "" ? "" : valueWords(change.field, change.after),
  };
}

/** A recorded value (JSON text) in the console's terms; JSON the console does not expect is shown as it is. */
function valueWords(field: string, json: string): string {
  const value = parsed(json);
  switch (field) {
    case "rights":
      return Array.isArray(value) ? (value.length === 0 ? "none" : value.map((right) => (typeof right === "number" ? labelOf(right) : String(right))).join(", ")) : json;
    case "state":
      return typeof value === "string" && value !== "" ? value.charAt(0).toUpperCase() + value.slice(1) : json;
    case "admin":
      return value === true ? "Yes" : value === false ? "No" : json;
    case "allowed_ips":
      return Array.isArray(value) ? (value.length === 0 ? "anywhere" : value.join(", ")) : json;
    case "rate_limit":
      if (value === null) return "no limit";
      return perPeriodWords(value, "requests", (n, period) => `${countText(n)} ${n === 1 ? "call" : "calls"} per ${period}`) ?? json;
    case "remaining_uses":
      if (value === null) return "unlimited";
      return typeof value === "number" ? countText(value) : json;
    case "refill":
      if (value === null) return "none";
      return perPeriodWords(value, "amount", (n, period) => `to ${countText(n)} every ${period}`) ?? json;
    case "expires_at":
    case "previous_secret_valid_until":
      if (value === null) return field === "expires_at" ? "never" : "none";
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? formatDate(new Date(value)).text : json;
    default:
      return json;
  }
}

/**
 * A recorded amount per period (`{"requests": 100, "period": "60s"}`; the period also as seconds or
 * milliseconds) in words, or undefined when the value has another shape.
 */
function perPeriodWords(value: unknown, amountField: string, words: (amount: number, period: string) => string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  const amount = record[amountField];
  const seconds = periodSeconds(record);
  if (typeof amount !== "number" || seconds === undefined || !Number.isInteger(seconds) || seconds <= 0) return undefined;
  const unit = ([[86_400, "day"], [3_600, "hour"], [60, "minute"], [1, "second"]] as const).find(([length]) => seconds % length === 0)!;
  const count = seconds / unit[0];
  return words(amount, count === 1 ? unit[1] : `${countText(count)} ${unit[1]}s`);
}

/** A recorded period in whole seconds: `"60s"` (proto JSON), `period_seconds`, or `period_ms`/`periodMs`. */
function periodSeconds(record: Record<string, unknown>): number | undefined {
  const { period } = record;
  if (typeof period === "string") {
    const match = /^(\d+)(?:\.0*)?s$/.exec(period);
    if (match) return Number(match[1]);
  }
  if (typeof period === "number") return period;
  const seconds = record.period_seconds ?? record.periodSeconds;
  if (typeof seconds === "number") return seconds;
  const ms = record.period_ms ?? record.periodMs;
  if (typeof ms === "number") return ms / 1000;
  return undefined;
}

function parsed(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
