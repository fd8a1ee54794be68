// Which webhooks an event is queued for (ARCHITECTURE.md, "Events"): decided once here, by both adapters'
// appenders inside the event's write.
import type { NewEvent, WebhookRecord } from "./store.js";

/**
 * Whether `webhook` receives `event`: a tenant's webhook only its tenant's events (`subject.tenantId`), a
 * system webhook every event; and only the types starting with one of its prefixes, or every type when it
 * has none. Whether it is enabled is the caller's to check.
 */
export function webhookMatches(webhook: Pick<WebhookRecord, "tenantId" | "eventTypes">, event: NewEvent): boolean {
  if (webhook.tenantId !== undefined && webhook.tenantId !== event.subject.tenantId) return false;
  return webhook.eventTypes.length === 0 || webhook.eventTypes.some((prefix) => event.type.startsWith(prefix));
}
