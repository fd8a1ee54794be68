/**
 * JSON-lines logging. One object per line: `{"time","level","msg",...fields}`. Keys never belong in a log
 * line; as a second line of defence anything shaped like an API key is redacted before writing.
 * Leaf module: imports nothing from src/.
 */

export type LogLevel = "debug" | "info" | "warn" | "error";

/** A structured logger. `fields` must be JSON-serialisable; errors are reduced to name and message. */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };
const KEY_SHAPED = /NNSXS\.[A-Za-z0-9._=-]*/g;

/** Logs JSON lines at `level` and above to `write` (stdout by default). */
export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => process.stdout.write(l)): Logger {
  const log = (at: LogLevel) => (msg: string, fields: Record<string, unknown> = {}) => {
    if (ORDER[at] < ORDER[level]) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: at, msg, ...fields }, errorReplacer);
    write(`${line.replace(KEY_SHAPED, "NNSXS.<redacted>")}\n`);
  };
  return { debug: log("debug"), info: log("info"), warn: log("warn"), error: log("error") };
}

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack, cause: value.cause };
  }
  return value;
}

/** True for a valid level name. */
export function isLogLevel(value: string): value is LogLevel {
  return value in ORDER;
}
