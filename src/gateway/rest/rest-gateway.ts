/**
 * The REST gateway (ARCHITECTURE.md, "The REST gateway"): HTTP/JSON requests transcoded by the `google.api.http` rules into calls
 * through the transport's `invoke` core, so REST runs the same interceptors (error mapping,
 * authentication, the access rule) and implementations as gRPC, without connect-node's per-call
 * machinery. Answers are proto3 JSON (camelCase, default values included, as grpc-gateway and
 * vanguard-go emit them) with status 200; errors are `google.rpc.Status` JSON with the HTTP status of
 * their code. Nothing a client sends reaches a stack trace: unexpected failures are logged by the error
 * mapping and answered `INTERNAL`. A key with a rate limit gets its window in `X-RateLimit-*` headers
 * on every answer, refusals included (ARCHITECTURE.md, "Keys").
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { create, toJson, type DescMessage, type JsonWriteOptions, type MessageShape } from "@bufbuild/protobuf";
import { toConnectError } from "../../errors/error-mapping.js";
import { BodyNotAllowed, MalformedPath, MethodNotAllowed, RouteNotFound } from "../../errors/errors.js";
import type { Logger } from "../../logger.js";
import { memoizeEncoding } from "../../transport/reusable-response.js";
import { isPlainMessage } from "../../transport/decoding/field-values.js";
import { hasBody, readBody } from "../../http/http-body.js";
import { CallSignal } from "../../http/http-call-signal.js";
import type { Invoker } from "../../transport/invoke.js";
import { parseJson } from "../../transport/decoding/json-decoding.js";
import { httpPeer } from "../../net/peers.js";
import { headersOf } from "../../http/request-headers.js";
import { TIMEOUT_HEADER, timeoutMsOf } from "./rest-timeout.js";
import { restRoutesOf, type RestRoute } from "./http-rules.js";
import { writeError, writeJson } from "../../http/http-response.js";
import type { HttpRoute } from "../../http/http-routes.js";
import { MalformedEscapeError } from "./path-escaping.js";
import { checkJsonContentType } from "./request-body.js";
import { RouteTable, type RouteMatch } from "./route-table.js";
import { transcodeRequest } from "./transcode-request.js";
import { checkQuerySize } from "./url-fields.js";
import { CallValues } from "../../transport/unary-call.js";
import { kRateLimitReading, newRateLimitReading, rateLimitHeaders, type RateLimitReading } from "../../authn/meter-reading.js";

/** What the gateway serves and with what limits. */
export interface RestGatewayOptions {
  readonly invoker: Invoker;
  /** Largest request body in bytes; larger ones get 413. */
  readonly maxBodyBytes: number;
  readonly logger: Logger;
  /** Deadline of calls that send no `X-Server-Timeout`; none when undefined. */
  readonly defaultDeadlineMs?: number | undefined;
}

/** The gateway: its routes (for the OpenAPI document), and itself as a route of the HTTP port. */
export interface RestGateway {
  readonly routes: readonly RestRoute[];
  /** The gateway as the HTTP port's last route: it claims every request, answering 404 or 405 where no rule matches. */
  readonly route: HttpRoute;
}

/** proto3 JSON as grpc-gateway and vanguard-go write it: default values included (`"admin": false`). */
const JSON_WRITE: Partial<JsonWriteOptions> = { alwaysEmitImplicit: true };

/** The query of a request without one. */
const NO_QUERY: Iterable<readonly [string, string]> = Object.freeze([]);

/** A route with its response serializer, built once at startup. */
interface PlannedRoute {
  readonly route: RestRoute;
  readonly serialize: (message: MessageShape<DescMessage>) => string;
}

/** Builds the route table from every method the invoker serves. Throws on a bad or conflicting rule. */
export function createRestGateway(options: RestGatewayOptions): RestGateway {
  const { invoker, logger } = options;
  const routes = restRoutesOf(invoker.methods.values());
  const table = new RouteTable<PlannedRoute>();
  for (const route of routes) table.add(route.httpMethod, route.template, { route, serialize: memoizeEncoding(serializerOf(route)) }, route.name);
  const asConnectError = (error: unknown) => toConnectError(error, logger);

  async function serve(request: IncomingMessage, response: ServerResponse, reading: RateLimitReading): Promise<void> {
    const target = request.url ?? "/";
    const queryAt = target.indexOf("?");
    const rawPath = queryAt === -1 ? target : target.slice(0, queryAt);
    const method = request.method ?? "GET";
    const matched = matchRoute(table, method, rawPath);
    if (matched.kind === "not-found") throw RouteNotFound.create({ method, path: rawPath.slice(0, 200) });
    if (matched.kind === "method-not-allowed") {
      const error = asConnectError(MethodNotAllowed.create({ method, path: rawPath.slice(0, 200), allowed: matched.allowed.join(", ") }));
      error.metadata.set("allow", matched.allowed.join(", "));
      throw error;
    }
    const { route, serialize } = matched.route;
    const call = new CallSignal(response, timeoutMsOf(request.headers[TIMEOUT_HEADER]) ?? options.defaultDeadlineMs, asConnectError);
    try {
      // Most calls (GETs) have no body: they skip readJsonBody's promise and its race.
      const query = queryAt === -1 ? undefined : target.slice(queryAt + 1);
      if (query !== undefined) checkQuerySize(query);
      const body = hasBody(request) ? await call.race(readJsonBody(request, route, options.maxBodyBytes)) : undefined;
      const message = transcodeRequest(route, {
        captures: matched.captures,
        query: query === undefined ? NO_QUERY : new URLSearchParams(query),
        body,
      });
      const result = await call.race(
        invoker.invoke(route.method, message, {
          protocolName: "rest",
          header: headersOf(request),
          end: call,
          requestMethod: method,
          url: target,
          peer: httpPeer(request),
          contextValues: new CallValues().set(kRateLimitReading, reading),
        }),
      );
      writeJson(response, 200, serialize(result.message), result.header, rateLimitHeaders(reading));
    } finally {
      call.dispose();
    }
  }

  /** Never rejects. */
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const reading = newRateLimitReading();
    try {
      await serve(request, response, reading);
    } catch (error) {
      // After the client went away (CANCELED) there is nobody to answer; writeError then does nothing.
      writeError(response, asConnectError(error), request, rateLimitHeaders(reading));
    }
  }

  return { routes, route: { claims: () => true, answer: handle } };
}

function matchRoute(table: RouteTable<PlannedRoute>, method: string, rawPath: string): RouteMatch<PlannedRoute> {
  try {
    return table.match(method, rawPath);
  } catch (error) {
    if (error instanceof MalformedEscapeError) throw MalformedPath.create({ problem: error.message });
    throw error;
  }
}

/** The JSON body of a request that has one, after the route, size and media type checks. */
async function readJsonBody(request: IncomingMessage, route: RestRoute, limit: number) {
  if (route.body.kind === "none") {
    // Bodies sent anyway are usually empty (`curl -X DELETE -d ''`); look before refusing.
    const bytes = await readBody(request, limit);
    if (bytes.length > 0) throw BodyNotAllowed.create({ method: route.httpMethod, template: route.template.source });
    return undefined;
  }
  checkJsonContentType(request);
  const bytes = await readBody(request, limit);
  if (route.body.kind === "all") return parseJson(bytes, route.method.input);
  const field = route.body.field;
  return parseJson(bytes, field.fieldKind === "message" && isPlainMessage(field.message) ? field.message : undefined, field.name);
}

/** The response writer of a route: the whole message, or only its `response_body` field. */
function serializerOf(route: RestRoute): PlannedRoute["serialize"] {
  const output = route.method.output;
  const field = route.responseField;
  if (field === undefined) return (message) => JSON.stringify(toJson(output, message, JSON_WRITE));
  if (field.fieldKind === "message") {
    return (message) => {
      const value = (message as Record<string, unknown>)[field.localName] as MessageShape<DescMessage> | undefined;
      return JSON.stringify(toJson(field.message, value ?? create(field.message), JSON_WRITE));
    };
  }
  return (message) => JSON.stringify((toJson(output, message, JSON_WRITE) as Record<string, unknown>)[field.jsonName] ?? null);
}
