/**
 * Everything the HTTP listener serves besides Connect and gRPC-Web (ARCHITECTURE.md, "The REST gateway"), as one Node handler
 * mounted as the Connect adapter's fallback: `GET /openapi.json`, the interactive docs under `/docs`,
 * the web console's page (`/` for browsers) and assets (`/console/...`), forward auth for edge proxies under
 * `/api/v1/auth/check`, and the REST routes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { toConnectError } from "../errors/error-mapping.js";
import type { Logger } from "../logger.js";
import type { Invoker } from "../transport/invoke.js";
import { createConsoleHandler } from "../http/console-files.js";
import { createDocsHandler, DOCS_PATH } from "./openapi/docs-page.js";
import { createForwardAuth, isForwardAuthPath } from "./forward-auth.js";
import { buildOpenApiDocument, OPENAPI_PATH } from "./openapi/openapi-document.js";
import { createRestGateway, type RestGateway } from "./rest/rest-gateway.js";

/** What the gateway needs. */
export interface GatewayOptions {
  readonly invoker: Invoker;
  /** Largest REST request body in bytes. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Deadline of REST calls that send no `X-Server-Timeout`; none when undefined. */
  readonly defaultDeadlineMs?: number | undefined;
  /** The built console (default: `dist/console` of this checkout). */
  readonly consoleDir?: string | undefined;
}

/** The gateway's Node handler and what it serves. */
export interface Gateway {
  readonly rest: RestGateway;
  /** The OpenAPI 3.1 document served at `/openapi.json`. */
  readonly openApi: Readonly<Record<string, unknown>>;
  readonly handler: (request: IncomingMessage, response: ServerResponse) => void;
}

/** Builds the gateway at startup: route table, OpenAPI document, docs assets. Throws on a bad `google.api.http` rule. */
export function createGateway(options: GatewayOptions): Gateway {
  const rest = createRestGateway(options);
  const openApi = buildOpenApiDocument(rest.routes);
  const asConnectError = (error: unknown) => toConnectError(error, options.logger);
  const docs = createDocsHandler(JSON.stringify(openApi), asConnectError);
  const forwardAuth = createForwardAuth(options.invoker, asConnectError);
  const consoleFiles = createConsoleHandler(options.consoleDir);
  return {
    rest,
    openApi,
    handler(request, response) {
      const path = (request.url ?? "/").split("?", 1)[0]!;
      if (path === OPENAPI_PATH || path === DOCS_PATH || path.startsWith(`${DOCS_PATH}/`)) {
        docs(request, response, path);
        return;
      }
      if (consoleFiles(request, response, path)) return;
      // Forward auth serves every method on its paths, so it comes before the REST route table.
      (isForwardAuthPath(path) ? forwardAuth(request, response) : rest.handle(request, response)).catch((error: unknown) => {
        // handle() answers every failure itself; this is the last guard against a crash.
        options.logger.error("rest gateway failure", { error });
        response.destroy();
      });
    },
  };
}
