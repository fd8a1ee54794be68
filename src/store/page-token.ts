// Page tokens: an opaque, self-checking encoding of the last item's sort key (keyset pagination).
// Offsets would repeat or skip items when rows are created between page fetches; a cursor does not.
import { createHash } from "node:crypto";
import { StoreError } from "./store.js";

/** The sort key of a list item: newest first by `createdAt`, ties broken by id, both descending. */
export interface SortKey {
  createdAt: Date;
  id: string;
}

const TOKEN_VERSION = 1;
// JavaScript's Date range; a cursor outside it cannot come from a stored record.
const MAX_TIME_MS = 8.64e15;

/**
 * Encodes a cursor bound to a list scope (which list, which filter), so a token from another list or
 * filter is rejected rather than silently positioning a different query.
 */
export function encodePageToken(scope: string, key: SortKey): string {
  const payload = { v: TOKEN_VERSION, s: scopeFingerprint(scope), t: key.createdAt.getTime(), i: key.id };
  return Buffer.from(JSON.stringify(payload)).toString("base64url");
}

/**
 * Decodes a token from {@link encodePageToken}: `undefined` for `""` (the first page). Rejects anything
 * else that is not a well-formed token for this scope with `invalid_argument`.
 */
export function decodePageToken(scope: string, token: string): SortKey | undefined {
  if (token === "") return undefined;
  const payload = parseJson(Buffer.from(token, "base64url").toString("utf8"));
  if (
    !isRecord(payload) ||
    payload["v"] !== TOKEN_VERSION ||
    payload["s"] !== scopeFingerprint(scope) ||
    !Number.isSafeInteger(payload["t"]) ||
    Math.abs(payload["t"] as number) > MAX_TIME_MS ||
    typeof payload["i"] !== "string" ||
    payload["i"] === "" ||
    // base64url decoding ignores junk; re-encoding must reproduce the token exactly.
    Buffer.from(JSON.stringify(payload)).toString("base64url") !== token
  ) {
    throw invalidToken();
  }
  return { createdAt: new Date(payload["t"] as number), id: payload["i"] };
}

function scopeFingerprint(scope: string): string {
  return createHash("sha256").update(scope).digest("base64url").slice(0, 11);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalidToken();
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function invalidToken(): StoreError {
  return new StoreError("invalid_argument", "invalid page token: pass a next_page_token from the same list and filter");
}
