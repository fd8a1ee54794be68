import type { TlsKeyPair } from "./tls-key-pair.js";
/** Defaults both listeners share, so the gRPC and Connect doors behave alike unless configured. */

/**
 * Largest request message accepted (DESIGN §10: request bodies are size-limited). Keyward's largest
 * legitimate request (an update carrying a user or key and a field mask) is well under 1 KiB, so this
 * leaves ample room while refusing memory-exhaustion attempts early, with RESOURCE_EXHAUSTED.
 */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024;

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
