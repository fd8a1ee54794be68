/**
 * How Keyward signs a webhook delivery (ARCHITECTURE.md, "Events"), Stripe's scheme:
 * `X-Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed by the webhook's
 * secret (the whole `whsec_…` text). Receivers check it with `verifyWebhookSignature` of
 * `@keyward/client` (src/client/webhook-signature.ts); a test pins the two to each other.
 */
import { createHmac } from "node:crypto";

/** The header carrying the signature. */
export const SIGNATURE_HEADER = "X-Keyward-Signature";
/** The header carrying the event's id, so a receiver can drop a repeat. */
export const EVENT_ID_HEADER = "X-Keyward-Event-Id";

/** The `X-Keyward-Signature` value for `body` sent at `unixSeconds`, keyed by `secret`. */
export function signatureHeader(secret: string, unixSeconds: number, body: string): string {
  const mac = createHmac("sha256", secret).update(`${unixSeconds}.${body}`).digest("hex");
  return `t=${unixSeconds},v1=${mac}`;
}
