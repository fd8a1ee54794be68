// Worker-thread entry that loads a TypeScript module (passed as workerData.module) through tsx:
// workers do not inherit the loader mocha runs under. Plain JavaScript so Node can start it as is.
import { workerData } from "node:worker_threads";
import { tsImport } from "tsx/esm/api";

await tsImport(workerData.module, import.meta.url);
