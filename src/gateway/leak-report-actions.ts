/**
 * What a verified leak report does to the keys it names (ARCHITECTURE.md, "Keys"). A match is a true
 * positive only when it authenticates now: it parses as an `NNSXS` key with a good checksum (checked
 * offline, so a string that is no key of ours costs no lookup), names a stored key that is active and
 * not expired, and is that key's current secret, or its previous one within the grace period. Then:
 *
 * - the current secret leaked: the key is disabled (`--leak-report-action disable`, the default) or
 *   deleted (`delete`);
 * - the previous secret leaked during its grace period: the grace ends (the previous secret stops
 *   working), the key and its current secret stay: the holder already rotated.
 *
 * Each change is decided inside its store write (the key is judged as it is written, so a concurrent
 * regenerate is never undone) and runs in an event context whose cause records it as `api_key.leaked`
 * with the report's URL, with Keyward as actor and GitHub's address as client.
 *
 * Replays: a report is remembered by the SHA-256 of its body, not of its signature, which an attacker
 * can change without the key (an ECDSA signature (r, s) verifies as (r, n - s) too). The first report
 * claims `leak-report:<digest>` before acting, and each true positive it acted on is marked
 * `leak-report:<digest>:<token hash>`; both are kept {@link LEAK_REPORT_MEMORY_MS}. The same body again
 * changes nothing (a key its owner re-enabled stays enabled) and is answered the same labels, read from
 * the marks.
 */
import { parseKey, secretChecker } from "../keys/index.js";
import { withEventContext } from "../store/event-context.js";
import { isStoreError, type ApiKeyRecord, type EventClient, type Store } from "../store/store.js";
import { LEAK_URL_MAX, tokenHashOf, type LeakEntry, type LeakLabel } from "./leak-report-format.js";

/** What a leak report does to a key whose current secret leaked. */
export const LEAK_REPORT_ACTIONS = ["disable", "delete"] as const;
export type LeakReportAction = (typeof LEAK_REPORT_ACTIONS)[number];

/** How long a report acted on is remembered, so that the same body again changes nothing. */
export const LEAK_REPORT_MEMORY_MS = 30 * 24 * 3_600_000;

/** The event type a leak report's changes are recorded as. */
export const LEAKED_EVENT_TYPE = "api_key.leaked";

/** The store methods leak reports use. */
export type LeakReportStore = Pick<Store, "findApiKey" | "updateApiKey" | "deleteApiKey" | "updateAttemptCounter">;

/** What acting on one report needs. */
export interface LeakReportActor {
  readonly store: LeakReportStore;
  readonly action: LeakReportAction;
  /** Evicts a changed key from this process's verification cache (other processes: the revocation feed). */
  readonly forgetKey: (keyId: string) => void;
  readonly now: () => number;
}

/**
 * Acts on the `entries` of the report whose raw body hashed to `digest` (hex SHA-256), sent from
 * `client`, and returns each entry's label, in order. A replay acts on nothing.
 */
export async function actOnLeakReport(actor: LeakReportActor, digest: string, entries: readonly LeakEntry[], client: EventClient): Promise<LeakLabel[]> {
  const { store } = actor;
  const reportId = `leak-report:${digest}`;
  const now = new Date(actor.now());
  const expiresAt = new Date(now.getTime() + LEAK_REPORT_MEMORY_MS);
  let replay = false;
  await store.updateAttemptCounter(reportId, now, (current) => {
    replay = current !== undefined;
    return current ?? { attempts: 1, nextAttemptAt: now, expiresAt };
  });
  // One decision per distinct token: a report may name the same match twice (two files of one commit).
  const decided = new Map<string, Promise<LeakLabel>>();
  const labels: LeakLabel[] = [];
  try {
    for (const entry of entries) {
      let label = decided.get(entry.token);
      if (label === undefined) {
        label = replay ? labelActedOn(store, reportId, entry.token, now) : actOnEntry(actor, reportId, entry, client, now, expiresAt);
        decided.set(entry.token, label);
      }
      // One at a time: a report of a thousand real keys is a thousand writes, not a thousand at once.
      labels.push(await label);
    }
  } catch (error) {
    // Not acted on to the end (the store failed): forget the claim, so that GitHub's retry acts on the rest.
    if (!replay) await store.updateAttemptCounter(reportId, now, () => undefined).catch(() => undefined);
    throw error;
  }
  return labels;
}

/** A replay's label of `token`: whether the first report acted on it. */
async function labelActedOn(store: LeakReportStore, reportId: string, token: string, now: Date): Promise<LeakLabel> {
  if (!parseKey(token).ok) return "false_positive";
  const mark = await store.updateAttemptCounter(`${reportId}:${tokenHashOf(token)}`, now, (current) => current);
  return mark === undefined ? "false_positive" : "true_positive";
}

/** Judges one match and, for a true positive, changes its key and marks it acted on. */
async function actOnEntry(actor: LeakReportActor, reportId: string, entry: LeakEntry, client: EventClient, now: Date, expiresAt: Date): Promise<LeakLabel> {
  const parsed = parseKey(entry.token);
  if (!parsed.ok) return "false_positive";
  const stored = await actor.store.findApiKey(parsed.id);
  if (stored === undefined) return "false_positive";
  const context = { actor: {}, client, cause: { type: LEAKED_EVENT_TYPE, reason: entry.url.slice(0, LEAK_URL_MAX) } };
  let acted: boolean;
  try {
    acted = await withEventContext(context, () => changeLeakedKey(actor, stored, parsed.secret, now));
  } finally {
    actor.forgetKey(parsed.id);
  }
  if (!acted) return "false_positive";
  await actor.store.updateAttemptCounter(`${reportId}:${tokenHashOf(entry.token)}`, now, () => ({ attempts: 1, nextAttemptAt: now, expiresAt }));
  return "true_positive";
}

/** Which of a key's secrets `secret` is, while it authenticates at `now`; undefined when it does not. */
export function leakedSecretOf(key: ApiKeyRecord, secret: string, now: Date): "current" | "previous" | undefined {
  if (key.state !== "active" || (key.expiresAt !== undefined && key.expiresAt <= now)) return undefined;
  if (secretChecker(key.secretHash)(secret)) return "current";
  const graceEnds = key.previousSecretValidUntil;
  if (key.previousSecretHash !== undefined && graceEnds !== undefined && now < graceEnds && secretChecker(key.previousSecretHash)(secret)) return "previous";
  return undefined;
}

/** Thrown inside a write to leave the key as it is: the secret no longer authenticates (or is the previous one, for a delete). */
class LeaveKey extends Error {
  constructor(readonly leaked: "previous" | undefined) {
    super("leak report: key left as it is");
  }
}

/**
 * Disables or deletes the key `stored` names, or ends its grace period, each judged inside the write;
 * false when the secret no longer authenticates (or the key is gone) by then.
 */
async function changeLeakedKey(actor: LeakReportActor, stored: ApiKeyRecord, secret: string, now: Date): Promise<boolean> {
  const { store } = actor;
  try {
    if (actor.action === "delete") {
      try {
        await store.deleteApiKey(stored.userId, stored.id, (key) => {
          const leaked = leakedSecretOf(key, secret, now);
          if (leaked !== "current") throw new LeaveKey(leaked);
        });
        return true;
      } catch (error) {
        if (!(error instanceof LeaveKey && error.leaked === "previous")) throw error;
      }
    }
    await store.updateApiKey(stored.userId, stored.id, (key) => {
      const leaked = leakedSecretOf(key, secret, now);
      if (leaked === "current" && actor.action === "disable") return { ...key, state: "disabled", updatedAt: now };
      if (leaked === "previous") return { ...key, previousSecretHash: undefined, previousSecretValidUntil: undefined, updatedAt: now };
      throw new LeaveKey(undefined);
    });
    return true;
  } catch (error) {
    if (error instanceof LeaveKey) return false;
    if (isStoreError(error, "not_found")) return false; // deleted meanwhile
    throw error;
  }
}
