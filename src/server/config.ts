/**
 * Server configuration from flags and environment (DESIGN §8). Flags win over env, env over defaults.
 * Everything is validated up front and every problem is reported at once (Ory Keto's way); the caller
 * exits 2 on problems.
 */
import { readFileSync } from "node:fs";
import { parseDuration } from "../durations.js";
import { isLogLevel, type LogLevel } from "../logger.js";
import { resolveStoreLocation } from "../store/store-location.js";
import { parseListenAddress } from "../transport/listen-address.js";

export interface Config {
  /** `host:port`, validated; port 0 picks a free port. */
  readonly httpAddr: string;
  readonly grpcAddr: string;
  readonly dataDir: string;
  /** `sqlite`, `memory` or a `mongodb://` / `mongodb+srv://` URL. */
  readonly store: string;
  /** PEM contents; both listeners use TLS when set. */
  readonly tls: { readonly cert: Buffer; readonly key: Buffer } | undefined;
  readonly maxKeysPerUser: number;
  readonly maxKeyLifetimeMs: number | undefined;
  readonly authCacheTtlMs: number;
  /** Most verified keys cached at once (about 2 KB of heap each). */
  readonly authCacheSize: number;
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** A session unused this long has ended (DESIGN §11). */
  readonly sessionIdleMs: number;
  /** A session ends this long after sign-in, whatever its use. */
  readonly sessionLifetimeMs: number;
  /** Failed sign-ins per user id, and per client address, before each further one doubles a wait. */
  readonly loginFreeFailures: number;
  readonly loginFreeFailuresPerAddress: number;
}

/** One setting: its flag, env variable, default and help. */
export interface Setting {
  readonly flag: string;
  readonly env: string;
  readonly fallback: string;
  readonly help: string;
}

export const SETTINGS = {
  httpAddr: { flag: "http-addr", env: "KEYWARD_HTTP_ADDR", fallback: "127.0.0.1:8080", help: "REST, Connect, gRPC-Web and docs listener (port 0 picks a free port)" },
  grpcAddr: { flag: "grpc-addr", env: "KEYWARD_GRPC_ADDR", fallback: "127.0.0.1:9090", help: "gRPC listener (HTTP/2; port 0 picks a free port)" },
  dataDir: { flag: "data-dir", env: "KEYWARD_DATA_DIR", fallback: "./data", help: "directory for keyward.db and admin.key" },
  store: { flag: "store", env: "KEYWARD_STORE", fallback: "sqlite", help: "sqlite (<data dir>/keyward.db), memory, or a mongodb:// URL" },
  tlsCert: { flag: "tls-cert", env: "KEYWARD_TLS_CERT", fallback: "", help: "PEM certificate file; with --tls-key, both listeners use TLS" },
  tlsKey: { flag: "tls-key", env: "KEYWARD_TLS_KEY", fallback: "", help: "PEM private key file" },
  maxKeysPerUser: { flag: "max-api-keys-per-user", env: "KEYWARD_MAX_API_KEYS_PER_USER", fallback: "100", help: "most API keys one user may have" },
  maxKeyLifetime: { flag: "max-api-key-lifetime", env: "KEYWARD_MAX_API_KEY_LIFETIME", fallback: "", help: "longest lifetime of a new key, e.g. 90d; empty for none (keys may never expire)" },
  authCacheTtl: { flag: "auth-cache-ttl", env: "KEYWARD_AUTH_CACHE_TTL", fallback: "5s", help: "how long other nodes' key changes may take to show here; 0 disables the cache" },
  authCacheSize: { flag: "auth-cache-size", env: "KEYWARD_AUTH_CACHE_SIZE", fallback: "10000", help: "most keys the verification cache holds (about 2 KB of memory each)" },
  bodyLimit: { flag: "body-limit", env: "KEYWARD_BODY_LIMIT", fallback: "1048576", help: "largest request body in bytes (HTTP and gRPC)" },
  shutdownTimeout: { flag: "shutdown-timeout", env: "KEYWARD_SHUTDOWN_TIMEOUT", fallback: "10s", help: "how long SIGTERM waits for in-flight calls" },
  logLevel: { flag: "log-level", env: "KEYWARD_LOG_LEVEL", fallback: "info", help: "debug, info, warn or error" },
  sessionIdleTimeout: { flag: "session-idle-timeout", env: "KEYWARD_SESSION_IDLE_TIMEOUT", fallback: "8h", help: "a sign-in session unused this long ends" },
  sessionLifetime: { flag: "session-lifetime", env: "KEYWARD_SESSION_LIFETIME", fallback: "7d", help: "a sign-in session ends this long after sign-in, however used" },
  loginFreeFailures: { flag: "login-free-failures", env: "KEYWARD_LOGIN_FREE_FAILURES", fallback: "5", help: "failed sign-ins per user id before each further one doubles a wait (from 1s, at most 15m)" },
  loginFreeFailuresPerAddress: { flag: "login-free-failures-per-address", env: "KEYWARD_LOGIN_FREE_FAILURES_PER_ADDRESS", fallback: "20", help: "the same, per client address" },
} satisfies Record<string, Setting>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/**
 * Reads and validates the configuration from `flags` (by flag name, e.g. `http-addr`, as parsed by the
 * CLI) and `env`. Never throws for bad input: every problem is listed.
 */
export function loadConfig(
  flags: Readonly<Record<string, string | undefined>>,
  env: Readonly<Record<string, string | undefined>>,
): ConfigResult {
  const problems: string[] = [];
  const read = (s: Setting): { value: string; source: string } => {
    const flag = flags[s.flag];
    if (typeof flag === "string") return { value: flag, source: `--${s.flag}` };
    const fromEnv = env[s.env];
    if (fromEnv !== undefined) return { value: fromEnv, source: s.env };
    return { value: s.fallback, source: `default of --${s.flag}` };
  };

  const address = (s: Setting): string => {
    const { value, source } = read(s);
    try {
      parseListenAddress(value);
    } catch (error) {
      problems.push(`${source}: ${(error as Error).message}`);
    }
    return value;
  };
  const integer = (s: Setting, min: number): number => {
    const { value, source } = read(s);
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(n) || n < min) problems.push(`${source}: "${value}" must be a whole number >= ${min}`);
    return n;
  };
  const duration = (s: Setting, optional: boolean): number | undefined => {
    const { value, source } = read(s);
    if (optional && value.trim() === "") return undefined;
    const ms = parseDuration(value);
    if (ms === undefined) problems.push(`${source}: "${value}" is not a duration like 500ms, 5s, 30m, 12h or 90d`);
    return ms;
  };

  const httpAddr = address(SETTINGS.httpAddr);
  const grpcAddr = address(SETTINGS.grpcAddr);
  const dataDir = read(SETTINGS.dataDir).value;
  if (dataDir.trim() === "") problems.push(`${read(SETTINGS.dataDir).source}: must not be empty`);
  const store = read(SETTINGS.store);
  try {
    resolveStoreLocation({ store: store.value, dataDir });
  } catch (error) {
    problems.push(`${store.source}: ${(error as Error).message}`);
  }
  const tls = readTls(read(SETTINGS.tlsCert), read(SETTINGS.tlsKey), problems);
  const maxKeysPerUser = integer(SETTINGS.maxKeysPerUser, 1);
  const maxKeyLifetimeMs = duration(SETTINGS.maxKeyLifetime, true);
  if (maxKeyLifetimeMs === 0) problems.push(`${read(SETTINGS.maxKeyLifetime).source}: must be longer than 0`);
  const authCacheTtlMs = duration(SETTINGS.authCacheTtl, false) ?? 0;
  const authCacheSize = integer(SETTINGS.authCacheSize, 1);
  const bodyLimitBytes = integer(SETTINGS.bodyLimit, 1024);
  const shutdownTimeoutMs = duration(SETTINGS.shutdownTimeout, false) ?? 0;
  const logLevel = read(SETTINGS.logLevel);
  if (!isLogLevel(logLevel.value)) problems.push(`${logLevel.source}: "${logLevel.value}" must be debug, info, warn or error`);
  const positive = (s: Setting): number => {
    const ms = duration(s, false) ?? 0;
    if (ms === 0) problems.push(`${read(s).source}: must be longer than 0`);
    return ms;
  };
  const sessionIdleMs = positive(SETTINGS.sessionIdleTimeout);
  const sessionLifetimeMs = positive(SETTINGS.sessionLifetime);
  const loginFreeFailures = integer(SETTINGS.loginFreeFailures, 1);
  const loginFreeFailuresPerAddress = integer(SETTINGS.loginFreeFailuresPerAddress, 1);

  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    config: {
      httpAddr,
      grpcAddr,
      dataDir,
      store: store.value,
      tls,
      maxKeysPerUser,
      maxKeyLifetimeMs,
      authCacheTtlMs,
      authCacheSize,
      bodyLimitBytes,
      shutdownTimeoutMs,
      logLevel: logLevel.value as LogLevel,
      sessionIdleMs,
      sessionLifetimeMs,
      loginFreeFailures,
      loginFreeFailuresPerAddress,
    },
  };
}

function readTls(cert: { value: string; source: string }, key: { value: string; source: string }, problems: string[]) {
  if (cert.value === "" && key.value === "") return undefined;
  if (cert.value === "" || key.value === "") {
    problems.push(`${cert.value === "" ? key.source : cert.source}: TLS needs both a certificate and a key`);
    return undefined;
  }
  const load = (setting: { value: string; source: string }) => {
    try {
      return readFileSync(setting.value);
    } catch (error) {
      problems.push(`${setting.source}: cannot read "${setting.value}": ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      return Buffer.alloc(0);
    }
  };
  return { cert: load(cert), key: load(key) };
}
