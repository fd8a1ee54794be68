/**
 * Keyward's domain errors, each declared once with its code and a stable machine reason (TTN style).
 * Services and auth throw these; exactly one place (src/errors/error-mapping.ts) turns them into Connect
 * codes with a `google.rpc.ErrorInfo` (domain `keyward`) and, for bad input, a `google.rpc.BadRequest`.
 *
 * Leaf module: imports nothing from src/ but the request limits (a leaf too), and knows no protocol.
 */
import {
  MAX_ERROR_ATTRIBUTE,
  MAX_ERROR_MESSAGE_BYTES,
  MAX_FIELD_VIOLATIONS,
  MAX_VIOLATION_DESCRIPTION,
  MAX_VIOLATION_FIELD,
  MAX_VIOLATIONS_TEXT,
} from "../request-limits.js";

/** The canonical status codes Keyward uses (the gRPC names, lower snake case). */
export type ErrorCode =
  | "invalid_argument"
  | "unauthenticated"
  | "permission_denied"
  | "not_found"
  | "already_exists"
  | "failed_precondition"
  | "resource_exhausted"
  | "out_of_range"
  | "unimplemented"
  | "deadline_exceeded"
  | "unavailable"
  | "internal";

/** One bad input field, in proto field-path form (`api_key.expires_at`). */
export interface FieldViolation {
  readonly field: string;
  readonly description: string;
}

/** An error a Keyward caller may see. `reason` is stable; `message` is for people. */
export class KeywardError extends Error {
  override readonly name = "KeywardError";

  constructor(
    readonly code: ErrorCode,
    readonly reason: string,
    message: string,
    /** Public attributes, copied into `ErrorInfo.metadata`. Never a secret. */
    readonly metadata: Readonly<Record<string, string>> = {},
    readonly violations: readonly FieldViolation[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryDelayMs = options?.retryDelayMs;
  }

  /** How long the caller should wait before trying again (`google.rpc.RetryInfo`, `Retry-After`). */
  readonly retryDelayMs: number | undefined;
}

/** Options of a {@link KeywardError}. */
export interface ErrorOptions {
  readonly cause?: unknown;
  /** For refusals that pass with time (throttling): how long to wait, in ms. */
  readonly retryDelayMs?: number;
}

/** An error declaration: its code, reason and message template with `{attribute}` placeholders. */
export interface ErrorDefinition {
  readonly code: ErrorCode;
  readonly reason: string;
  /** Creates the error, filling the template from `metadata`. */
  create(metadata?: Record<string, string>, options?: ErrorOptions): KeywardError;
  /** True when `error` was created from this definition. */
  is(error: unknown): error is KeywardError;
}

function define(code: ErrorCode, reason: string, template: string): ErrorDefinition {
  return {
    code,
    reason,
    create(given = {}, options) {
      const metadata = clipAttributes(given);
      const message = template.replace(/\{(\w+)\}/g, (_, name: string) => metadata[name] ?? `{${name}}`);
      return new KeywardError(code, reason, message, metadata, [], options);
    },
    is(error: unknown): error is KeywardError {
      return error instanceof KeywardError && error.reason === reason;
    },
  };
}

// Credentials (ARCHITECTURE.md, "Credentials and errors"). Messages never contain the credential itself.
export const CredentialsMissing = define(
  "unauthenticated",
  "CREDENTIALS_MISSING",
  "no credentials: send `Authorization: Bearer <api key>`",
);
export const CredentialsMalformed = define("unauthenticated", "CREDENTIALS_MALFORMED", "malformed credentials: {problem}");
/** Unknown key id and wrong secret look the same, so probing ids learns nothing. */
export const ApiKeyInvalid = define("unauthenticated", "API_KEY_INVALID", "invalid API key");
export const ApiKeyDisabled = define("unauthenticated", "API_KEY_DISABLED", "API key `{key_id}` is disabled");
export const ApiKeyExpired = define("unauthenticated", "API_KEY_EXPIRED", "API key `{key_id}` expired at {expired_at}");
export const UserSuspended = define("unauthenticated", "USER_SUSPENDED", "user `{user_id}` is suspended");
/** `--insecure-transport reject` (ARCHITECTURE.md, "The network edge"): refused, never revoked. */
export const InsecureTransport = define(
  "unauthenticated",
  "INSECURE_TRANSPORT",
  "credentials sent over an unencrypted connection from {address} are refused: use TLS, or a TLS-terminating proxy listed in --trusted-proxies",
);

// Networks (ARCHITECTURE.md, "The network edge"). Naming the address seen lets an operator tell a wrong allowlist from a wrong proxy setup.
export const ApiKeyIpNotAllowed = define(
  "permission_denied",
  "API_KEY_IP_NOT_ALLOWED",
  "API key `{key_id}` may not be used from {address}",
);

// Metering (ARCHITECTURE.md, "Keys"): a key's rate limit and usage credits, judged after its other checks.
export const ApiKeyRateLimited = define(
  "resource_exhausted",
  "API_KEY_RATE_LIMITED",
  "API key `{key_id}` may make {requests} calls per {period}; try again in {retry_after_seconds} s",
);
export const ApiKeyUsageExhausted = define(
  "resource_exhausted",
  "API_KEY_USAGE_EXHAUSTED",
  "API key `{key_id}` has no uses left{until}",
);

// Sessions (ARCHITECTURE.md, "Sessions and passwords").
/** Unknown, ended and wrong-secret sessions look the same, like API keys. */
export const SessionInvalid = define("unauthenticated", "SESSION_INVALID", "invalid session: sign in again");
export const SessionExpired = define("unauthenticated", "SESSION_EXPIRED", "session `{session_id}` expired at {expired_at}: sign in again");
/** The session cookie outside a same-origin request: the CSRF defence (ARCHITECTURE.md, "Sessions and passwords"). */
export const SessionCrossOrigin = define(
  "unauthenticated",
  "SESSION_INVALID",
  "the `keyward_session` cookie authenticates only same-origin requests (`Sec-Fetch-Site: same-origin`, or an `Origin` equal to this server's)",
);

/**
 * A sign-in that would set the session cookie, sent as a page of another origin could send it (login
 * CSRF: the browser would be signed into someone else's account).
 */
export const CookieSignInRefused = define(
  "permission_denied",
  "SESSION_CROSS_ORIGIN",
  "a sign-in that sets the `keyward_session` cookie must come from this server's own pages: {problem}",
);

// Sign-in (ARCHITECTURE.md, "Sessions and passwords"). Unknown user, no password, wrong password and suspended user read the same.
export const LoginFailed = define("unauthenticated", "LOGIN_FAILED", "wrong user id or password");
export const LoginThrottled = define(
  "resource_exhausted",
  "LOGIN_THROTTLED",
  "too many failed sign-ins for this {subject}; try again in {retry_after_seconds} s",
);
/** More passwords waiting to be checked than the hashing queue holds: a burst, not this caller's fault. */
export const PasswordQueueFull = define(
  "resource_exhausted",
  "PASSWORD_QUEUE_FULL",
  "too many passwords are being checked at once; try again in a second",
);

// Rights.
export const InsufficientRights = define("permission_denied", "INSUFFICIENT_RIGHTS", "missing rights: {missing}");
/** The key-access rule (ARCHITECTURE.md, "Rights and access"): touching a key needs every right it has. Same reason as above. */
export const KeyRightsNotHeld = define(
  "permission_denied",
  "INSUFFICIENT_RIGHTS",
  "API key `{key_id}` has rights the caller does not hold, so the caller may not change, regenerate or delete it; missing rights: {missing}",
);
/**
 * The user-access rule: changing another user (its password, profile, admin flag, state, sessions, or
 * itself) needs every right that user may hold. Same reason as above.
 */
export const UserRightsNotHeld = define(
  "permission_denied",
  "INSUFFICIENT_RIGHTS",
  "user `{user_id}` may hold rights the caller does not, so the caller may not {action}; missing rights: {missing}",
);
/**
 * The grace rule: a key's previous secret, still accepted during a regenerate's grace period, may call
 * but not mint or change credentials.
 */
export const ApiKeySecretSuperseded = define(
  "permission_denied",
  "API_KEY_SECRET_SUPERSEDED",
  "API key `{key_id}` was used with its previous secret, which a regenerate replaced: until the grace period ends it may still call, but not create, change, regenerate or delete API keys, set passwords or grant admin; use the new secret",
);
/**
 * The metered rule: a key with a rate limit or usage credits may not mint a credential (which would not
 * be metered) nor loosen any key's limits.
 */
export const ApiKeyMetered = define(
  "permission_denied",
  "API_KEY_METERED",
  "API key `{key_id}` has a rate limit or usage credits, so it may not {action}",
);
export const RightsOutsideOwnerUniverse = define(
  "permission_denied",
  "RIGHTS_OUTSIDE_OWNER_UNIVERSE",
  "user `{user_id}` may not hold rights: {rights}",
);
export const AccessUndeclared = define(
  "permission_denied",
  "ACCESS_UNDECLARED",
  "method `{method}` declares no access requirement and is refused",
);

// Resources.
export const UserNotFound = define("not_found", "USER_NOT_FOUND", "user `{user_id}` not found");
export const UserAlreadyExists = define("already_exists", "USER_ALREADY_EXISTS", "user `{user_id}` already exists");
export const ApiKeyNotFound = define("not_found", "API_KEY_NOT_FOUND", "API key `{key_id}` not found");
export const SessionNotFound = define("not_found", "SESSION_NOT_FOUND", "session `{session_id}` not found");
export const ApiKeyLimitReached = define(
  "resource_exhausted",
  "API_KEY_LIMIT_REACHED",
  "user `{user_id}` already has the maximum of {limit} API keys",
);
export const TenantNotFound = define("not_found", "TENANT_NOT_FOUND", "tenant `{tenant_id}` not found");
export const TenantAlreadyExists = define("already_exists", "TENANT_ALREADY_EXISTS", "tenant `{tenant_id}` already exists");
export const TenantNotEmpty = define(
  "failed_precondition",
  "TENANT_NOT_EMPTY",
  "tenant `{tenant_id}` still has users; delete them first",
);
export const LastAdmin = define(
  "failed_precondition",
  "LAST_ADMIN",
  "user `{user_id}` is the last active admin; make another user an admin first",
);

// Leak reports (ARCHITECTURE.md, "Keys"): GitHub's secret-scanning partner endpoint.
export const LeakReportsNotConfigured = define(
  "not_found",
  "LEAK_REPORTS_NOT_CONFIGURED",
  "leak reports are not accepted here: start Keyward with --leak-report-keys",
);
/** An unknown key identifier, a missing or malformed signature and a wrong one read the same. */
export const LeakReportSignatureInvalid = define(
  "unauthenticated",
  "LEAK_REPORT_SIGNATURE_INVALID",
  "the report's Github-Public-Key-Signature does not verify with a configured key: {problem}",
);
/** More reports being read at once than the endpoint takes; GitHub sends the report again later. */
export const LeakReportsBusy = define(
  "unavailable",
  "LEAK_REPORTS_BUSY",
  "too many leak reports are being read at once; try again in a second",
);

// Webhooks (ARCHITECTURE.md, "Events").
export const WebhookNotFound = define("not_found", "WEBHOOK_NOT_FOUND", "webhook `{webhook_id}` not found");
export const WebhookLimitReached = define(
  "failed_precondition",
  "WEBHOOK_LIMIT_REACHED",
  "{scope} already has the maximum of {limit} webhooks; delete one first",
);
/** A MongoDB server started without `--webhook-signing-key-file` cannot sign, so it makes no webhook. */
export const WebhookSigningKeyMissing = define(
  "failed_precondition",
  "WEBHOOK_SIGNING_KEY_MISSING",
  "this server has no webhook signing key: start it with --webhook-signing-key-file (the same file on every node)",
);

// Events (ARCHITECTURE.md, "Events"): reading the audit trail as a stream.
/** A stream whose reader fell too far behind the trail: it resumes with `after_id`, losing nothing. */
export const EventsStreamBehind = define(
  "resource_exhausted",
  "EVENTS_STREAM_BEHIND",
  "the stream's reader took nothing for {stall} while events were waiting, so the stream was ended; resume with after_id `{last_id}`",
);
/** A resume from an event that retention has already pruned. */
export const EventsPruned = define(
  "out_of_range",
  "EVENTS_PRUNED",
  "events up to `{pruned_through}` were pruned by retention; the oldest kept is `{oldest_id}`: resume with after_id `{pruned_through}`",
);
/** More event streams open than this process, or this client, may hold. */
export const EventsStreamsExhausted = define(
  "resource_exhausted",
  "EVENTS_STREAMS_EXHAUSTED",
  "{scope} already holds {limit} open event streams; close one, or page with ListEvents",
);
/** A streaming method asked over a door that does not stream (gRPC-Web, Connect's unary encodings). */
export const StreamingUnsupported = define(
  "unimplemented",
  "STREAMING_UNSUPPORTED",
  "{method} is server streaming, served over gRPC and Connect streaming (`application/connect+proto` or `application/connect+json`) only; page with ListEvents otherwise",
);

// The REST gateway (src/gateway/): requests that never reach a method. The HTTP status of each is in
// src/errors/http-status.ts; the messages name the route or limit, never the request body.
export const RouteNotFound = define("not_found", "ROUTE_NOT_FOUND", "no route for {method} {path}; see /docs (interactive) or /openapi.json");
/** grpc-gateway's choice: UNIMPLEMENTED, answered with HTTP 405 and an `Allow` header. */
export const MethodNotAllowed = define("unimplemented", "METHOD_NOT_ALLOWED", "{method} is not allowed on {path}; allowed: {allowed}");
export const MalformedPath = define("invalid_argument", "MALFORMED_PATH", "malformed request path: {problem}");
export const BodyTooLarge = define("resource_exhausted", "BODY_TOO_LARGE", "request body is larger than the limit of {limit} bytes");
export const UnsupportedMediaType = define(
  "invalid_argument",
  "UNSUPPORTED_MEDIA_TYPE",
  "content-type `{content_type}` is not supported: send `application/json`",
);
export const MalformedJson = define("invalid_argument", "MALFORMED_JSON", "request body is not valid JSON: {problem}");
/** A request past the field count, nesting depth or query parameter limits, refused before it is decoded. */
export const RequestTooComplex = define("invalid_argument", "REQUEST_TOO_COMPLEX", "the request {problem} (limit: {limit})");
/** A request body compressed in a way Keyward does not read (Connect's `Content-Encoding`, gRPC-Web's `grpc-encoding`). */
export const UnsupportedEncoding = define("unimplemented", "UNSUPPORTED_ENCODING", "content encoding `{encoding}` is not supported: send gzip or identity");
/** A binary request (gRPC, Connect, gRPC-Web) that is not a protobuf message at all. */
export const MalformedMessage = define("invalid_argument", "MALFORMED_MESSAGE", "request is not a valid protobuf message: {problem}");
export const BodyNotAllowed = define("invalid_argument", "BODY_NOT_ALLOWED", "{method} {template} takes no request body");
export const DeadlineExceeded = define("deadline_exceeded", "DEADLINE_EXCEEDED", "the request's deadline of {timeout} s was exceeded");

// Infrastructure.
export const StoreUnavailable = define("unavailable", "STORE_UNAVAILABLE", "the store is unavailable, try again");
export const Internal = define("internal", "INTERNAL", "internal error");

/**
 * Bad input: one violation per bad field, reported at once, within bounds whatever the input: at most
 * {@link MAX_FIELD_VIOLATIONS} of them and {@link MAX_VIOLATIONS_TEXT} bytes of text (each field path
 * and description cut to its own cap), then one entry saying how many more there were.
 */
export function validationFailed(violations: readonly FieldViolation[]): KeywardError {
  const kept: FieldViolation[] = [];
  let text = 0;
  for (const violation of violations) {
    const field = clipText(violation.field, MAX_VIOLATION_FIELD);
    const description = clipText(violation.description, MAX_VIOLATION_DESCRIPTION);
    const size = utf8Length(field) + utf8Length(description);
    if (kept.length === MAX_FIELD_VIOLATIONS || (kept.length > 0 && text + size > MAX_VIOLATIONS_TEXT)) break;
    kept.push({ field, description });
    text += size;
  }
  const more = violations.length - kept.length;
  if (more > 0) kept.push({ field: "", description: `and ${more} more` });
  const message = kept.map((v) => (v.field === "" ? v.description : `${v.field}: ${v.description}`)).join("; ");
  return new KeywardError("invalid_argument", "VALIDATION_FAILED", `invalid request: ${message}`, {}, kept);
}

/** The length of `text` in UTF-8 bytes. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? 2 : 3; // a surrogate pair is 4 bytes, 2 per half
  }
  return bytes;
}

/** `text`, or its first `max - 1` characters and "…" when it is longer. */
export function clipText(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Each attribute cut to {@link MAX_ERROR_ATTRIBUTE} characters (the same object when none is longer). */
function clipAttributes(metadata: Record<string, string>): Record<string, string> {
  let clipped: Record<string, string> | undefined;
  for (const [name, value] of Object.entries(metadata)) {
    if (value.length > MAX_ERROR_ATTRIBUTE) (clipped ??= { ...metadata })[name] = clipText(value, MAX_ERROR_ATTRIBUTE);
  }
  return clipped ?? metadata;
}

/** Half of a UTF-16 surrogate pair standing alone. */
const LONE_SURROGATE = /\p{Cs}/gu;

/**
 * `message` within {@link MAX_ERROR_MESSAGE_BYTES} UTF-8 bytes, cut at a character boundary and ended with
 * "…", with every lone surrogate replaced by U+FFFD: gRPC and gRPC-Web percent-encode the message into a
 * header, which throws on one, and a client's text can bring one in (`JSON.parse` quotes half a
 * character in its messages; a cut can fall inside a pair).
 */
export function clipMessage(text: string): string {
  const message = text.replace(LONE_SURROGATE, "\uFFFD");
  if (message.length * 3 <= MAX_ERROR_MESSAGE_BYTES) return message;
  const bytes = new TextEncoder().encode(message);
  if (bytes.length <= MAX_ERROR_MESSAGE_BYTES) return message;
  let end = MAX_ERROR_MESSAGE_BYTES - 3; // room for "…"
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a character
  return `${new TextDecoder().decode(bytes.subarray(0, end))}…`;
}
