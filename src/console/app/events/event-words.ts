/**
 * Events as people read them (ARCHITECTURE.md, "Events"): a type in words ("API key disabled"), a
 * refusal's reason in words, and each changed field as "before → after" in the console's own terms
 * (rights by their labels, states as the key table shows them). A type, reason or field this console
 * does not know is shown as the API names it: clients must accept types they do not know.
 */
import type { Event, EventChange } from "../../../../gen/keyward/v1/event_pb.js";
import { formatDate } from "../format.js";
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
};

/** An event's reason in words: why a credential was refused, or when an expiring key expires. */
export function reasonWords(event: Event): string {
  if (event.reason === "") return "";
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
    case "expires_at":
    case "previous_secret_valid_until":
      if (value === null) return field === "expires_at" ? "never" : "none";
      return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? formatDate(new Date(value)).text : json;
    default:
      return json;
  }
}

function parsed(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return json;
  }
}
