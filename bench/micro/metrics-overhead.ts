/**
 * What the call metrics cost per call: GetAuthInfo with a cached key through the invoker, with and
 * without the metrics interceptor, in one process, alternating rounds, CPU time per call (so a busy
 * machine slows both sides alike). `node --import tsx bench/micro/metrics-overhead.ts`
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { create } from "@bufbuild/protobuf";
import { AuthService, GetAuthInfoRequestSchema } from "../../gen/keyward/v1/auth_pb.js";
import { createLogger } from "../../src/logger.js";
import { createAdmin } from "../../src/server/bootstrap.js";
import { build } from "../../src/server/build.js";
import { loadConfig } from "../../src/server/config.js";
import { createInvoker } from "../../src/transport/invoke.js";

const CALLS = 20_000;
const ROUNDS = 5;
const dataDir = mkdtempSync(join(tmpdir(), "keyward-metrics-bench-"));
const loaded = loadConfig({ store: "memory", "data-dir": dataDir }, {});
if (!loaded.ok) throw new Error(loaded.problems.join("; "));
const keyward = await build(loaded.config, createLogger("error", () => undefined));
const key = await createAdmin(keyward.store, "admin", 100);
const withMetrics = keyward.invoker;
const without = createInvoker(keyward.bindings, keyward.interceptors.slice(1));
const method = AuthService.method.getAuthInfo;
const message = create(GetAuthInfoRequestSchema, {});
const init = {
  protocolName: "grpc",
  header: new Headers({ authorization: `Bearer ${key}` }),
  end: { signal: new AbortController().signal },
  requestMethod: "POST",
  url: "/keyward.v1.AuthService/GetAuthInfo",
  peer: { address: "127.0.0.1", secure: false },
};

async function microsPerCall(invoker: typeof withMetrics): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < CALLS; i++) await invoker.invoke(method, message, init);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / CALLS;
}

await microsPerCall(withMetrics);
await microsPerCall(without);
const a: number[] = [];
const b: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  a.push(await microsPerCall(without));
  b.push(await microsPerCall(withMetrics));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
console.log(`without metrics: ${median(a).toFixed(2)} us CPU per call (rounds ${a.map((x) => x.toFixed(2)).join(", ")})`);
console.log(`with metrics:    ${median(b).toFixed(2)} us CPU per call (rounds ${b.map((x) => x.toFixed(2)).join(", ")})`);
console.log(`difference:      ${(median(b) - median(a)).toFixed(2)} us per call`);
await keyward.close();
rmSync(dataDir, { recursive: true, force: true });
