/**
 * The one place where errors become Connect codes. Domain errors (KeywardError) and store errors keep
 * their stable reason in a `google.rpc.ErrorInfo` (domain `keyward`); bad input also gets a
 * `google.rpc.BadRequest` with one violation per field. Anything else is an internal error: logged here,
 * answered with a generic message so no stack trace or internal detail reaches a client.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import {
  ApiKeyLimitReached,
  ApiKeyNotFound,
  clipMessage,
  Internal,
  KeywardError,
  LastAdmin,
  SessionNotFound,
  StoreUnavailable,
  TenantAlreadyExists,
  TenantNotEmpty,
  TenantNotFound,
  UserAlreadyExists,
  UserNotFound,
  WebhookLimitReached,
  WebhookNotFound,
  validationFailed,
  type ErrorCode,
} from "./errors.js";
import type { Logger } from "../logger.js";
import { isStoreError, type StoreError } from "../store/store.js";

/** The `ErrorInfo.domain` of every Keyward error. */
export const ERROR_DOMAIN = "keyward";

/** `WWW-Authenticate` for 401s (RFC 6750); `error="invalid_token"` when a credential was sent but refused. */
export function wwwAuthenticate(reason: string): string {
  return reason === "CREDENTIALS_MISSING" ? 'Bearer realm="keyward"' : 'Bearer realm="keyward", error="invalid_token"';
}

const CODES: Record<ErrorCode, Code> = {
  invalid_argument: Code.InvalidArgument,
  unauthenticated: Code.Unauthenticated,
  permission_denied: Code.PermissionDenied,
  not_found: Code.NotFound,
  already_exists: Code.AlreadyExists,
  failed_precondition: Code.FailedPrecondition,
  resource_exhausted: Code.ResourceExhausted,
  out_of_range: Code.OutOfRange,
  unimplemented: Code.Unimplemented,
  deadline_exceeded: Code.DeadlineExceeded,
  unavailable: Code.Unavailable,
  internal: Code.Internal,
};

/** Turns any error thrown below the interceptor into a ConnectError with an ErrorInfo reason. */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof ConnectError) return error;
  const domain = error instanceof KeywardError ? error : fromStoreError(error);
  if (!domain) {
    logger.error("internal error", { error });
    return fromKeywardError(Internal.create());
  }
  if (domain.code === "internal" || domain.code === "unavailable") logger.warn(domain.message, { error });
  return fromKeywardError(domain);
}

/**
 * Interceptor applying {@link toConnectError}. Put it first, so it wraps every other interceptor. A
 * server stream's errors are mapped too: those it throws while its messages are read.
 */
export function createErrorMappingInterceptor(logger: Logger): Interceptor {
  return (next) => async (request) => {
    let response;
    try {
      response = await next(request);
    } catch (error) {
      throw toConnectError(error, logger);
    }
    if (!response.stream) return response;
    return { ...response, message: mapStreamErrors(response.message, logger) };
  };
}

async function* mapStreamErrors<T>(messages: AsyncIterable<T>, logger: Logger): AsyncIterable<T> {
  try {
    yield* messages;
  } catch (error) {
    throw toConnectError(error, logger);
  }
}

function fromKeywardError(error: KeywardError): ConnectError {
  const details: NonNullable<ConstructorParameters<typeof ConnectError>[3]> = [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: error.reason, domain: ERROR_DOMAIN, metadata: error.metadata }) },
  ];
  if (error.violations.length > 0) {
    details.push({
      desc: BadRequestSchema,
      value: create(BadRequestSchema, { fieldViolations: error.violations.map((v) => ({ ...v })) }),
    });
  }
  const header: Record<string, string> = {};
  if (error.code === "unauthenticated") header["www-authenticate"] = wwwAuthenticate(error.reason);
  if (error.retryDelayMs !== undefined) {
    const ms = Math.max(0, Math.ceil(error.retryDelayMs));
    details.push({
      desc: RetryInfoSchema,
      value: create(RetryInfoSchema, { retryDelay: { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 } }),
    });
    // RFC 9110: whole seconds, rounded up so a client never comes back early.
    header["retry-after"] = String(Math.ceil(ms / 1000));
  }
  // Capped here, the one way out for every door: a message may quote what the client sent.
  return new ConnectError(clipMessage(error.message), CODES[error.code], Object.keys(header).length > 0 ? header : undefined, details, error);
}

function fromStoreError(error: unknown): KeywardError | undefined {
  if (!isStoreError(error)) return undefined;
  const id = subjectId(error);
  switch (error.kind) {
    case "not_found":
      if (error.entity === "api_key") return ApiKeyNotFound.create({ key_id: id });
      if (error.entity === "session") return SessionNotFound.create({ session_id: id });
      if (error.entity === "tenant") return TenantNotFound.create({ tenant_id: id });
      if (error.entity === "webhook") return WebhookNotFound.create({ webhook_id: id });
      return UserNotFound.create({ user_id: id });
    case "already_exists":
      if (error.entity === "user") return UserAlreadyExists.create({ user_id: id });
      if (error.entity === "tenant") return TenantAlreadyExists.create({ tenant_id: id });
      // Key ids are 192 random bits: a duplicate is a bug or an attack, not a user error.
      return Internal.create({}, { cause: error });
    case "limit_reached":
      if (error.entity === "webhook") return WebhookLimitReached.create({ scope: id === "" ? "the system" : `tenant \`${id}\``, limit: String(error.limit ?? "") });
      return ApiKeyLimitReached.create({ user_id: id, limit: String(error.limit ?? "") });
    case "last_admin":
      return LastAdmin.create({ user_id: id });
    case "not_empty":
      return TenantNotEmpty.create({ tenant_id: id });
    case "invalid_argument":
      // Services validate records before storing them, so only a page token can be the caller's fault.
      return error.entity === undefined
        ? validationFailed([{ field: "page_token", description: error.message }])
        : Internal.create({}, { cause: error });
    case "conflict":
    case "unavailable":
      return StoreUnavailable.create({}, { cause: error });
  }
}

function subjectId(error: StoreError): string {
  return error.subjectId ?? "";
}
