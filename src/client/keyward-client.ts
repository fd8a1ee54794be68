/**
 * A typed client of Keyward for other Node services, over the Connect protocol (HTTP/1.1, JSON or binary)
 * on Keyward's HTTP port: `createKeywardClient({ baseUrl, apiKey })`. It is the same Connect client the
 * `keyward` CLI uses, with the key sent as `Authorization: Bearer`. Errors are `ConnectError`s; read
 * their stable reason with {@link errorReason}, which also reads grpc-js errors.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import { ConnectError, createClient, type Client, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../gen/google/rpc/status_pb.js";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { WebhookRegistry } from "../../gen/keyward/v1/webhook_pb.js";

/** Where Keyward is and how to call it. */
export interface KeywardClientOptions {
  /** Keyward's HTTP address, e.g. `http://127.0.0.1:8080` (not the gRPC port). */
  readonly baseUrl: string;
  /** The `NNSXS...` API key to call with; omit it for a client that only checks keys it is handed. */
  readonly apiKey?: string | undefined;
  /** Deadline of each call unless the call gives its own (`{ timeoutMs }`); default 30 s. */
  readonly timeoutMs?: number | undefined;
  /** Interceptors to run before the request is sent (after the key is set). */
  readonly interceptors?: readonly Interceptor[] | undefined;
}

/** Keyward's services, ready to call. */
export interface KeywardClient {
  readonly users: Client<typeof UserRegistry>;
  readonly apiKeys: Client<typeof ApiKeyRegistry>;
  readonly auth: Client<typeof AuthService>;
  readonly tenants: Client<typeof TenantRegistry>;
  readonly webhooks: Client<typeof WebhookRegistry>;
  /** The transport, for building clients of the same services with other options. */
  readonly transport: Transport;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** A client of every Keyward service, sending `apiKey` as `Authorization: Bearer` on each call. */
export function createKeywardClient(options: KeywardClientOptions): KeywardClient {
  const { apiKey } = options;
  const bearer: Interceptor = (next) => (request) => {
    if (apiKey !== undefined) request.header.set("Authorization", `Bearer ${apiKey}`);
    return next(request);
  };
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: "1.1",
    interceptors: [bearer, ...(options.interceptors ?? [])],
    defaultTimeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  });
  return {
    users: createClient(UserRegistry, transport),
    apiKeys: createClient(ApiKeyRegistry, transport),
    auth: createClient(AuthService, transport),
    tenants: createClient(TenantRegistry, transport),
    webhooks: createClient(WebhookRegistry, transport),
    transport,
  };
}

/** The gRPC trailer that carries an error's `google.rpc.Status`, details included, in binary. */
const GRPC_STATUS_DETAILS = "grpc-status-details-bin";

/**
 * The stable reason of a Keyward error (`API_KEY_INVALID`, `INSUFFICIENT_RIGHTS`, …: the error table of
 * docs/client.md), from its `google.rpc.ErrorInfo` detail. `error` is what a call threw or called back
 * with: a `ConnectError` (this client, any Connect transport) or a grpc-js `ServiceError`, whose details
 * are in the `grpc-status-details-bin` trailer. Undefined when it carries none (e.g. a network error).
 */
export function errorReason(error: unknown): string | undefined {
  const details = grpcStatusDetails(error);
  if (details !== undefined) {
    try {
      const status = fromBinary(StatusSchema, details);
      return status.details.map((any) => anyUnpack(any, ErrorInfoSchema)).find((info) => info !== undefined)?.reason;
    } catch {
      return undefined; // not a google.rpc.Status: no reason to read
    }
  }
  return ConnectError.from(error).findDetails(ErrorInfoSchema)[0]?.reason;
}

/**
 * The binary `google.rpc.Status` of a grpc-js error, read by shape (grpc-js is not a dependency): its
 * `metadata.get` returns an array, where a `ConnectError`'s (a `Headers`) returns a string or null.
 */
function grpcStatusDetails(error: unknown): Uint8Array | undefined {
  const metadata = (error as { metadata?: { get?: unknown } } | null)?.metadata;
  if (typeof metadata?.get !== "function") return undefined;
  const values: unknown = metadata.get.call(metadata, GRPC_STATUS_DETAILS);
  const [value] = Array.isArray(values) ? values : [];
  return value instanceof Uint8Array ? value : undefined;
}
