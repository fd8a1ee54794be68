/**
 * Keyward's Prometheus metrics (ARCHITECTURE.md, "Configuration and lifecycle"), one registry per server. Labels are bounded sets: protocol,
 * RPC method, status code, authentication result reason, store operation. No key, secret or user id is
 * ever a label value.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from "prom-client";
import type { DeliveryStore, EventStore } from "../store/store.js";
import { PlainCounter, PlainHistogram, type CounterSeries } from "./plain-series.js";

/** Seconds; calls and store reads here take from tens of microseconds to a few milliseconds. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** What the verifier's cache counted since start; read when /metrics is scraped, so a hit costs one `++`. */
export interface CacheCounts {
  readonly hits: number;
  readonly misses: number;
  /** Entries dropped because the cache was full (least recently used first). */
  readonly capacityEvictions: number;
  /** Entries dropped because their key or owner changed (on this node, or named by the revocation feed). */
  readonly changeEvictions: number;
  /** Entries dropped by the sweep after their TTL. */
  readonly expiredEvictions: number;
  /** Keys cached now. */
  readonly size: number;
}

/** What the key meter counted since start (ARCHITECTURE.md, "Keys"); read when scraped. */
export interface MeterCounts {
  /** Blocks of calls leased from keys' rate-limit windows. */
  readonly rateLeases: number;
  /** Blocks of usage credits leased. */
  readonly creditLeases: number;
  /** Leased uses given back unused. */
  readonly creditsReturned: number;
  /** Keys with a window or a lease held now. */
  readonly keys: number;
}

/** What the event metrics read from the store when scraped. */
export type EventCounts = Pick<EventStore & DeliveryStore, "eventChainHead" | "countPendingDeliveries">;

/** The metrics of one server and the registry that renders them. */
export class KeywardMetrics {
  readonly registry = new Registry();
  /** Labels: protocol, method, code. */
  readonly calls: PlainCounter;
  /** Labels: protocol, method. */
  readonly callDuration: PlainHistogram;
  /** Labels: result. */
  readonly authentications: PlainCounter;
  /** Labels: operation, outcome. */
  readonly storeDuration: PlainHistogram;
  readonly #feedLag: Gauge;
  readonly #ready: Gauge;
  #cache: () => CacheCounts | undefined = () => undefined;
  #meter: () => MeterCounts | undefined = () => undefined;
  /** Labels: result (delivered, retry, failed). */
  readonly webhookDeliveries: PlainCounter;
  readonly #deliverySeries: Record<"delivered" | "retry" | "failed", CounterSeries>;
  #events: EventCounts | undefined;
  /** Label children by result: the results are a handful of reason strings. */
  readonly #authResults = new Map<string, CounterSeries>();

  constructor() {
    const registers = [this.registry];
    this.calls = new PlainCounter(
      "keyward_calls_total",
      "RPCs that reached a method, by protocol (grpc, connect, grpc-web, rest), method and status code",
      ["protocol", "method", "code"],
      this.registry,
    );
    this.callDuration = new PlainHistogram(
      "keyward_call_duration_seconds",
      "Time from the interceptors to the response message, by protocol and method",
      ["protocol", "method"],
      this.registry,
      LATENCY_BUCKETS,
    );
    this.authentications = new PlainCounter(
      "keyward_authentications_total",
      "Credential checks by result: OK or the refusal's reason (e.g. API_KEY_INVALID, CREDENTIALS_MISSING)",
      ["result"],
      this.registry,
    );
    this.storeDuration = new PlainHistogram(
      "keyward_store_operation_duration_seconds",
      "Store operations by operation name and outcome (ok or error)",
      ["operation", "outcome"],
      this.registry,
      LATENCY_BUCKETS,
    );
    this.#feedLag = new Gauge({
      name: "keyward_revocation_feed_lag_seconds",
      help: "How far this process's view of the revocation feed is behind the store (0 until the feed reports)",
      registers,
    });
    this.#ready = new Gauge({ name: "keyward_ready", help: "1 when /readyz answers 200, else 0", registers });
    const cache = () => this.#cache();
    const counted = (name: string, help: string, read: (counts: CacheCounts) => number) =>
      new Counter({
        name,
        help,
        registers,
        collect() {
          const counts = cache();
          this.reset();
          if (counts) this.inc(read(counts));
        },
      });
    counted("keyward_verifier_cache_hits_total", "Key verifications answered from the cache", (c) => c.hits);
    counted("keyward_verifier_cache_misses_total", "Key verifications that read the store", (c) => c.misses);
    new Counter({
      name: "keyward_verifier_cache_evictions_total",
      help: "Cached keys dropped, by cause: capacity (LRU), change (the key or its owner changed), expired (TTL)",
      labelNames: ["cause"],
      registers,
      collect() {
        const counts = cache();
        this.reset();
        if (!counts) return;
        this.inc({ cause: "capacity" }, counts.capacityEvictions);
        this.inc({ cause: "change" }, counts.changeEvictions);
        this.inc({ cause: "expired" }, counts.expiredEvictions);
      },
    });
    new Gauge({
      name: "keyward_verifier_cached_keys",
      help: "Keys in the verification cache now",
      registers,
      collect() {
        this.set(cache()?.size ?? 0);
      },
    });
    // The meter (ARCHITECTURE.md, "Keys"): store writes it made, so an operator sees what metering costs.
    // Its refusals are counted by keyward_authentications_total's reasons.
    const meter = () => this.#meter();
    new Counter({
      name: "keyward_meter_leases_total",
      help: "Blocks leased from the store by this process's key meter, by kind: rate (calls of a rate-limit window) or credits (usage credits)",
      labelNames: ["kind"],
      registers,
      collect() {
        const counts = meter();
        this.reset();
        if (!counts) return;
        this.inc({ kind: "rate" }, counts.rateLeases);
        this.inc({ kind: "credits" }, counts.creditLeases);
      },
    });
    new Counter({
      name: "keyward_meter_credits_returned_total",
      help: "Leased usage credits this process gave back unused (idle key, changed key, graceful stop)",
      registers,
      collect() {
        const counts = meter();
        this.reset();
        if (counts) this.inc(counts.creditsReturned);
      },
    });
    new Gauge({
      name: "keyward_meter_keys",
      help: "Metered keys with a rate-limit window or a lease of credits held by this process now",
      registers,
      collect() {
        this.set(meter()?.keys ?? 0);
      },
    });
    // Events (ARCHITECTURE.md, "Events"): the trail and the outbox are the store's, so they are read from
    // it when scraped and are the same on every process; deliveries are counted by the process making them.
    this.webhookDeliveries = new PlainCounter(
      "keyward_webhook_deliveries_total",
      "Webhook delivery attempts made by this process, by result: delivered, retry (failed, tried again later) or failed (given up)",
      ["result"],
      this.registry,
    );
    // Every result is shown from the start, at 0, so a rate over it never starts from a missing series.
    this.#deliverySeries = {
      delivered: this.webhookDeliveries.series("delivered"),
      retry: this.webhookDeliveries.series("retry"),
      failed: this.webhookDeliveries.series("failed"),
    };
    const events = () => this.#events;
    new Counter({
      name: "keyward_events_written_total",
      help: "Events in the store's audit trail ever written, by every process (the chain's newest seq)",
      registers,
      async collect() {
        this.reset();
        const seq = await events()?.eventChainHead().then((head) => head.seq, () => undefined);
        if (seq !== undefined) this.inc(seq);
      },
    });
    new Gauge({
      name: "keyward_webhook_outbox_depth",
      help: "Webhook deliveries waiting to be sent or retried, over every webhook and process",
      registers,
      async collect() {
        const depth = await events()?.countPendingDeliveries().then((n) => n, () => undefined);
        if (depth !== undefined) this.set(depth);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Where the events written and the outbox depth are read from at scrape time. */
  observeEvents(store: EventCounts): void {
    this.#events = store;
  }

  /** Counts one recorded webhook delivery attempt by its result. */
  readonly countDelivery = (result: "delivered" | "retry" | "failed"): void => {
    this.#deliverySeries[result].inc();
  };

  /** Counts one credential check's result (an {@link AuthenticationObserver} of the authorization interceptor). */
  readonly countAuthentication = (result: string): void => {
    let counter = this.#authResults.get(result);
    if (counter === undefined) {
      counter = this.authentications.series(result);
      this.#authResults.set(result, counter);
    }
    counter.inc();
  };

  /** Where the verifier cache's counts are read from at scrape time. */
  observeCache(read: () => CacheCounts): void {
    this.#cache = read;
  }

  /** Where the key meter's counts are read from at scrape time. */
  observeMeter(read: () => MeterCounts): void {
    this.#meter = read;
  }

  /** Sets the revocation-feed lag: seconds between the newest change in the store and the last one applied here. */
  setRevocationFeedLag(seconds: number): void {
    this.#feedLag.set(seconds);
  }

  /** Mirrors readiness into `keyward_ready`. */
  setReady(ready: boolean): void {
    this.#ready.set(ready ? 1 : 0);
  }

  /** The Prometheus text exposition of every metric. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
