// The one place MongoDB driver errors become StoreErrors.
import type { MongoError } from "mongodb";
import { StoreError } from "../store.js";
import { alreadyExists, storeClosed, unavailable, type Subject } from "../store-errors.js";
import { mongoDriver } from "./driver.js";

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
  const { MongoError, MongoServerError } = mongoDriver();
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
  const driver = mongoDriver();
  return (
    error instanceof driver.MongoNetworkError || // includes MongoNetworkTimeoutError
    error instanceof driver.MongoServerSelectionError ||
    error instanceof driver.MongoOperationTimeoutError ||
    error instanceof driver.MongoTopologyClosedError ||
    error instanceof driver.MongoNotConnectedError ||
    error instanceof driver.MongoClientClosedError ||
    error instanceof driver.MongoServerClosedError ||
    error instanceof driver.MongoWriteConcernError ||
    (typeof error.code === "number" && UNAVAILABLE_CODES.has(error.code)) ||
    RETRYABLE_LABELS.some((label) => error.hasErrorLabel(label))
  );
}

/**
 * The open or closed state of one MongoDB store, shared by its parts: every Store method runs its
 * operation through {@link run}, which refuses once the store is closed and translates driver errors.
 */
export class MongoOperations {
  #closed = false;

  /** Marks the store closed; true the first time, so only one caller closes the client. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    return true;
  }

  /** Runs one operation, translating driver errors into StoreErrors; `subject` names what it wrote. */
  async run<T>(subject: Subject | undefined, operation: () => Promise<T>): Promise<T> {
    // The driver would silently reconnect a closed client; the contract says a closed store is unavailable.
    if (this.#closed) throw storeClosed();
    try {
      return await operation();
    } catch (error) {
      throw translateMongoError(error, subject);
    }
  }
}
