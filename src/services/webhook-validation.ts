/**
 * What a webhook may be (ARCHITECTURE.md, "Events"). Its URL is where Keyward will post signed events on
 * its own initiative, so it is held to more than "a URL": `https://`, or `http://` only to this machine's
 * loopback (a receiver on the same host, or a test), at most 2048 characters, with no user name or
 * password in it (a credential in a URL ends up in logs and in the console). Event types are prefixes of
 * the event type names (`api_key.`, `auth.fail`). A host that is an address the outbound policy refuses
 * (loopback, private, link-local, … unless the operator listed it) is refused here at once; a host name is
 * judged at each delivery, on the addresses it then resolves to.
 */
import { ID_LENGTH } from "../keys/index.js";
import { isAddress, isLoopback } from "../net/networks.js";
import type { OutboundTargets } from "../net/outbound-targets.js";
import type { Violations } from "./validation.js";

export const WEBHOOK_URL_MAX = 2048;
export const WEBHOOK_EVENT_TYPES_MAX = 20;
export const WEBHOOK_EVENT_TYPE_MAX = 64;
/** An event type prefix: lower-case letters, digits, `_` and `.` (`api_key.`, `auth.fail`). */
const EVENT_TYPE_PATTERN = /^[a-z0-9_.]+$/;
const WEBHOOK_ID_PATTERN = new RegExp(`^[A-Z2-7]{${ID_LENGTH}}$`);

export function checkWebhookId(v: Violations, field: string, webhookId: string): void {
  if (!v.check(webhookId !== "", field, "required")) return;
  v.check(WEBHOOK_ID_PATTERN.test(webhookId), field, `must be a ${ID_LENGTH}-character webhook id (A-Z, 2-7)`);
}

/**
 * Checks a receiver URL, and its host against `targets` when it is an address; returns it as the URL
 * parser normalised it (what is stored and posted to).
 */
export function checkWebhookUrl(v: Violations, field: string, text: string, targets: OutboundTargets): string {
  if (!v.check(text !== "", field, "required: the receiver's https:// URL")) return text;
  if (!v.check(text.length <= WEBHOOK_URL_MAX, field, `must be at most ${WEBHOOK_URL_MAX} characters`)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    v.add(field, "is not a URL; write e.g. https://hooks.example.com/keyward");
    return text;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    v.add(field, `must be https:// (or http:// to a loopback address), not ${url.protocol}`);
    return text;
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    v.add(field, "must be https://; http:// is allowed only to a loopback address (127.0.0.1, [::1], localhost)");
  }
  const host = addressOf(url.hostname);
  const refusal = isAddress(host) ? targets.refusal(host) : undefined;
  if (refusal !== undefined) {
    v.add(field, `${refusal}: webhooks are delivered only to public addresses and to the networks the operator lists in --webhook-target-networks`);
  }
  v.check(url.username === "" && url.password === "", field, "must not contain a user name or password: authenticate the receiver by the signature");
  v.check(url.hash === "", field, "must not contain a #fragment");
  const normalised = url.href;
  v.check(normalised.length <= WEBHOOK_URL_MAX, field, `must be at most ${WEBHOOK_URL_MAX} characters once normalised`);
  return normalised;
}

/** Checks event type prefixes; returns them without repeats, in the order given. */
export function checkEventTypes(v: Violations, field: string, given: readonly string[]): string[] {
  v.check(given.length <= WEBHOOK_EVENT_TYPES_MAX, field, `at most ${WEBHOOK_EVENT_TYPES_MAX} event types (${given.length} given)`);
  given.slice(0, WEBHOOK_EVENT_TYPES_MAX + 1).forEach((type, i) => {
    if (!v.check(type !== "", `${field}[${i}]`, "must not be empty (leave the list empty for every event)")) return;
    if (!v.check(type.length <= WEBHOOK_EVENT_TYPE_MAX, `${field}[${i}]`, `must be at most ${WEBHOOK_EVENT_TYPE_MAX} characters`)) return;
    v.check(EVENT_TYPE_PATTERN.test(type), `${field}[${i}]`, "must be an event type or its prefix: lower-case letters, digits, `_` and `.`, e.g. `api_key.` or `auth.fail`");
  });
  return [...new Set(given)];
}

/** `localhost` or a loopback address (as the URL parser writes hosts: IPv6 in brackets). */
function isLoopbackHost(hostname: string): boolean {
  if (hostname === "localhost") return true;
  const host = addressOf(hostname);
  return isAddress(host) && isLoopback(host);
}

/** A URL's host without the brackets the URL parser writes around IPv6. */
function addressOf(hostname: string): string {
  return hostname.startsWith("[") && hostname.endsWith("]") ? hostname.slice(1, -1) : hostname;
}
