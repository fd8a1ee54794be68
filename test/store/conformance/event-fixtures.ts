// Records and helpers shared by the conformance sections on events, webhooks, the outbox and expiry
// warnings (ARCHITECTURE.md, "Events").
import { randomBytes } from "node:crypto";
import { expect } from "chai";
import { ChainVerifier, type BrokenLink } from "../../../src/store/event-chain.js";
import type { EventContext, EventRecord, NewEvent, Store, WebhookRecord } from "../../../src/store/store.js";
import { at } from "./fixtures.js";

/** The context of a call made by an admin's key from a known client. */
export const CONTEXT: EventContext = {
  actor: { userId: "conformance-admin", apiKeyId: "CONFORMANCEADMINKEY" },
  client: { address: "192.0.2.7", userAgent: "conformance/1.0" },
};

/** An event that records no change (as an aggregated `auth.fail` is), with every field set. */
export function newEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    time: at(20_003),
    type: "auth.fail",
    actor: {},
    subject: { apiKeyId: `KEY${randomBytes(6).toString("hex").toUpperCase()}` },
    client: { address: "198.51.100.9", userAgent: "curl/8" },
    changed: [],
    reason: "API_KEY_INVALID",
    count: 3,
    ...overrides,
  };
}

/** A webhook record with every field set; its counters are those a new webhook reads back. */
export function webhookRecord(overrides: Partial<WebhookRecord> = {}): WebhookRecord {
  return {
    webhookId: `wh-${randomBytes(6).toString("hex")}`,
    url: "https://hooks.example.com/keyward",
    eventTypes: [],
    enabled: true,
    secretSalt: randomBytes(16).toString("base64url"),
    createdAt: at(30_001),
    updatedAt: at(30_002),
    delivery: { pending: 0, delivered: 0, failed: 0 },
    ...overrides,
  };
}

/** Every event after `after`, oldest first, read `limit` at a time. */
export async function eventsAfter(store: Store, after: number, limit = 500): Promise<EventRecord[]> {
  const events: EventRecord[] = [];
  for (let cursor = after; ; ) {
    const batch = await store.readEvents(cursor, limit);
    events.push(...batch);
    if (batch.length < limit) return events;
    cursor = batch.at(-1)!.seq;
  }
}

/** Walks the whole chain from its anchor as `keyward events verify` does: the first broken link, if any. */
export async function verifyChain(store: Store, pageSize = 3): Promise<{ broken: BrokenLink | undefined; checked: number }> {
  const head = await store.eventChainHead();
  const verifier = new ChainVerifier(head.prunedThroughSeq, head.prunedThroughHash);
  for (let cursor = head.prunedThroughSeq; ; ) {
    const page = await store.readEvents(cursor, pageSize);
    const broken = verifier.check(page);
    if (broken) return { broken, checked: verifier.checked };
    if (page.length < pageSize) break;
    cursor = page.at(-1)!.seq;
  }
  expect(verifier.last.seq, "the chain ends at the head").to.equal(head.seq);
  return { broken: undefined, checked: verifier.checked };
}

/** The type, subject, actor, client and changed fields of events, for comparing with what a test expects. */
export function described(events: readonly EventRecord[]): Pick<EventRecord, "type" | "subject" | "actor" | "client" | "changed">[] {
  return events.map(({ type, subject, actor, client, changed }) => ({ type, subject, actor, client, changed }));
}
