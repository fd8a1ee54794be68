/**
 * Server configuration from flags and environment (ARCHITECTURE.md, "Configuration and lifecycle"). Flags win over env, env over defaults.
 * Everything is validated up front and every problem is reported at once (Ory Keto's way); the caller
 * exits 2 on problems. A default that a module also needs without the configuration (tests, the bench)
 * is that module's named constant, and the table's fallback is written from it, never retyped.
 */
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import type { ClientConnectionLimitOptions } from "../net/client-connection-limit.js";
import { parseNetwork } from "../net/networks.js";
import { INSECURE_TRANSPORT_MODES, INSECURE_WARN_INTERVAL_MS, type InsecureTransportMode } from "../net/transport-policy.js";
import { DEFAULT_AUTH_FAIL_WINDOW_MS } from "../authn/auth-failure-log.js";
import { DEFAULT_EVENT_STREAM_OPTIONS } from "../services/event-streams.js";
import { DEFAULT_REVOCATION_POLLER_OPTIONS } from "../authn/revocation-poller.js";
import { DEFAULT_SESSION_IDLE_MS, DEFAULT_VERIFIER_OPTIONS } from "../authn/verifier.js";
import { durationProblem, formatDuration, parseDuration } from "../durations.js";
import { DEFAULT_THROTTLE } from "../passwords/login-throttle.js";
import { DEFAULT_DRAIN_TIMEOUT_MS, DEFAULT_MAX_CONCURRENT_STREAMS } from "../transport/listener-defaults.js";
import { isLogLevel, type LogLevel } from "../logger.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "../request-limits.js";
import { resolveStoreLocation } from "../store/store-location.js";
import { parseExpiryPoints } from "../events/expiry-sweeper.js";
import { DEFAULT_RETRY_SCHEDULE, type RetrySchedule } from "../events/retry-schedule.js";
import type { ExpiryPoint } from "../store/store.js";
import { parseListenAddress } from "../transport/listen-address.js";
import { LEAK_REPORT_ACTIONS, type LeakReportAction } from "../gateway/leak-report-actions.js";
import { readLeakReportKeys } from "../gateway/leak-report-keys.js";

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
  /** Most verified keys cached at once (the heap each holds is in docs/performance.md). */
  readonly authCacheSize: number;
  /** How often the revocation feed is read (ARCHITECTURE.md, "Caches and the revocation feed"). */
  readonly revocationPollIntervalMs: number;
  /** Worker processes serving both listeners; 1 serves from this process, without node:cluster. */
  readonly workers: number;
  readonly bodyLimitBytes: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** Canonical CIDRs of proxies whose `X-Forwarded-For` / `Forwarded` / `X-Forwarded-Proto` are believed. */
  readonly trustedProxies: readonly string[];
  readonly insecureTransport: InsecureTransportMode;
  /** Listener limits a shared service needs (ARCHITECTURE.md, "The network edge"), each with a default. */
  readonly limits: ListenerLimits;
  /** A session unused this long has ended (ARCHITECTURE.md, "Sessions and passwords"). */
  readonly sessionIdleMs: number;
  /** A session ends this long after sign-in, whatever its use. */
  readonly sessionLifetimeMs: number;
  /** Sign-in attempts per user id, and per client address, before each further one waits (doubling). */
  readonly loginFreeFailures: number;
  readonly loginFreeFailuresPerAddress: number;
  /** IPv6 clients are counted by this prefix length (sign-in throttle, password queue). */
  readonly clientIpv6Prefix: number;
  /** How long refused credentials are counted before one `auth.fail` event per tuple is written (ARCHITECTURE.md, "Events"). */
  readonly authFailWindowMs: number;
  /** Most `StreamEvents` streams open at once in this process, and from one client address. */
  readonly maxEventStreams: number;
  readonly maxEventStreamsPerClient: number;
  /** Webhooks, expiry warnings and retention (ARCHITECTURE.md, "Events"). */
  readonly eventWorkers: EventWorkerSettings;
  /** GitHub's leak reports (docs/leak-reports.md); undefined when `--leak-report-keys` is not set. */
  readonly leakReports: LeakReportConfig | undefined;
}

/** Leak reports: where the signing keys are and what a report does to a leaked key (ARCHITECTURE.md, "Keys"). */
export interface LeakReportConfig {
  /** The keys file, checked at start (it parses and lists P-256 keys) and read again when it changes. */
  readonly keysFile: string;
  readonly action: LeakReportAction;
}

/** The background workers of events (ARCHITECTURE.md, "Events"; docs/webhooks.md). */
export interface EventWorkerSettings {
  /** The file holding the webhook signing key; undefined for the default (the SQLite data directory's). */
  readonly webhookSigningKeyFile: string | undefined;
  /** Longest time one delivery attempt may take, answer included. */
  readonly webhookTimeoutMs: number;
  /** How often the outbox is polled for deliveries queued by other processes or due for retry. */
  readonly webhookPollIntervalMs: number;
  readonly webhookRetry: RetrySchedule;
  readonly maxWebhooksPerScope: number;
  /** Canonical CIDRs webhooks may be delivered to beyond the public internet (none by default). */
  readonly webhookTargetNetworks: readonly string[];
  /** When before a key's expiry it is warned, longest first; empty for never. */
  readonly expiryWarnings: readonly ExpiryPoint[];
  readonly expirySweepIntervalMs: number;
  /** Events (and finished deliveries) older than this are pruned. */
  readonly eventRetentionMs: number;
}

/** Limits on what one client can hold on the listeners. */
export interface ListenerLimits {
  /** Most concurrent HTTP/2 streams per gRPC connection (`grpc.max_concurrent_streams`). */
  readonly maxConcurrentStreams: number;
  /** Deadline of calls that came without one, on every door. */
  readonly defaultDeadlineMs: number;
  /** Most open connections on the HTTP listener (`server.maxConnections`); more are closed on accept. */
  readonly maxHttpConnections: number;
  /**
   * Most open connections from one client (an IPv6 client by its /64) on each listener, at most
   * `maxHttpConnections`; trusted proxies are not capped.
   */
  readonly maxConnectionsPerClient: number;
  /** How long a client may take to send a request's headers (`server.headersTimeout`). */
  readonly httpHeadersTimeoutMs: number;
  /** How long a client may take to send a whole request (`server.requestTimeout`). */
  readonly httpRequestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (`server.keepAliveTimeout`). */
  readonly httpKeepAliveTimeoutMs: number;
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
  authCacheTtl: { flag: "auth-cache-ttl", env: "KEYWARD_AUTH_CACHE_TTL", fallback: formatDuration(DEFAULT_VERIFIER_OPTIONS.cacheTtlMs), help: "how long a verified key is reused before it is read again (the safety net behind the revocation feed); 0 disables the cache" },
  authCacheSize: { flag: "auth-cache-size", env: "KEYWARD_AUTH_CACHE_SIZE", fallback: String(DEFAULT_VERIFIER_OPTIONS.cacheSize), help: "most keys the verification cache holds (about 2 KB of memory each)" },
  revocationPollInterval: { flag: "revocation-poll-interval", env: "KEYWARD_REVOCATION_POLL_INTERVAL", fallback: formatDuration(DEFAULT_REVOCATION_POLLER_OPTIONS.intervalMs), help: "how often the revocation feed is read: changes made on other processes take about this long to show here" },
  workers: { flag: "workers", env: "KEYWARD_WORKERS", fallback: "1", help: "worker processes sharing both listeners, or auto (one per core); 1 runs in this process" },
  bodyLimit: { flag: "body-limit", env: "KEYWARD_BODY_LIMIT", fallback: String(DEFAULT_MAX_REQUEST_BYTES), help: "largest request body in bytes (HTTP and gRPC)" },
  shutdownTimeout: { flag: "shutdown-timeout", env: "KEYWARD_SHUTDOWN_TIMEOUT", fallback: formatDuration(DEFAULT_DRAIN_TIMEOUT_MS), help: "how long SIGTERM waits for in-flight calls" },
  trustedProxies: { flag: "trusted-proxies", env: "KEYWARD_TRUSTED_PROXIES", fallback: "", help: "comma-separated CIDRs of proxies whose X-Forwarded-For/Forwarded/X-Forwarded-Proto are believed, e.g. 127.0.0.1/32,::1; none by default" },
  insecureTransport: { flag: "insecure-transport", env: "KEYWARD_INSECURE_TRANSPORT", fallback: "warn", help: `a credential over plain HTTP/gRPC from another machine, not via a trusted TLS proxy: allow, warn (log once per key every ${formatDuration(INSECURE_WARN_INTERVAL_MS)}) or reject; keys are never revoked for it` },
  logLevel: { flag: "log-level", env: "KEYWARD_LOG_LEVEL", fallback: "info", help: "debug, info, warn or error" },
  maxConcurrentStreams: { flag: "max-concurrent-streams", env: "KEYWARD_MAX_CONCURRENT_STREAMS", fallback: String(DEFAULT_MAX_CONCURRENT_STREAMS), help: "most concurrent calls (HTTP/2 streams) per gRPC connection" },
  defaultDeadline: { flag: "default-deadline", env: "KEYWARD_DEFAULT_DEADLINE", fallback: "30s", help: "deadline of calls sent without one (gRPC, Connect, gRPC-Web, REST)" },
  maxHttpConnections: { flag: "max-http-connections", env: "KEYWARD_MAX_HTTP_CONNECTIONS", fallback: "1000", help: "most open connections on the HTTP listener; more are closed at once" },
  maxConnectionsPerClient: { flag: "max-connections-per-client", env: "KEYWARD_MAX_CONNECTIONS_PER_CLIENT", fallback: "100", help: "most open connections one client address (IPv6: its network, see --client-ipv6-prefix) holds on each listener, at most --max-http-connections; more are closed at once; trusted proxies are not capped" },
  httpHeadersTimeout: { flag: "http-headers-timeout", env: "KEYWARD_HTTP_HEADERS_TIMEOUT", fallback: "10s", help: "how long an HTTP client may take to send a request's headers (then 408)" },
  httpRequestTimeout: { flag: "http-request-timeout", env: "KEYWARD_HTTP_REQUEST_TIMEOUT", fallback: "30s", help: "how long an HTTP client may take to send a whole request (then 408)" },
  httpKeepAliveTimeout: { flag: "http-keep-alive-timeout", env: "KEYWARD_HTTP_KEEP_ALIVE_TIMEOUT", fallback: "5s", help: "how long an idle HTTP keep-alive connection stays open" },
  sessionIdleTimeout: { flag: "session-idle-timeout", env: "KEYWARD_SESSION_IDLE_TIMEOUT", fallback: formatDuration(DEFAULT_SESSION_IDLE_MS), help: "a sign-in session unused this long ends" },
  sessionLifetime: { flag: "session-lifetime", env: "KEYWARD_SESSION_LIFETIME", fallback: "7d", help: "a sign-in session ends this long after sign-in, however used" },
  loginFreeFailures: { flag: "login-free-failures", env: "KEYWARD_LOGIN_FREE_FAILURES", fallback: "5", help: `sign-in attempts per user id, counted before the password is checked (a success clears them), before each further one waits, doubling from ${formatDuration(DEFAULT_THROTTLE.baseDelayMs)} to at most ${formatDuration(DEFAULT_THROTTLE.maxDelayMs)}; shared by every process on the store` },
  loginFreeFailuresPerAddress: { flag: "login-free-failures-per-address", env: "KEYWARD_LOGIN_FREE_FAILURES_PER_ADDRESS", fallback: "20", help: "the same per client address (IPv6: per network, see --client-ipv6-prefix); a success gives its attempt back" },
  clientIpv6Prefix: { flag: "client-ipv6-prefix", env: "KEYWARD_CLIENT_IPV6_PREFIX", fallback: "64", help: "IPv6 clients are counted by this network prefix length (1 to 128) for the per-address sign-in throttle, their share of the password queue and the per-client connection cap: one host usually holds a whole /64; IPv4 clients count by their address" },
  authFailWindow: { flag: "auth-fail-window", env: "KEYWARD_AUTH_FAIL_WINDOW", fallback: formatDuration(DEFAULT_AUTH_FAIL_WINDOW_MS), help: `refused credentials are counted this long, then written as one auth.fail event per credential id, reason and client address with its count (1s to 1h)` },
  maxEventStreams: { flag: "max-event-streams", env: "KEYWARD_MAX_EVENT_STREAMS", fallback: String(DEFAULT_EVENT_STREAM_OPTIONS.maxStreams), help: "most StreamEvents streams open at once in each process; more are refused (EVENTS_STREAMS_EXHAUSTED)" },
  maxEventStreamsPerClient: { flag: "max-event-streams-per-client", env: "KEYWARD_MAX_EVENT_STREAMS_PER_CLIENT", fallback: String(DEFAULT_EVENT_STREAM_OPTIONS.maxStreamsPerClient), help: "most StreamEvents streams one client address holds open at once in each process, at most --max-event-streams" },
  webhookSigningKeyFile: { flag: "webhook-signing-key-file", env: "KEYWARD_WEBHOOK_SIGNING_KEY_FILE", fallback: "", help: "file holding the key webhook secrets are derived from (at least 32 characters, e.g. from `openssl rand -base64 32`); default for sqlite: <data dir>/webhook-signing.key, made on first start; required with MongoDB, the same file on every node" },
  webhookTimeout: { flag: "webhook-timeout", env: "KEYWARD_WEBHOOK_TIMEOUT", fallback: "10s", help: "longest a webhook delivery attempt may take, answer included; then it counts as failed and is retried" },
  webhookPollInterval: { flag: "webhook-poll-interval", env: "KEYWARD_WEBHOOK_POLL_INTERVAL", fallback: "1s", help: "how often each process looks for webhook deliveries due (its own writes wake it at once)" },
  webhookRetryMin: { flag: "webhook-retry-min", env: "KEYWARD_WEBHOOK_RETRY_MIN", fallback: formatDuration(DEFAULT_RETRY_SCHEDULE.minMs), help: "wait after a delivery's first failed attempt; doubled after each further one, less up to half at random" },
  webhookRetryMax: { flag: "webhook-retry-max", env: "KEYWARD_WEBHOOK_RETRY_MAX", fallback: formatDuration(DEFAULT_RETRY_SCHEDULE.maxMs), help: "longest wait between two attempts of a delivery" },
  webhookRetryFor: { flag: "webhook-retry-for", env: "KEYWARD_WEBHOOK_RETRY_FOR", fallback: formatDuration(DEFAULT_RETRY_SCHEDULE.giveUpAfterMs), help: "a delivery still failing this long after its event is given up (counted as failed)" },
  webhookTargetNetworks: { flag: "webhook-target-networks", env: "KEYWARD_WEBHOOK_TARGET_NETWORKS", fallback: "", help: "comma-separated CIDRs webhooks may be delivered to beyond public addresses, e.g. 127.0.0.1/32 for a receiver on this machine; none by default (loopback, private, link-local and other non-public addresses are refused)" },
  maxWebhooksPerScope: { flag: "max-webhooks-per-scope", env: "KEYWARD_MAX_WEBHOOKS_PER_SCOPE", fallback: "20", help: "most webhooks one tenant, or the system admins together, may have" },
  expiryWarnings: { flag: "expiry-warnings", env: "KEYWARD_EXPIRY_WARNINGS", fallback: "7d,1d", help: "when before an API key expires an api_key.expiring event is written (and sent to webhooks), comma-separated; empty for never" },
  expirySweepInterval: { flag: "expiry-sweep-interval", env: "KEYWARD_EXPIRY_SWEEP_INTERVAL", fallback: "1m", help: "how often each process looks for keys that reached a warning point" },
  eventRetention: { flag: "event-retention", env: "KEYWARD_EVENT_RETENTION", fallback: "90d", help: "events, and webhook deliveries finished, older than this are deleted in the background" },
  leakReportKeys: { flag: "leak-report-keys", env: "KEYWARD_LEAK_REPORT_KEYS", fallback: "", help: "file holding GitHub's secret-scanning public keys (the answer of https://api.github.com/meta/public_keys/secret_scanning), read again when it changes; set, POST /api/v1/leaks/github takes GitHub's leaked-key reports; empty for none (404)" },
  leakReportAction: { flag: "leak-report-action", env: "KEYWARD_LEAK_REPORT_ACTION", fallback: "disable", help: "what a leak report does to a key whose current secret leaked: disable or delete (a leaked previous secret in its grace period ends the grace)" },
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
    if (ms === undefined) problems.push(`${source}: "${value}" ${durationProblem(value)}`);
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
  const pollInterval = duration(SETTINGS.revocationPollInterval, false);
  const revocationPollIntervalMs = pollInterval ?? 0;
  if (pollInterval !== undefined && (pollInterval < MIN_POLL_INTERVAL_MS || pollInterval > MAX_POLL_INTERVAL_MS)) {
    problems.push(
      `${read(SETTINGS.revocationPollInterval).source}: must be between ${MIN_POLL_INTERVAL_MS}ms and ${MAX_POLL_INTERVAL_MS / 1000}s`,
    );
  }
  const workers = readWorkers(read(SETTINGS.workers), problems);
  if (workers > 1 && resolvesToMemory(store.value, dataDir)) {
    problems.push(`${read(SETTINGS.workers).source}: --store memory cannot be shared by ${workers} worker processes; use sqlite or MongoDB, or --workers 1`);
  }
  const bodyLimitBytes = integer(SETTINGS.bodyLimit, 1024);
  const shutdownTimeoutMs = duration(SETTINGS.shutdownTimeout, false) ?? 0;
  const logLevel = read(SETTINGS.logLevel);
  const trustedProxies = readNetworks(read(SETTINGS.trustedProxies), problems);
  const insecure = read(SETTINGS.insecureTransport);
  if (!(INSECURE_TRANSPORT_MODES as readonly string[]).includes(insecure.value)) {
    problems.push(`${insecure.source}: "${insecure.value}" must be ${INSECURE_TRANSPORT_MODES.join(", ")}`);
  }
  if (!isLogLevel(logLevel.value)) problems.push(`${logLevel.source}: "${logLevel.value}" must be debug, info, warn or error`);
  const positive = (s: Setting): number => {
    const ms = duration(s, false);
    if (ms === 0) problems.push(`${read(s).source}: must be longer than 0`);
    return ms ?? 0;
  };
  const limits: ListenerLimits = {
    maxConcurrentStreams: integer(SETTINGS.maxConcurrentStreams, 1),
    defaultDeadlineMs: positive(SETTINGS.defaultDeadline),
    maxHttpConnections: integer(SETTINGS.maxHttpConnections, 1),
    maxConnectionsPerClient: integer(SETTINGS.maxConnectionsPerClient, 1),
    httpHeadersTimeoutMs: positive(SETTINGS.httpHeadersTimeout),
    httpRequestTimeoutMs: positive(SETTINGS.httpRequestTimeout),
    httpKeepAliveTimeoutMs: positive(SETTINGS.httpKeepAliveTimeout),
  };
  // One client holding every connection the listener allows would lock everyone else out.
  if (limits.maxConnectionsPerClient > limits.maxHttpConnections) {
    problems.push(`${read(SETTINGS.maxConnectionsPerClient).source}: ${limits.maxConnectionsPerClient} must not exceed --max-http-connections (${limits.maxHttpConnections})`);
  }
  // Node refuses a headers timeout longer than the request timeout (the headers are part of the request).
  if (limits.httpHeadersTimeoutMs > limits.httpRequestTimeoutMs) {
    problems.push(`${read(SETTINGS.httpHeadersTimeout).source}: must not be longer than --http-request-timeout`);
  }
  const sessionIdleMs = positive(SETTINGS.sessionIdleTimeout);
  const sessionLifetimeMs = positive(SETTINGS.sessionLifetime);
  const loginFreeFailures = integer(SETTINGS.loginFreeFailures, 1);
  const loginFreeFailuresPerAddress = integer(SETTINGS.loginFreeFailuresPerAddress, 1);
  const clientIpv6Prefix = integer(SETTINGS.clientIpv6Prefix, 1);
  if (clientIpv6Prefix > 128) problems.push(`${read(SETTINGS.clientIpv6Prefix).source}: "${clientIpv6Prefix}" must be at most 128`);
  const eventWorkers = readEventWorkers(read, positive, integer, problems);

  const authFailWindowMs = positive(SETTINGS.authFailWindow);
  if (authFailWindowMs !== 0 && (authFailWindowMs < 1_000 || authFailWindowMs > 3_600_000)) {
    problems.push(`${read(SETTINGS.authFailWindow).source}: must be between 1s and 1h`);
  }
  const maxEventStreams = integer(SETTINGS.maxEventStreams, 1);
  const maxEventStreamsPerClient = integer(SETTINGS.maxEventStreamsPerClient, 1);
  if (maxEventStreamsPerClient > maxEventStreams) {
    problems.push(`${read(SETTINGS.maxEventStreamsPerClient).source}: ${maxEventStreamsPerClient} must not exceed --max-event-streams (${maxEventStreams})`);
  }

  const leakReports = readLeakReports(read(SETTINGS.leakReportKeys), read(SETTINGS.leakReportAction), problems);

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
      revocationPollIntervalMs,
      workers,
      bodyLimitBytes,
      shutdownTimeoutMs,
      logLevel: logLevel.value as LogLevel,
      limits,
      trustedProxies,
      insecureTransport: insecure.value as InsecureTransportMode,
      sessionIdleMs,
      sessionLifetimeMs,
      loginFreeFailures,
      loginFreeFailuresPerAddress,
      clientIpv6Prefix,
      authFailWindowMs,
      maxEventStreams,
      maxEventStreamsPerClient,
      eventWorkers,
      leakReports,
    },
  };
}

/** The leak-report settings; the keys file is read now, so a wrong path or file is a problem at start. */
function readLeakReports(keys: { value: string; source: string }, action: { value: string; source: string }, problems: string[]): LeakReportConfig | undefined {
  if (!(LEAK_REPORT_ACTIONS as readonly string[]).includes(action.value)) {
    problems.push(`${action.source}: "${action.value}" must be ${LEAK_REPORT_ACTIONS.join(" or ")}`);
  }
  const keysFile = keys.value.trim();
  if (keysFile === "") return undefined;
  try {
    readLeakReportKeys(keysFile);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(`${keys.source}: ${code === undefined ? (error as Error).message : `cannot read "${keysFile}": ${code}`}`);
  }
  return { keysFile, action: action.value as LeakReportAction };
}

/** The events block of the table, read and checked (ARCHITECTURE.md, "Events"). */
function readEventWorkers(
  read: (s: Setting) => { value: string; source: string },
  positive: (s: Setting) => number,
  integer: (s: Setting, min: number) => number,
  problems: string[],
): EventWorkerSettings {
  const keyFile = read(SETTINGS.webhookSigningKeyFile).value.trim();
  const webhookRetry: RetrySchedule = {
    minMs: positive(SETTINGS.webhookRetryMin),
    maxMs: positive(SETTINGS.webhookRetryMax),
    giveUpAfterMs: positive(SETTINGS.webhookRetryFor),
  };
  if (webhookRetry.minMs > webhookRetry.maxMs) problems.push(`${read(SETTINGS.webhookRetryMin).source}: must not be longer than --webhook-retry-max`);
  const warnings = read(SETTINGS.expiryWarnings);
  const parsed = parseExpiryPoints(warnings.value);
  if ("problem" in parsed) problems.push(`${warnings.source}: ${parsed.problem}`);
  return {
    webhookSigningKeyFile: keyFile === "" ? undefined : keyFile,
    webhookTimeoutMs: positive(SETTINGS.webhookTimeout),
    webhookPollIntervalMs: positive(SETTINGS.webhookPollInterval),
    webhookRetry,
    maxWebhooksPerScope: integer(SETTINGS.maxWebhooksPerScope, 1),
    webhookTargetNetworks: readNetworks(read(SETTINGS.webhookTargetNetworks), problems),
    expiryWarnings: "points" in parsed ? parsed.points : [],
    expirySweepIntervalMs: positive(SETTINGS.expirySweepInterval),
    eventRetentionMs: positive(SETTINGS.eventRetention),
  };
}

/** The per-client connection cap both listeners keep (ARCHITECTURE.md, "The network edge"). */
export function clientConnectionLimitOf(config: Config): ClientConnectionLimitOptions {
  return { maxPerClient: config.limits.maxConnectionsPerClient, uncapped: config.trustedProxies, ipv6PrefixLength: config.clientIpv6Prefix };
}

/** Below the min, polling costs more than it buys; past the max, the feed would lag behind any sane cache TTL. */
const MIN_POLL_INTERVAL_MS = 10;
const MAX_POLL_INTERVAL_MS = 60_000;

function readWorkers(setting: { value: string; source: string }, problems: string[]): number {
  if (setting.value === "auto") return availableParallelism();
  const n = /^\d+$/.test(setting.value) ? Number(setting.value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > 256) {
    problems.push(`${setting.source}: "${setting.value}" must be auto or a whole number from 1 to 256`);
    return 1;
  }
  return n;
}

function resolvesToMemory(store: string, dataDir: string): boolean {
  try {
    return resolveStoreLocation({ store, dataDir }).kind === "memory";
  } catch {
    return false;
  }
}

/** A comma-separated CIDR list; each bad entry is its own problem. */
function readNetworks(setting: { value: string; source: string }, problems: string[]): string[] {
  const cidrs: string[] = [];
  for (const entry of setting.value.split(",").map((e) => e.trim()).filter((e) => e !== "")) {
    const parsed = parseNetwork(entry);
    if (parsed.ok) cidrs.push(parsed.cidr);
    else problems.push(`${setting.source}: ${parsed.problem}`);
  }
  return cidrs;
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
