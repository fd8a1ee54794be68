/**
 * A webhook receiver on 127.0.0.1 for the e2e tests: records every delivery attempt (its event id, body,
 * signature check and the answer it chose) and answers as the test's policy says: 2xx, a failure, or
 * never (a hang, until the receiver closes).
 */
import { once } from "node:events";
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhookSignature } from "../../../src/client/index.js";

/** What the receiver does with one attempt: the number of the attempt for its event (1 for the first). */
export type Answer = "ok" | "fail" | "hang";
export type Policy = (eventId: string, attempt: number, event: { type: string }) => Answer;

export interface Attempt {
  readonly eventId: string;
  readonly body: string;
  readonly event: { id: string; type: string; reason?: string; subject?: Record<string, string>; actor?: Record<string, string> };
  /** The signature checked against the receiver's secret at arrival. */
  readonly signed: boolean;
  readonly answer: Answer;
}

export interface Receiver {
  readonly url: string;
  readonly attempts: Attempt[];
  /** The secret deliveries are checked with; set once the webhook is created. */
  secret: string;
  policy: Policy;
  /** Attempts of `eventId` answered 2xx. */
  deliveredCount(eventId: string): number;
  /** Resolves when `condition` holds, checking every 50 ms, or rejects after `timeoutMs` with `what`. */
  waitFor(condition: () => boolean, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startReceiver(policy: Policy = () => "ok"): Promise<Receiver> {
  const attempts: Attempt[] = [];
  const hung: ServerResponse[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const eventId = String(req.headers["x-keyward-event-id"] ?? "");
      const event = JSON.parse(body) as Attempt["event"];
      const signed = verifyWebhookSignature(receiver.secret, req.headers["x-keyward-signature"] as string | undefined, body).ok;
      const attempt = attempts.filter((a) => a.eventId === eventId).length + 1;
      const answer = receiver.policy(eventId, attempt, event);
      attempts.push({ eventId, body, event, signed, answer });
      if (answer === "ok") res.writeHead(204).end();
      else if (answer === "fail") res.writeHead(500).end("not now");
      else hung.push(res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const receiver: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/keyward-hook`,
    attempts,
    secret: "",
    policy,
    deliveredCount: (eventId) => attempts.filter((a) => a.eventId === eventId && a.answer === "ok").length,
    async waitFor(condition, what, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; attempts: ${JSON.stringify(attempts.map((a) => [a.eventId, a.event.type, a.answer]))}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    async close() {
      for (const res of hung) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, "close").catch(() => undefined);
    },
  };
  return receiver;
}
