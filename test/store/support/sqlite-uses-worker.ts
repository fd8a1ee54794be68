// A worker thread with its own SQLite connection, leasing a key's usage credits until none are left, and
// interleaving updates of the key (see sqlite.test.ts).
import { setTimeout as sleep } from "node:timers/promises";
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore } from "../../../src/store/sqlite/sqlite-store.js";

/** What the worker is asked to do. */
export interface UsesWorkerTask {
  file: string;
  userId: string;
  keyId: string;
  want: number;
  /** Adds this right to the key's rights on every 5th take: an update racing with the takes. */
  right: number;
  /** A shared counter of threads ready: each begins once `threads` have opened their connection. */
  ready: SharedArrayBuffer;
  threads: number;
}

/** What it reports back. */
export interface UsesWorkerResult {
  granted: number;
  takes: number;
  errors: string[];
}

if (parentPort) {
  const task = workerData as UsesWorkerTask;
  const store = openSqliteStore(task.file);
  const result: UsesWorkerResult = { granted: 0, takes: 0, errors: [] };
  const ready = new Int32Array(task.ready);
  Atomics.add(ready, 0, 1);
  Atomics.notify(ready, 0);
  for (let seen = Atomics.load(ready, 0); seen < task.threads; seen = Atomics.load(ready, 0)) Atomics.wait(ready, 0, seen, 100);
  try {
    for (;;) {
      const lease = await store.takeApiKeyUses(task.keyId, task.want, new Date());
      result.takes++;
      if (lease === undefined || lease.granted === 0) break;
      result.granted += lease.granted;
      // A server serves calls between leases; without a pause, the thread holding the write lock takes
      // it again before SQLite's busy handler lets another in, and one thread would lease everything.
      await sleep(1);
      if (result.takes % 5 === 1) {
        await store.updateApiKey(task.userId, task.keyId, (k) => ({ ...k, rights: [...new Set([...k.rights, task.right])] }));
      }
    }
  } catch (error) {
    result.errors.push(String(error));
  }
  await store.close();
  parentPort.postMessage(result);
}
