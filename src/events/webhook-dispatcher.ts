/**
 * The webhook dispatcher of one process (ARCHITECTURE.md, "Events"): claims due deliveries from the
 * store's outbox under a lease (two processes never hold one delivery at once), posts each signed, and
 * records the outcome while it still holds the lease; failures are retried on the retry schedule until
 * given up. It polls every interval, so it delivers what any process queued, and is woken at once after
 * this process's own writes. Stopping lets the attempts in flight end (each bounded by the timeout).
 */
import { randomBytes } from "node:crypto";
import type { Logger } from "../logger.js";
import type { OutboundTargets } from "../net/outbound-targets.js";
import type { ClaimedDelivery, DeliveryOutcome, DeliveryStore, EventRecord, WebhookRecord } from "../store/store.js";
import { PeriodicTask } from "./periodic-task.js";
import { nextAttemptAt, type RetrySchedule } from "./retry-schedule.js";
import { postWebhook, type PostResult } from "./webhook-post.js";
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from "./webhook-signature.js";
import type { WebhookSigningKey } from "./webhook-signing-key.js";

/** Deliveries claimed per round; they are posted concurrently. */
export const DELIVERY_BATCH = 16;
/** Least time between two rounds started by local writes. */
const WAKE_GAP_MS = 50;
/** Time beyond the attempt's timeout a lease covers: recording the outcome. */
const LEASE_MARGIN_MS = 30_000;

/** The last error of a delivery held back because its webhook is disabled. */
export const PAUSED_ERROR = "webhook disabled";

/** A delivery's result, as counted by `/metrics`. */
export type DeliveryResult = DeliveryOutcome["result"];

/** Signs and posts one event to one webhook: the dispatcher's attempts and `TestWebhook`. */
export class WebhookSender {
  readonly #key: WebhookSigningKey;
  readonly #render: (event: EventRecord) => string;
  readonly #timeoutMs: number;
  readonly #targets: OutboundTargets;
  readonly #now: () => number;

  /**
   * `render` gives an event's body: the `Event` message in proto JSON; `targets` the addresses receivers
   * may be at.
   */
  constructor(key: WebhookSigningKey, render: (event: EventRecord) => string, timeoutMs: number, targets: OutboundTargets, now: () => number = Date.now) {
    this.#key = key;
    this.#render = render;
    this.#timeoutMs = timeoutMs;
    this.#targets = targets;
    this.#now = now;
  }

  /** The secret a webhook's deliveries are signed with: shown once, at creation. */
  secretOf(webhook: Pick<WebhookRecord, "webhookId" | "secretSalt">): string {
    return this.#key.secretOf(webhook.webhookId, webhook.secretSalt);
  }

  /** One attempt: resolves (never rejects) within about the timeout. */
  send(webhook: WebhookRecord, event: EventRecord, eventId: string): Promise<PostResult> {
    const body = this.#render(event);
    const headers = {
      [SIGNATURE_HEADER]: signatureHeader(this.secretOf(webhook), Math.floor(this.#now() / 1000), body),
      [EVENT_ID_HEADER]: eventId,
    };
    return postWebhook(webhook.url, body, headers, this.#timeoutMs, this.#targets);
  }

  get timeoutMs(): number {
    return this.#timeoutMs;
  }
}

/** How the dispatcher runs. */
export interface DispatcherOptions {
  readonly pollIntervalMs: number;
  readonly schedule: RetrySchedule;
  /** An event's id as receivers see it (`X-Keyward-Event-Id`, the JSON's `id`). */
  readonly eventId: (event: EventRecord) => string;
  /** Counts each recorded outcome. */
  readonly observe?: (result: DeliveryResult) => void;
  readonly now?: () => number;
}

export class WebhookDispatcher {
  /** This process's name on its leases. */
  readonly owner = `dispatcher-${process.pid}-${randomBytes(6).toString("hex")}`;
  readonly #store: DeliveryStore;
  readonly #sender: WebhookSender;
  readonly #logger: Logger;
  readonly #options: DispatcherOptions;
  readonly #now: () => number;
  readonly #task: PeriodicTask;

  constructor(store: DeliveryStore, sender: WebhookSender, logger: Logger, options: DispatcherOptions) {
    this.#store = store;
    this.#sender = sender;
    this.#logger = logger;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#task = new PeriodicTask("webhook dispatcher", options.pollIntervalMs, () => this.#round(), logger, WAKE_GAP_MS);
  }

  start(): void {
    this.#task.start();
  }

  /** Something may have been queued: look now rather than at the next poll. */
  wake(): void {
    this.#task.wake();
  }

  /** Ends after the attempts in flight (each bounded by the timeout); claims nothing more. */
  stop(): Promise<void> {
    return this.#task.stop();
  }

  async #round(): Promise<boolean> {
    const now = this.#now();
    const lease = { owner: this.owner, until: new Date(now + this.#sender.timeoutMs + LEASE_MARGIN_MS) };
    const claimed = await this.#store.claimDeliveries(new Date(now), lease, DELIVERY_BATCH);
    await Promise.all(claimed.map((delivery) => this.#deliver(delivery)));
    return claimed.length === DELIVERY_BATCH;
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const { webhook, event } = delivery;
    const eventId = this.#options.eventId(event);
    // Disabled since this was queued: nothing is sent while it stays so (its owner stopped it, perhaps
    // for a reason), and the delivery waits on its schedule, resuming when it is enabled again.
    const paused = !webhook.enabled;
    const result = paused ? { status: 0, error: PAUSED_ERROR } : await this.#sender.send(webhook, event, eventId);
    const at = new Date(this.#now());
    const outcome = outcomeOf(result, this.#options.schedule, delivery, at);
    const fields = { webhook_id: webhook.webhookId, event_id: eventId, attempt: delivery.attempts + 1, status: result.status };
    let recorded: boolean;
    try {
      recorded = await this.#store.finishDelivery(webhook.webhookId, event.seq, this.owner, outcome);
    } catch (error) {
      // The lease runs out and the delivery is claimed again: at worst the receiver sees it twice.
      this.#logger.warn("webhook delivery outcome not recorded; it will be attempted again", { ...fields, error: (error as Error).message });
      return;
    }
    if (!recorded) {
      this.#logger.warn("webhook delivery lease expired before its outcome was recorded", fields);
      return;
    }
    if (!paused) this.#options.observe?.(outcome.result);
    if (outcome.result === "retry") this.#logger.debug("webhook delivery failed; retrying", { ...fields, error: outcome.error, next_attempt_at: outcome.nextAttemptAt.toISOString() });
    if (outcome.result === "failed") this.#logger.warn("webhook delivery given up", { ...fields, error: outcome.error });
  }
}

/** What an attempt's result means for its delivery: delivered, tried again later, or given up. */
export function outcomeOf(result: PostResult, schedule: RetrySchedule, delivery: Pick<ClaimedDelivery, "attempts" | "queuedAt">, at: Date): DeliveryOutcome {
  if (result.error === "") return { result: "delivered", at, status: result.status };
  const next = nextAttemptAt(schedule, delivery.attempts + 1, delivery.queuedAt, at);
  if (next === undefined) return { result: "failed", at, status: result.status, error: result.error };
  return { result: "retry", at, status: result.status, error: result.error, nextAttemptAt: next };
}
