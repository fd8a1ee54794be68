/**
 * Checking a Keyward webhook delivery on the receiving side (docs/webhooks.md). Keyward sends
 * `X-Keyward-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed by the webhook's
 * secret (the whole `whsec_…` text), as Stripe signs its webhooks. A receiver recomputes the HMAC over the
 * raw body exactly as received (not re-serialised JSON), compares in constant time, and refuses a
 * timestamp too far from its own clock, so a captured delivery cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** How far a delivery's timestamp may be from the receiver's clock by default: 5 minutes, as Stripe's. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

/** Options of {@link verifyWebhookSignature}. */
export interface VerifyWebhookOptions {
  /** Largest difference between the signature's time and now, in seconds (default 300). */
  readonly toleranceSeconds?: number;
  /** The receiver's clock, in milliseconds since the epoch (default `Date.now()`). */
  readonly now?: number;
}

/** Why a delivery was refused, or that it is genuine. */
export type WebhookVerification =
  | { readonly ok: true; readonly timestamp: number }
  | { readonly ok: false; readonly problem: "missing_header" | "malformed_header" | "timestamp_out_of_tolerance" | "signature_mismatch" };

/**
 * Whether `body` (the raw request body, as a string or bytes) was signed by Keyward with `secret` at a
 * time within the tolerance. `header` is the `X-Keyward-Signature` value. Every `v1=` entry is tried, so
 * a future second signature (during a secret rotation) keeps working.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string | null | undefined,
  body: string | Uint8Array,
  options: VerifyWebhookOptions = {},
): WebhookVerification {
  if (header === null || header === undefined || header === "") return { ok: false, problem: "missing_header" };
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(",")) {
    const eq = part.indexOf("=");
    const name = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (name === "t" && /^\d{1,15}$/.test(value)) timestamp = Number(value);
    else if (name === "v1" && /^[0-9a-f]{64}$/.test(value)) signatures.push(Buffer.from(value, "hex"));
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, problem: "malformed_header" };
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS)) {
    return { ok: false, problem: "timestamp_out_of_tolerance" };
  }
  const expected = createHmac("sha256", secret).update(`${timestamp}.`).update(body).digest();
  return signatures.some((signature) => timingSafeEqual(signature, expected)) ? { ok: true, timestamp } : { ok: false, problem: "signature_mismatch" };
}
