// A worker thread with its own SQLite connection, creating keys against a cap (see sqlite.test.ts).
import { parentPort, workerData } from "node:worker_threads";
import { openSqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import { isStoreError } from "../../../src/store/store.js";
import { apiKeyRecord } from "../conformance/fixtures.js";

/** What the worker is asked to do. */
export interface CapWorkerTask {
  file: string;
  userId: string;
  attempts: number;
  maxKeysPerUser: number;
}

/** What it reports back. */
export interface CapWorkerResult {
  created: number;
  limited: number;
  errors: string[];
}

if (parentPort) {
  const task = workerData as CapWorkerTask;
  const store = openSqliteStore(task.file);
  const result: CapWorkerResult = { created: 0, limited: 0, errors: [] };
  for (let i = 0; i < task.attempts; i++) {
    try {
      await store.createApiKey(apiKeyRecord(task.userId), { maxKeysPerUser: task.maxKeysPerUser });
      result.created++;
    } catch (error) {
      if (isStoreError(error, "limit_reached")) result.limited++;
      else result.errors.push(String(error));
    }
  }
  await store.close();
  parentPort.postMessage(result);
}
