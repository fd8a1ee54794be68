// The audit trail's hash chain (ARCHITECTURE.md, "Events"): every event carries the hash of its
// predecessor's canonical form, so an edited, deleted or reordered row breaks a link that
// `keyward events verify` names. Both adapters and the verifier use these functions and nothing else.
import { createHash } from "node:crypto";
import type { EventRecord, NewEvent } from "./store.js";

/**
 * The canonical form of an event: JSON with a fixed key order, times as epoch milliseconds, absent
 * optional fields as `null`, so any two implementations that store the same event hash the same bytes.
 */
export function canonicalEvent(event: NewEvent & { seq: number; previousHash: string }): string {
  return JSON.stringify([
    event.seq,
    event.previousHash,
    event.time.getTime(),
    event.type,
    [event.actor.userId ?? null, event.actor.apiKeyId ?? null, event.actor.sessionId ?? null],
    [event.subject.tenantId ?? null, event.subject.userId ?? null, event.subject.apiKeyId ?? null, event.subject.sessionId ?? null],
    [event.client.address ?? null, event.client.userAgent ?? null],
    event.changed.map((c) => [c.field, c.before ?? null, c.after ?? null]),
    event.reason ?? null,
    event.count,
  ]);
}

/** Hex SHA-256 of `event`'s canonical form. */
export function eventHash(event: NewEvent & { seq: number; previousHash: string }): string {
  return createHash("sha256").update(canonicalEvent(event)).digest("hex");
}

/** `event` placed after the event whose seq and hash are given (`0, ""` for the first of a store). */
export function chainEvent(event: NewEvent, previousSeq: number, previousHash: string): EventRecord {
  const placed = { ...event, seq: previousSeq + 1, previousHash };
  return { ...placed, hash: eventHash(placed) };
}

/** The first broken link found by {@link ChainVerifier}. */
export interface BrokenLink {
  /** The seq at which the chain breaks. */
  seq: number;
  /** What is wrong: `edited` (its hash does not match its content), `missing` (a gap before it), `relinked`. */
  problem: "edited" | "missing" | "relinked";
  detail: string;
}

/**
 * Walks a chain fed in seq order, page by page, in bounded memory. Starts from a pruned watermark
 * (`0, ""` when nothing was pruned).
 */
export class ChainVerifier {
  #seq: number;
  #hash: string;
  #checked = 0;

  constructor(startSeq: number, startHash: string) {
    this.#seq = startSeq;
    this.#hash = startHash;
  }

  /** Events checked so far. */
  get checked(): number {
    return this.#checked;
  }

  /** The last event accepted: where the chain stands. */
  get last(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#hash };
  }

  /** Checks the next events; returns the first broken link, or undefined when they all hold. */
  check(events: readonly EventRecord[]): BrokenLink | undefined {
    for (const event of events) {
      if (event.seq !== this.#seq + 1) {
        return { seq: event.seq, problem: "missing", detail: `events ${this.#seq + 1} to ${event.seq - 1} are missing` };
      }
      if (event.previousHash !== this.#hash) {
        return { seq: event.seq, problem: "relinked", detail: `its link does not match event ${this.#seq}'s hash` };
      }
      if (eventHash(event) !== event.hash) {
        return { seq: event.seq, problem: "edited", detail: "its content does not match its hash" };
      }
      this.#seq = event.seq;
      this.#hash = event.hash;
      this.#checked += 1;
    }
    return undefined;
  }
}
