/**
 * `--insecure-transport allow|warn|reject` (DESIGN §14): what to do with a credential that crossed a
 * network unencrypted, i.e. from a non-loopback client over plain HTTP or gRPC and not through a trusted
 * TLS-terminating proxy. `warn` logs it once per key per hour; `reject` refuses it (`UNAUTHENTICATED` /
 * `INSECURE_TRANSPORT`) before the key is even looked up. Never revoked: TrueNAS revoked such keys and
 * broke its users' integrations; refusing lets the operator fix the setup and keep the key.
 */
import { InsecureTransport } from "../errors.js";
import type { Logger } from "../logger.js";
import type { Client } from "./client-address.js";

export const INSECURE_TRANSPORT_MODES = ["allow", "warn", "reject"] as const;
export type InsecureTransportMode = (typeof INSECURE_TRANSPORT_MODES)[number];

/** A key is warned about at most this often. */
export const INSECURE_WARN_INTERVAL_MS = 3_600_000;

export class TransportPolicy {
  private readonly warnedAt = new Map<string, number>();

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
    if (this.mode !== "warn" || !exposed(client)) return;
    const last = this.warnedAt.get(keyId);
    if (last !== undefined && now - last < INSECURE_WARN_INTERVAL_MS) return;
    if (this.warnedAt.size >= 10_000) this.forgetOld(now);
    this.warnedAt.set(keyId, now);
    this.logger.warn("API key used over an unencrypted connection from another machine; use TLS or a TLS-terminating proxy in --trusted-proxies", {
      key_id: keyId,
      client: client.address,
    });
  }

  private forgetOld(now: number): void {
    for (const [id, at] of this.warnedAt) if (now - at >= INSECURE_WARN_INTERVAL_MS) this.warnedAt.delete(id);
  }
}

function exposed(client: Client): boolean {
  return !client.secure && !client.loopback;
}
