/**
 * `--insecure-transport allow|warn|reject` (ARCHITECTURE.md, "The network edge"): what to do with a credential that crossed a
 * network unencrypted, i.e. from a non-loopback client over plain HTTP or gRPC and not through a trusted
 * TLS-terminating proxy. Credentials are API keys and session tokens (judged by the verifier) and
 * passwords (judged by the password-transport interceptor, before any password is checked or hashed).
 * `warn` logs it, once per key, or per client address for passwords, per hour; `reject` refuses it
 * (`UNAUTHENTICATED` / `INSECURE_TRANSPORT`) before the key is even looked up. Never revoked: TrueNAS
 * revoked such keys and broke its users' integrations; refusing lets the operator fix the setup and keep
 * the key.
 */
import { InsecureTransport } from "../errors/errors.js";
import type { Logger } from "../logger.js";
import type { Client } from "./client-address.js";

export const INSECURE_TRANSPORT_MODES = ["allow", "warn", "reject"] as const;
export type InsecureTransportMode = (typeof INSECURE_TRANSPORT_MODES)[number];

/** A key, or a client address sending passwords, is warned about at most this often. */
export const INSECURE_WARN_INTERVAL_MS = 3_600_000;

/** Most keys or addresses remembered as warned about: the memory stays bounded whoever sends what. */
const WARNED_MAX = 10_000;

const ADVICE = "use TLS or a TLS-terminating proxy in --trusted-proxies";

export class TransportPolicy {
  private readonly keysWarned = new WarnedRecently();
  private readonly passwordClientsWarned = new WarnedRecently();

  constructor(
    readonly mode: InsecureTransportMode,
    private readonly logger: Logger,
  ) {}

  /** Throws `INSECURE_TRANSPORT` in `reject` mode for a client whose credential crossed a network in the clear. */
  refuseInsecure(client: Client): void {
    if (this.mode === "reject" && exposed(client)) throw InsecureTransport.create({ address: client.address || "an unknown address" });
  }

  /** In `warn` mode, logs a verified key's exposed use, once per key per hour (the key id only, never the key). */
  warnInsecure(client: Client, keyId: string, now: number): void {
    if (this.mode !== "warn" || !exposed(client) || !this.keysWarned.due(keyId, now)) return;
    this.logger.warn(`API key used over an unencrypted connection from another machine; ${ADVICE}`, { key_id: keyId, client: client.address });
  }

  /**
   * A call carrying a password from `client`: refused in `reject` mode when it crossed a network in the
   * clear, logged in `warn` mode once per client address per hour (the method, never the password).
   */
  judgePassword(client: Client, method: string, now: number): void {
    this.refuseInsecure(client);
    if (this.mode !== "warn" || !exposed(client) || !this.passwordClientsWarned.due(client.address, now)) return;
    this.logger.warn(`password sent over an unencrypted connection from another machine; ${ADVICE}`, { method, client: client.address });
  }
}

function exposed(client: Client): boolean {
  return !client.secure && !client.loopback;
}

/** Who was warned about when, at most {@link WARNED_MAX} of them (the oldest forgotten first). */
class WarnedRecently {
  private readonly warnedAt = new Map<string, number>();

  /** Whether `id` is due a warning at `now`; if so, it counts as warned from now. */
  due(id: string, now: number): boolean {
    const last = this.warnedAt.get(id);
    if (last !== undefined && now - last < INSECURE_WARN_INTERVAL_MS) return false;
    this.warnedAt.delete(id);
    if (this.warnedAt.size >= WARNED_MAX) this.forgetOld(now);
    // Still full of recent ones: forget the oldest (a Map iterates in insertion order).
    if (this.warnedAt.size >= WARNED_MAX) this.warnedAt.delete(this.warnedAt.keys().next().value!);
    this.warnedAt.set(id, now);
    return true;
  }

  private forgetOld(now: number): void {
    for (const [id, at] of this.warnedAt) if (now - at >= INSECURE_WARN_INTERVAL_MS) this.warnedAt.delete(id);
  }
}
