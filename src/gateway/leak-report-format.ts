/**
 * GitHub's secret-scanning partner format (ARCHITECTURE.md, "Keys"): the report it posts,
 * `[{"token", "type", "url", "source"}]`, and the feedback answer, `[{"token_hash", "token_type",
 * "label"}]`, one per reported match, in order. The body is parsed only after its signature verified.
 */
import { createHash } from "node:crypto";
import { validationFailed, type FieldViolation } from "../errors/errors.js";

/** Most matches one report may carry. */
export const LEAK_REPORT_MAX_ENTRIES = 1000;
/** Longest `url` kept as an event's reason; a longer one is cut (the report is still acted on). */
export const LEAK_URL_MAX = 2048;

/** One reported match. */
export interface LeakEntry {
  /** The string GitHub matched: a key of ours, or not (format and checksum decide first). */
  readonly token: string;
  /** The secret type name the operator enrolled with GitHub, echoed in the answer. */
  readonly type: string;
  /** Where the match was found; may be empty. */
  readonly url: string;
  /** What GitHub scanned (`content`, `commit`, `npm`, ...); may be empty. */
  readonly source: string;
}

/** GitHub's feedback labels: whether the match is a real credential. */
export type LeakLabel = "true_positive" | "false_positive";

/**
 * The entries of a report body, or `INVALID_ARGUMENT` naming each malformed field (`[3].token`). The
 * whole report is refused rather than half acted on: GitHub sends the same body again.
 */
export function parseLeakReport(body: Buffer): LeakEntry[] {
  let document: unknown;
  try {
    document = JSON.parse(body.toString("utf8"));
  } catch {
    throw validationFailed([{ field: "body", description: "is not JSON: a report is a JSON array of {token, type, url, source}" }]);
  }
  if (!Array.isArray(document)) throw validationFailed([{ field: "body", description: "must be a JSON array of {token, type, url, source}" }]);
  if (document.length === 0) throw validationFailed([{ field: "body", description: "lists no matches" }]);
  if (document.length > LEAK_REPORT_MAX_ENTRIES) {
    throw validationFailed([{ field: "body", description: `lists ${document.length} matches; at most ${LEAK_REPORT_MAX_ENTRIES} are taken in one report` }]);
  }
  const violations: FieldViolation[] = [];
  const entries: LeakEntry[] = [];
  for (const [index, item] of document.entries()) {
    if (item === null || typeof item !== "object" || Array.isArray(item)) {
      violations.push({ field: `[${index}]`, description: "must be an object {token, type, url, source}" });
      continue;
    }
    const fields = item as Record<string, unknown>;
    const text = (name: string, required: boolean): string => {
      const value = fields[name];
      if (typeof value === "string" && (value !== "" || !required)) return value;
      if (value === undefined && !required) return "";
      violations.push({ field: `[${index}].${name}`, description: required ? "must be a non-empty string" : "must be a string" });
      return "";
    };
    entries.push({ token: text("token", true), type: text("type", false), url: text("url", false), source: text("source", false) });
  }
  if (violations.length > 0) throw validationFailed(violations);
  return entries;
}

/** Hex SHA-256 of the token's UTF-8 bytes: how the answer names a match without echoing it. */
export function tokenHashOf(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The feedback answer: one element per entry, in order. */
export function leakReportAnswer(entries: readonly LeakEntry[], labels: readonly LeakLabel[]): string {
  return JSON.stringify(entries.map((entry, i) => ({ token_hash: tokenHashOf(entry.token), token_type: entry.type, label: labels[i] })));
}
