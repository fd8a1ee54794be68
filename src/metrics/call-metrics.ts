/**
 * Counts and times every call in the one place all doors share: the interceptor list (the invoker runs
 * it for gRPC and REST, connect-node for Connect and gRPC-Web). It sits outermost, so it sees the final
 * code after error mapping. Label children are looked up once per protocol and method, not per call.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Counter, Histogram } from "prom-client";
import { callProtocol } from "../transport/unary-call.js";
import type { KeywardMetrics } from "./metrics.js";

/** The label children of one protocol and method. */
class MethodSeries {
  readonly #codes = new Map<Code | undefined, Counter.Internal>();
  readonly duration: Histogram.Internal<"protocol" | "method">;

  constructor(
    private readonly calls: Counter<"protocol" | "method" | "code">,
    private readonly protocol: string,
    private readonly method: string,
    duration: Histogram<"protocol" | "method">,
  ) {
    this.duration = duration.labels(protocol, method);
  }

  /** The call counter for `code` (undefined: OK). */
  count(code: Code | undefined): void {
    let counter = this.#codes.get(code);
    if (counter === undefined) {
      counter = this.calls.labels(this.protocol, this.method, code === undefined ? "OK" : codeName(code));
      this.#codes.set(code, counter);
    }
    counter.inc();
  }
}

/** gRPC's names for codes, as Prometheus exporters of gRPC servers label them (`PermissionDenied`). */
function codeName(code: Code): string {
  return Code[code] ?? String(code);
}

/** The interceptor; put it first in the list. */
export function createCallMetricsInterceptor(metrics: KeywardMetrics): Interceptor {
  const series = new Map<string, MethodSeries>();
  const seriesOf = (protocol: string, service: string, method: string): MethodSeries => {
    const key = `${protocol} ${service}/${method}`;
    let found = series.get(key);
    if (found === undefined) {
      found = new MethodSeries(metrics.calls, protocol, `${service}/${method}`, metrics.callDuration);
      series.set(key, found);
    }
    return found;
  };
  return (next) => async (request) => {
    const started = performance.now();
    const of = seriesOf(callProtocol(request), request.service.typeName, request.method.name);
    try {
      const response = await next(request);
      of.count(undefined);
      return response;
    } catch (error) {
      of.count(error instanceof ConnectError ? error.code : Code.Unknown);
      throw error;
    } finally {
      of.duration.observe((performance.now() - started) / 1000);
    }
  };
}
