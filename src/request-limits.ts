/**
 * How much work one request may cause before it is refused, on every door alike. Each number is checked
 * before any credential is, and (except the body size, which the listener enforces while reading) before
 * a request message is built, so an unauthenticated client cannot make the server spend more than a
 * bounded amount of CPU or memory on it. `docs/api.md` ("Limits and strictness") documents them.
 *
 * Leaf module: imports nothing from src/.
 */

/**
 * Largest request body (or gRPC message) in bytes, unless `--body-limit` says otherwise: the config
 * table's default, and the listeners' when they are started without one (tests, benchmarks). Keyward's
 * largest legitimate request is a few KiB (a key with many networks); decoding a body costs CPU in
 * proportion to its size, so the default stays small enough that a valid body is cheap to refuse.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;

/**
 * Most fields a request may carry, counted over the whole message: object members and array items in
 * JSON, field occurrences and packed elements in binary. Checked by a linear scan before decoding.
 */
export const MAX_REQUEST_FIELDS = 1000;

/** Deepest nesting of objects and arrays (JSON) or messages (binary). */
export const MAX_REQUEST_DEPTH = 32;

/** Most query parameters a REST request may carry, counted before the query is parsed. */
export const MAX_QUERY_PARAMETERS = 100;

/** Most field violations one error reports; the rest are summed up in one "and N more" entry. */
export const MAX_FIELD_VIOLATIONS = 20;

/** Text the reported violations may take together (field paths and descriptions, in UTF-8 bytes). */
export const MAX_VIOLATIONS_TEXT = 1024;

/** Longest field path and description of one violation; a client's own text (unknown keys) is cut to fit. */
export const MAX_VIOLATION_FIELD = 128;
export const MAX_VIOLATION_DESCRIPTION = 512;

/** Longest error message, in UTF-8 bytes, on every door. */
export const MAX_ERROR_MESSAGE_BYTES = 4096;

/**
 * Longest value of an error's attributes (`ErrorInfo.metadata`), in characters; the message is filled
 * from them, so a client's own text (a path, a content type) is cut to this before it is echoed.
 */
export const MAX_ERROR_ATTRIBUTE = 512;

/**
 * Most header lines an HTTP request may carry. Node keeps only the first thousand or so and drops the
 * rest unseen, so a request with more would be judged on part of its headers: the `Authorization`, the
 * `X-Forwarded-For` or the required rights a proxy adds last would be missing.
 */
export const MAX_REQUEST_HEADERS = 100;

/**
 * After a request is refused before its body was read (too large, wrong media type), the rest of the
 * body is read and discarded, for at most this long in all, this long without data, and this many
 * bytes, before the connection is cut: a client still uploading then reads the answer instead of a
 * connection reset (nginx's lingering close: `lingering_time` 30 s, `lingering_timeout` 5 s).
 */
export const LINGER_MAX_MS = 30_000;
export const LINGER_IDLE_MS = 5000;
export const LINGER_MAX_BYTES = 16 * 1024 * 1024;
