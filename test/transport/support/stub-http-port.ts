/**
 * The HTTP port `keyward serve` serves (src/server/http-port.ts: its one route table) over the stub
 * services, on a free loopback port, with stand-ins for readiness (always ready) and metrics (empty).
 */
import type { HttpListener, HttpListenerOptions } from "../../../src/http/http-listener.js";
import { startHttpListener } from "../../../src/http/http-listener.js";
import type { OpsSources } from "../../../src/http/ops-endpoints.js";
import { silentLogger, type Logger } from "../../../src/logger.js";
import { DEFAULT_MAX_REQUEST_BYTES } from "../../../src/request-limits.js";
import { createHttpPort } from "../../../src/server/http-port.js";
import { createInvoker, type Invoker } from "../../../src/transport/invoke.js";
import type { StubServices } from "./stub-service.js";

/** Readiness and metrics that say nothing: the stub has no store and counts nothing. */
export const STUB_OPS: OpsSources = {
  readiness: () => ({ ready: true }),
  metrics: async () => ({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" }),
};

/** How the port is built (the stub's invoker and the default body limit unless given) and listens. */
export interface StubHttpPortOptions extends Partial<Omit<HttpListenerOptions, "handler">> {
  readonly invoker?: Invoker;
  readonly maxRequestBytes?: number;
  readonly defaultDeadlineMs?: number;
  readonly logger?: Logger;
  /** The built console to serve (default: this checkout's `dist/console`). */
  readonly consoleDir?: string;
}

/** Starts the port over `stub`'s services. */
export function startStubHttpPort(stub: StubServices, options: StubHttpPortOptions = {}): Promise<HttpListener> {
  const { invoker, maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES, defaultDeadlineMs, logger = silentLogger, consoleDir, ...listener } = options;
  const handler = createHttpPort({
    invoker: invoker ?? createInvoker(stub.bindings, stub.interceptors),
    logger,
    maxRequestBytes,
    defaultDeadlineMs,
    ops: STUB_OPS,
    consoleDir,
  });
  return startHttpListener({ address: "127.0.0.1:0", ...listener, handler });
}
