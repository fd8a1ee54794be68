/**
 * `POST /api/v1/leaks/github`: GitHub's secret-scanning partner endpoint (ARCHITECTURE.md, "Keys";
 * docs/leak-reports.md). GitHub posts the `NNSXS` keys it finds in public code; Keyward disables (or
 * deletes) each one that is real and answers GitHub's feedback shape.
 *
 * Bounded work before trust: the two headers are checked and the signing key looked up before a byte
 * of the body is read; the body is read within {@link LEAK_REPORT_MAX_BYTES}, by at most
 * {@link LEAK_REPORTS_IN_FLIGHT} requests at once; its signature (ECDSA P-256 over the raw bytes) is
 * verified before it is parsed; only then are its at most 1,000 matches judged (leak-report-actions.ts).
 */
import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectError } from "@connectrpc/connect";
import { clientOf } from "../authz/authorization-interceptor.js";
import { LeakReportsBusy, LeakReportSignatureInvalid, LeakReportsNotConfigured, MethodNotAllowed } from "../errors/errors.js";
import { readBody } from "../http/http-body.js";
import { writeError, writeJson } from "../http/http-response.js";
import type { HttpRoute } from "../http/http-routes.js";
import { headersOf } from "../http/request-headers.js";
import type { ClientResolver } from "../net/client-address.js";
import { httpPeer } from "../net/peers.js";
import { actOnLeakReport, type LeakReportAction, type LeakReportStore } from "./leak-report-actions.js";
import { leakReportAnswer, parseLeakReport } from "./leak-report-format.js";
import { KEY_IDENTIFIER_MAX, signatureVerifies, type LeakReportKeyFile } from "./leak-report-keys.js";

/** Where GitHub posts reports; enrol this URL (on the public address of the HTTP port). */
export const LEAK_REPORT_PATH = "/api/v1/leaks/github";
/** Largest report body read: a thousand matches with their URLs. */
export const LEAK_REPORT_MAX_BYTES = 1024 * 1024;
/** Most report bodies read at once; more are answered 503 with `Retry-After` (GitHub retries). */
export const LEAK_REPORTS_IN_FLIGHT = 4;
/** The headers GitHub signs its reports with (Node's names are lower case). */
export const KEY_IDENTIFIER_HEADER = "github-public-key-identifier";
export const SIGNATURE_HEADER = "github-public-key-signature";

/** How leak reports are taken, when `--leak-report-keys` is set. */
export interface LeakReportSettings {
  readonly keys: LeakReportKeyFile;
  readonly action: LeakReportAction;
}

/** What the route acts with, when leak reports are configured. */
export interface LeakReportParts {
  readonly settings: LeakReportSettings;
  readonly store: LeakReportStore;
  readonly forgetKey: (keyId: string) => void;
  /** Who sent the report (GitHub, or a trusted proxy's client), for the events. */
  readonly clients: ClientResolver;
  readonly now?: () => number;
}

/**
 * The leak-report route: every method on its path (a GET is 405, not the REST gateway's 404). Without
 * `parts` (no `--leak-report-keys`) every report is answered 404 `LEAK_REPORTS_NOT_CONFIGURED`.
 */
export function createLeakReportRoute(parts: LeakReportParts | undefined, asConnectError: (error: unknown) => ConnectError): HttpRoute {
  let inFlight = 0;
  const take = async (request: IncomingMessage, response: ServerResponse, parts: LeakReportParts): Promise<void> => {
    const accepted = parts.settings;
    const identifier = singleHeader(request, KEY_IDENTIFIER_HEADER);
    const signature = singleHeader(request, SIGNATURE_HEADER);
    if (identifier === undefined || signature === undefined) {
      throw LeakReportSignatureInvalid.create({ problem: "a report carries one Github-Public-Key-Identifier and one Github-Public-Key-Signature header" });
    }
    const key = identifier.length > KEY_IDENTIFIER_MAX ? undefined : accepted.keys.keyOf(identifier);
    if (key === undefined) throw LeakReportSignatureInvalid.create({ problem: "the key identifier is not in the --leak-report-keys file (fetch GitHub's keys again?)" });
    if (inFlight >= LEAK_REPORTS_IN_FLIGHT) throw LeakReportsBusy.create({}, { retryDelayMs: 1_000 });
    inFlight++;
    let body: Buffer;
    try {
      body = await readBody(request, LEAK_REPORT_MAX_BYTES);
    } finally {
      inFlight--;
    }
    if (!signatureVerifies(key, body, signature)) throw LeakReportSignatureInvalid.create({ problem: "the signature does not match the body" });
    const entries = parseLeakReport(body);
    const digest = createHash("sha256").update(body).digest("hex");
    const client = clientOf(parts.clients.resolve(httpPeer(request), headersOf(request)));
    const actor = { store: parts.store, action: accepted.action, forgetKey: parts.forgetKey, now: parts.now ?? Date.now };
    const labels = await actOnLeakReport(actor, digest, entries, client);
    writeJson(response, 200, leakReportAnswer(entries, labels));
  };
  return {
    claims: (_request, path) => path === LEAK_REPORT_PATH,
    async answer(request, response, path) {
      try {
        if (request.method !== "POST") {
          const refusal = asConnectError(MethodNotAllowed.create({ method: request.method ?? "", path, allowed: "POST" }));
          refusal.metadata.set("allow", "POST");
          throw refusal;
        }
        if (parts === undefined) throw LeakReportsNotConfigured.create();
        await take(request, response, parts);
      } catch (error) {
        writeError(response, asConnectError(error), request);
      }
    },
  };
}

/** The value of a header sent exactly once; undefined when absent, repeated or empty. */
function singleHeader(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === "string" && value !== "" && !value.includes(",") ? value.trim() : undefined;
}
