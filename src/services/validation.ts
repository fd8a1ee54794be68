/**
 * Input validation. Every problem of a request is collected and reported at once, one violation per
 * field (`INVALID_ARGUMENT`, reason `VALIDATION_FAILED`, with a google.rpc.BadRequest).
 */
import { validationFailed, type FieldViolation } from "../errors/errors.js";
import { parseNetwork } from "../net/networks.js";
import { ID_LENGTH } from "../keys/index.js";
import { rights } from "../rights/index.js";
import { characterCount } from "../text-length.js";

export const USER_ID_PATTERN = /^[a-z0-9](?:-?[a-z0-9])+$/;
export const USER_NAME_MAX = 100;
export const TENANT_NAME_MAX = 100;
export const EMAIL_MAX = 254;
export const KEY_NAME_MAX = 50;
export const PAGE_SIZE_DEFAULT = 50;
export const PAGE_SIZE_MAX = 1000;
export const GRACE_PERIOD_MAX_MS = 7 * 24 * 3600 * 1000;
/** Most networks one key may list (ARCHITECTURE.md, "The network edge"). */
export const ALLOWED_IPS_MAX = 64;
/** Loose on purpose: one `@`, something on each side, no spaces. Deliverability is not ours to judge. */
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/;
const KEY_ID_PATTERN = new RegExp(`^[A-Z2-7]{${ID_LENGTH}}$`);
/**
 * What text shown to people may not contain: control characters (C0, DEL, C1: ESC sequences retitle and
 * clear terminals), Unicode's bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069: an override makes a name read backwards) and the line and paragraph separators.
 */
const UNSAFE_TEXT = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u;
const UNSAFE_TEXT_MESSAGE = "must not contain control characters or bidirectional-text controls (such as U+202E)";

/** Collects violations; `done()` throws them all, if any. */
export class Violations {
  private readonly list: FieldViolation[] = [];

  add(field: string, description: string): void {
    this.list.push({ field, description });
  }

  /** Records `description` for `field` unless `ok`. Returns `ok`. */
  check(ok: boolean, field: string, description: string): boolean {
    if (!ok) this.add(field, description);
    return ok;
  }

  done(): void {
    if (this.list.length > 0) throw validationFailed(this.list);
  }
}

export function checkUserId(v: Violations, field: string, userId: string): void {
  checkChosenId(v, field, userId, "billing-gateway");
}

/** A tenant id has a user id's syntax (ARCHITECTURE.md, "Tenants"). */
export function checkTenantId(v: Violations, field: string, tenantId: string): void {
  checkChosenId(v, field, tenantId, "acme");
}

/** A chosen id of a user or tenant: required, 3 to 36 characters of {@link USER_ID_PATTERN}. */
function checkChosenId(v: Violations, field: string, id: string, example: string): void {
  if (!v.check(id !== "", field, "required")) return;
  v.check(
    id.length >= 3 && id.length <= 36 && USER_ID_PATTERN.test(id),
    field,
    `must be 3 to 36 lower-case letters, digits and single inner dashes, e.g. \`${example}\``,
  );
}

/** An optional tenant id (`""` for none): checked only when given. */
export function checkOptionalTenantId(v: Violations, field: string, tenantId: string): void {
  if (tenantId !== "") checkTenantId(v, field, tenantId);
}

export function checkKeyId(v: Violations, field: string, keyId: string): void {
  if (!v.check(keyId !== "", field, "required")) return;
  v.check(KEY_ID_PATTERN.test(keyId), field, `must be a ${ID_LENGTH}-character key id (A-Z, 2-7)`);
}

export function checkSessionId(v: Violations, field: string, sessionId: string): void {
  if (!v.check(sessionId !== "", field, "required")) return;
  v.check(KEY_ID_PATTERN.test(sessionId), field, `must be a ${ID_LENGTH}-character session id (A-Z, 2-7)`);
}

export function checkText(v: Violations, field: string, text: string, max: number): void {
  v.check(characterCount(text, max) <= max, field, `must be at most ${max} characters`);
  v.check(!UNSAFE_TEXT.test(text), field, UNSAFE_TEXT_MESSAGE);
}

export function checkEmail(v: Violations, field: string, email: string): void {
  if (email === "") return;
  if (!v.check(email.length <= EMAIL_MAX, field, `must be at most ${EMAIL_MAX} characters`)) return;
  if (!v.check(!UNSAFE_TEXT.test(email), field, UNSAFE_TEXT_MESSAGE)) return;
  v.check(EMAIL_PATTERN.test(email), field, "must be an email address like `ops@example.com`");
}

/** Non-empty, every element a defined right other than RIGHT_INVALID. Returns the rights without repeats. */
export function checkRights(v: Violations, field: string, given: readonly number[]): number[] {
  v.check(given.length > 0, field, "at least one right is required");
  const unique = [...new Set(given)];
  for (const right of unique) {
    v.check(rights.isDefined(right), field, right === 0 ? "RIGHT_INVALID is not a right" : `unknown right ${right}`);
  }
  return unique;
}

/**
 * A key's networks: at most {@link ALLOWED_IPS_MAX}, each an IPv4 or IPv6 address or CIDR without host
 * bits. Returns them canonical (`2001:DB8::/32` → `2001:db8::/32`, `192.0.2.7` → `192.0.2.7/32`), without
 * repeats, in the order given. Every bad entry is reported, by index.
 */
export function checkAllowedIps(v: Violations, field: string, given: readonly string[]): string[] {
  v.check(given.length <= ALLOWED_IPS_MAX, field, `at most ${ALLOWED_IPS_MAX} networks (${given.length} given)`);
  const cidrs = new Set<string>();
  given.forEach((entry, i) => {
    const parsed = parseNetwork(entry.trim());
    if (parsed.ok) cidrs.add(parsed.cidr);
    else v.add(`${field}[${i}]`, UNSAFE_TEXT.test(entry) || entry.length > 64 ? "is not an IPv4 or IPv6 address or CIDR" : parsed.problem);
  });
  return [...cidrs];
}

/** `page_size` 0 (meaning the default) to 1000. Returns the effective size. */
export function checkPageSize(v: Violations, pageSize: number): number {
  v.check(pageSize >= 0 && pageSize <= PAGE_SIZE_MAX, "page_size", `must be 0 (for ${PAGE_SIZE_DEFAULT}) to ${PAGE_SIZE_MAX}`);
  return pageSize === 0 ? PAGE_SIZE_DEFAULT : pageSize;
}

/**
 * An expiry: in the future and, when a maximum lifetime is configured, present and within it.
 * `expiresAt` undefined means "never".
 */
export function checkExpiry(
  v: Violations,
  field: string,
  expiresAt: number | undefined,
  now: number,
  maxLifetimeMs: number | undefined,
): void {
  if (expiresAt === undefined) {
    v.check(maxLifetimeMs === undefined, field, `required: keys must expire within ${describeMs(maxLifetimeMs ?? 0)}`);
    return;
  }
  if (!v.check(expiresAt > now, field, "must be in the future")) return;
  if (maxLifetimeMs !== undefined) {
    v.check(expiresAt - now <= maxLifetimeMs, field, `must be within ${describeMs(maxLifetimeMs)} from now`);
  }
}

/** `90d`, `12h`, `30m` or `45s`, whichever is exact and largest. */
export function describeMs(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000]] as const) {
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
