// The one place MongoDB driver errors become StoreErrors.
import {
  MongoClientClosedError,
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoOperationTimeoutError,
  MongoServerClosedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
  MongoWriteConcernError,
} from "mongodb";
import { StoreError } from "../store.js";
import { alreadyExists, unavailable, type Subject } from "../store-errors.js";

const DUPLICATE_KEY = 11000;
const WRITE_CONFLICT = 112;

// Server codes meaning "not now": no primary, shutting down, failover, unreachable member, time limits.
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernFailed
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

// Labels the driver puts on errors a retry could fix; seeing one here means its own retries ran out.
const RETRYABLE_LABELS = ["TransientTransactionError", "UnknownTransactionCommitResult", "RetryableWriteError"];

/**
 * Translates a driver error into a {@link StoreError}. Anything else (a StoreError, an error an updater
 * threw, a bug) is returned unchanged so it reaches the caller as it was thrown.
 * @param subject what the failed operation wrote, named in duplicate-key errors
 */
export function translateMongoError(error: unknown, subject: Subject | undefined): unknown {
  if (!(error instanceof MongoError)) return error;
  if (error instanceof MongoServerError && error.code === DUPLICATE_KEY && subject) {
    return alreadyExists(subject, error);
  }
  if (error instanceof MongoServerError && error.code === WRITE_CONFLICT) {
    return new StoreError("conflict", "concurrent modification; try again", { entity: subject?.entity, cause: error });
  }
  if (isUnavailable(error)) return unavailable(`MongoDB: ${error.message}`, error);
  return error;
}

function isUnavailable(error: MongoError): boolean {
  return (
    error instanceof MongoNetworkError || // includes MongoNetworkTimeoutError
    error instanceof MongoServerSelectionError ||
    error instanceof MongoOperationTimeoutError ||
    error instanceof MongoTopologyClosedError ||
    error instanceof MongoNotConnectedError ||
    error instanceof MongoClientClosedError ||
    error instanceof MongoServerClosedError ||
    error instanceof MongoWriteConcernError ||
    (typeof error.code === "number" && UNAVAILABLE_CODES.has(error.code)) ||
    RETRYABLE_LABELS.some((label) => error.hasErrorLabel(label))
  );
}
