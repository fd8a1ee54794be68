/**
 * Counts and times every call in the one place all doors share: the interceptor list, which the invoker
 * runs for every door (gRPC, Connect, gRPC-Web, REST). It sits outermost, so it sees the final
 * code after error mapping. Series are looked up once per protocol and method, not per call.
 */
import type { DescMethod } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { callProtocol } from "../transport/unary-call.js";
import type { KeywardMetrics } from "./metrics.js";
import type { CounterSeries, HistogramSeries, PlainCounter, PlainHistogram } from "./plain-series.js";

/** The label children of one protocol and method. */
class MethodSeries {
  readonly #codes = new Map<Code | undefined, CounterSeries>();
  readonly duration: HistogramSeries;

  constructor(
    private readonly calls: PlainCounter,
    private readonly protocol: string,
    private readonly method: string,
    duration: PlainHistogram,
  ) {
    this.duration = duration.series(protocol, method);
  }

  /** The call counter for `code` (undefined: OK). */
  count(code: Code | undefined): void {
    let counter = this.#codes.get(code);
    if (counter === undefined) {
      counter = this.calls.series(this.protocol, this.method, code === undefined ? "OK" : codeName(code));
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
  // By method descriptor, then protocol: two Map reads per call, no key strings built.
  const series = new Map<DescMethod, Map<string, MethodSeries>>();
  const seriesOf = (protocol: string, method: DescMethod): MethodSeries => {
    let byProtocol = series.get(method);
    if (byProtocol === undefined) series.set(method, (byProtocol = new Map()));
    let found = byProtocol.get(protocol);
    if (found === undefined) {
      found = new MethodSeries(metrics.calls, protocol, `${method.parent.typeName}/${method.name}`, metrics.callDuration);
      byProtocol.set(protocol, found);
    }
    return found;
  };
  return (next) => async (request) => {
    const started = performance.now();
    const of = seriesOf(callProtocol(request), request.method);
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
