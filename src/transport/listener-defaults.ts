import type { TlsKeyPair } from "./tls-key-pair.js";
/** Defaults both listeners share, so the gRPC and Connect doors behave alike unless configured. */

/** Most concurrent HTTP/2 streams per gRPC connection: gRPC's customary 100 (grpc-go, Envoy). */
export const DEFAULT_MAX_CONCURRENT_STREAMS = 100;

/** How long a graceful shutdown waits for in-flight calls before cutting connections. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** Where a listener listens and how it stops; shared by the gRPC and HTTP listeners. */
export interface ListenerOptions {
  /** `host:port`; port 0 picks a free port. */
  readonly address: string;
  /** PEM key pair; the listener serves TLS with it, cleartext without it. */
  readonly tls?: TlsKeyPair | undefined;
  /** How long shutdown lets in-flight calls finish before cutting them (default {@link DEFAULT_DRAIN_TIMEOUT_MS}). */
  readonly drainTimeoutMs?: number | undefined;
}
