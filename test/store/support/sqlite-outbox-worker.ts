// A worker thread with its own SQLite connection that drains the outbox or sweeps for expiring keys, so
// sqlite.test.ts can race real parallel connections on one file (one process's connections take turns).
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import type { ExpiryPoint } from "../../../src/store/store.js";

/** What the worker is asked to do. */
export type OutboxWorkerTask =
  | { kind: "claim"; file: string; owner: string; now: number; batch: number }
  | { kind: "warn"; file: string; now: number; points: ExpiryPoint[]; rounds: number };

/** What it reports back: `webhookId:seq` of each delivery claimed, or `keyId:label` of each warning given. */
export interface OutboxWorkerResult {
  got: string[];
  errors: string[];
}

if (parentPort) {
  const task = workerData as OutboxWorkerTask;
  const store = openSqliteStore(task.file);
  const result: OutboxWorkerResult = { got: [], errors: [] };
  try {
    if (task.kind === "claim") {
      for (;;) {
        const claimed = await store.claimDeliveries(new Date(task.now), { owner: task.owner, until: new Date(task.now + 600_000) }, task.batch);
        if (claimed.length === 0) break;
        result.got.push(...claimed.map((d) => `${d.webhook.webhookId}:${d.event.seq}`));
      }
    } else {
      for (let i = 0; i < task.rounds; i++) {
        const warned = await store.warnExpiringKeys(new Date(task.now), task.points, 3);
        result.got.push(...warned.map((e) => `${e.subject.apiKeyId}:${e.reason}`));
      }
    }
  } catch (error) {
    result.errors.push(String(error));
  }
  await store.close();
  parentPort.postMessage(result);
}
