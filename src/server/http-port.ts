/**
 * The HTTP port (ARCHITECTURE.md, "Layout"): everything Keyward serves on `--http-addr`, as one ordered
 * table of routes. `keyward serve`, the in-process test servers and the bench all build it here, so what
 * they serve cannot drift apart. It lives with the composition because it names parts of both `http/`
 * (the operations endpoints, Connect and gRPC-Web, the console's files) and `gateway/` (docs, forward
 * auth, REST), and `http/` never imports the gateway.
 */
import { toConnectError } from "../errors/error-mapping.js";
import { createForwardAuthRoute } from "../gateway/forward-auth.js";
import { LeakReportKeyFile } from "../gateway/leak-report-keys.js";
import { createLeakReportRoute, type LeakReportParts } from "../gateway/leak-reports.js";
import { ClientResolver } from "../net/client-address.js";
import { createDocsRoute } from "../gateway/openapi/docs-page.js";
import { buildOpenApiDocument } from "../gateway/openapi/openapi-document.js";
import { createRestGateway } from "../gateway/rest/rest-gateway.js";
import { createConnectRoute } from "../http/connect-handler.js";
import { createConsoleRoute } from "../http/console-files.js";
import { startHttpListener, type HttpListener } from "../http/http-listener.js";
import { routeRequests, type HttpHandler } from "../http/http-routes.js";
import { createOpsRoute, type OpsSources } from "../http/ops-endpoints.js";
import type { Logger } from "../logger.js";
import type { Invoker } from "../transport/invoke.js";
import type { Keyward } from "./build.js";
import { clientConnectionLimitOf, type Config } from "./config.js";

/** What the HTTP port is built from. */
export interface HttpPortParts {
  /** The shared invoker every door calls through. */
  readonly invoker: Invoker;
  readonly logger: Logger;
  /** Largest request body in bytes, on every door of the port. */
  readonly maxRequestBytes: number;
  /** Deadline of calls sent without one; none when undefined. */
  readonly defaultDeadlineMs?: number | undefined;
  /** What `/readyz` and `/metrics` report. */
  readonly ops: OpsSources;
  /** The built console (default: `dist/console` of this checkout). */
  readonly consoleDir?: string | undefined;
  /** GitHub's leak reports; without them `/api/v1/leaks/github` answers 404 (ARCHITECTURE.md, "Keys"). */
  readonly leakReports?: LeakReportParts | undefined;
}

/**
 * The port's handler, built at startup (the REST route table and the OpenAPI document with it); throws
 * on a bad `google.api.http` rule. The first route that claims a request answers it.
 */
export function createHttpPort(parts: HttpPortParts): HttpHandler {
  const { invoker, logger, maxRequestBytes, defaultDeadlineMs } = parts;
  const asConnectError = (error: unknown) => toConnectError(error, logger);
  const rest = createRestGateway({ invoker, logger, maxBodyBytes: maxRequestBytes, defaultDeadlineMs });
  const openApiJson = JSON.stringify(buildOpenApiDocument(rest.routes));
  return routeRequests(
    [
      // GET /healthz, /readyz, /metrics (ARCHITECTURE.md, "Configuration and lifecycle")
      createOpsRoute(parts.ops),
      // POST /keyward.v1.<Service>/<Method>: Connect and gRPC-Web (ARCHITECTURE.md, "The doors")
      createConnectRoute({ invoker, logger, maxRequestBytes, defaultDeadlineMs }),
      // /openapi.json, /docs and swagger-ui's files
      createDocsRoute(openApiJson, asConnectError),
      // GET / asked by a browser, and /console/... (ARCHITECTURE.md, "The web console")
      createConsoleRoute(parts.consoleDir),
      // /api/v1/auth/check and below, any method: before REST, whose routes would answer 405
      createForwardAuthRoute(invoker, asConnectError),
      // POST /api/v1/leaks/github: GitHub's secret-scanning reports, before REST, whose routes would answer 404
      createLeakReportRoute(parts.leakReports, asConnectError),
      // everything else: the google.api.http rules, 404 or 405 where none matches (ARCHITECTURE.md, "The REST gateway")
      rest.route,
    ],
    logger,
  );
}

/** The HTTP port of a built Keyward with its configuration: what `keyward serve` serves. */
export function keywardHttpPort(keyward: Keyward, config: Config, logger: Logger): HttpHandler {
  return createHttpPort({
    invoker: keyward.invoker,
    logger,
    maxRequestBytes: config.bodyLimitBytes,
    defaultDeadlineMs: config.limits.defaultDeadlineMs,
    ops: { readiness: () => keyward.readiness.state, metrics: () => keyward.metrics.render() },
    leakReports: leakReportPartsOf(keyward, config, logger),
  });
}

/** What the leak-report route acts with, when `--leak-report-keys` is set. */
function leakReportPartsOf(keyward: Keyward, config: Config, logger: Logger): LeakReportParts | undefined {
  const settings = config.leakReports;
  if (settings === undefined) return undefined;
  return {
    settings: { keys: new LeakReportKeyFile(settings.keysFile, logger), action: settings.action },
    store: keyward.store,
    forgetKey: (keyId) => keyward.verifier.forgetKey(keyId),
    clients: new ClientResolver(config.trustedProxies),
  };
}

/** Starts the HTTP listener on `config.httpAddr`, serving `handler` with every listener setting of `config`. */
export function startHttpPort(handler: HttpHandler, config: Config): Promise<HttpListener> {
  const { limits } = config;
  return startHttpListener({
    handler,
    address: config.httpAddr,
    tls: config.tls,
    drainTimeoutMs: config.shutdownTimeoutMs,
    perClient: clientConnectionLimitOf(config),
    maxConnections: limits.maxHttpConnections,
    headersTimeoutMs: limits.httpHeadersTimeoutMs,
    requestTimeoutMs: limits.httpRequestTimeoutMs,
    keepAliveTimeoutMs: limits.httpKeepAliveTimeoutMs,
  });
}
