/**
 * The background workers of events, composed (ARCHITECTURE.md, "Events"): the webhook dispatcher, the
 * expiry sweeper and retention. Every process of a deployment runs all three over the one store: the
 * store's leases and once-only marks make that safe, and it needs no leader. `keyward serve` starts
 * them once it listens and stops them before the store closes; in-process builds (tests, the bench) run
 * them only when they start them.
 */
import { toJsonString } from "@bufbuild/protobuf";
import { EventSchema } from "../../gen/keyward/v1/event_pb.js";
import { expirySweeper } from "../events/expiry-sweeper.js";
import { retentionPruner } from "../events/retention.js";
import { WebhookDispatcher, WebhookSender, type DeliveryResult } from "../events/webhook-dispatcher.js";
import { loadWebhookSigningKey } from "../events/webhook-signing-key.js";
import type { Logger } from "../logger.js";
import { OutboundTargets } from "../net/outbound-targets.js";
import { eventIdOf, eventToMessage } from "../services/convert.js";
import { resolveStoreLocation } from "../store/store-location.js";
import type { DeliveryStore, EventRecord, Store } from "../store/store.js";
import { SETTINGS, type Config } from "./config.js";

/** The workers of one process. */
export interface EventWorkers {
  /** Signs and posts; undefined when this process has no signing key (MongoDB without the key file). */
  readonly sender: WebhookSender | undefined;
  /** The addresses webhook receivers may be at (`--webhook-target-networks` and the public internet). */
  readonly targets: OutboundTargets;
  /** Wakes the dispatcher: this process just queued deliveries. */
  wake(): void;
  start(): void;
  /** Stops all three after their rounds in progress (a delivery attempt is bounded by its timeout). */
  stop(): Promise<void>;
}

/** An event as a webhook receives it: the `Event` message in proto JSON. */
export function webhookBody(event: EventRecord): string {
  return toJsonString(EventSchema, eventToMessage(event));
}

/**
 * Loads the signing key and builds the workers: the dispatcher claims and finishes deliveries on
 * `outbox`, the others write through `store`. Throws when a signing key that should exist cannot be
 * read or made (a named file, or the SQLite data directory's): starting would leave webhooks unsigned.
 */
export function createEventWorkers(
  config: Config,
  stores: { readonly store: Store; readonly outbox: DeliveryStore },
  logger: Logger,
  observe: (result: DeliveryResult) => void,
  now: () => number = Date.now,
): EventWorkers {
  const { store, outbox } = stores;
  const settings = config.eventWorkers;
  const location = resolveStoreLocation({ store: config.store, dataDir: config.dataDir });
  const signing = loadWebhookSigningKey(settings.webhookSigningKeyFile, location);
  const targets = new OutboundTargets(settings.webhookTargetNetworks);
  let sender: WebhookSender | undefined;
  let dispatcher: WebhookDispatcher | undefined;
  if (signing.ok) {
    if (signing.created && signing.path !== undefined) logger.info("webhook signing key created", { path: signing.path });
    if (signing.shared) logger.warn("the webhook signing key file can be read by other users; make it private (chmod 600)", { path: signing.path });
    sender = new WebhookSender(signing.key, webhookBody, settings.webhookTimeoutMs, targets, now);
    dispatcher = new WebhookDispatcher(outbox, sender, logger, {
      pollIntervalMs: settings.webhookPollIntervalMs,
      schedule: settings.webhookRetry,
      eventId: (event) => eventIdOf(event.seq),
      observe,
      now,
    });
  } else if (location.kind === "mongodb" && settings.webhookSigningKeyFile === undefined) {
    // Deliveries stay queued in the store (nothing is lost) until a process with the key sends them.
    logger.warn("webhooks are not sent by this process, and none can be created or tested here", { reason: signing.problem });
  } else {
    throw new Error(`--${SETTINGS.webhookSigningKeyFile.flag}: ${signing.problem}`);
  }
  const sweeper = expirySweeper(store, settings.expiryWarnings, settings.expirySweepIntervalMs, logger, now);
  const retention = retentionPruner(store, settings.eventRetentionMs, logger, now);
  let started = false;
  return {
    sender,
    targets,
    wake: () => dispatcher?.wake(),
    start() {
      started = true;
      dispatcher?.start();
      if (settings.expiryWarnings.length > 0) sweeper.start();
      retention.start();
    },
    async stop() {
      if (!started) return;
      await Promise.all([dispatcher?.stop(), sweeper.stop(), retention.stop()]);
    },
  };
}
