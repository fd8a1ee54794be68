/**
 * A stand-in for the real services and interceptors, so the transport tests depend on neither src/authn, src/authz nor
 * src/services: the generated keyward.v1 services (reflection sees the real API), a stub `GetAuthInfo` that
 * records what reached it, and an interceptor list shaped like the real one (error mapping outermost,
 * then a credential check throwing the same kind of ConnectError the real one does).
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { ApiKeyRegistry } from "../../../gen/keyward/v1/api_key_pb.js";
import { AuthService, GetAuthInfoResponseSchema, type GetAuthInfoResponse } from "../../../gen/keyward/v1/auth_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../../gen/keyward/v1/session_pb.js";
import { TenantRegistry } from "../../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry } from "../../../gen/keyward/v1/user_pb.js";
import { bindService, type ServiceBinding } from "../../../src/transport/invoke.js";

/** Header that tells the stub what to do: "hang" (until aborted), "delay:<ms>", "throw-plain". */
export const MODE_HEADER = "x-test-mode";
export const WWW_AUTHENTICATE = 'Bearer realm="keyward"';

/** What the stub implementation saw, per call. */
export interface SeenCall {
  readonly protocolName: string;
  readonly header: Headers;
  readonly signal: AbortSignal;
}

/** The stub and the calls it has seen. */
export interface StubServices {
  readonly bindings: ServiceBinding[];
  readonly interceptors: Interceptor[];
  readonly calls: SeenCall[];
  /** Resolves with the abort reason of the next call whose signal aborts. */
  nextAbort(): Promise<unknown>;
}

/** The keyward services; only `AuthService.GetAuthInfo` is implemented. */
export function createStubServices(options: { errorMapping?: boolean } = {}): StubServices {
  const calls: SeenCall[] = [];
  const abortWaiters: ((reason: unknown) => void)[] = [];
  const getAuthInfo = async (_request: unknown, context: HandlerContext): Promise<GetAuthInfoResponse> => {
    calls.push({ protocolName: context.protocolName, header: context.requestHeader, signal: context.signal });
    context.signal.addEventListener("abort", () => abortWaiters.shift()?.(context.signal.reason), { once: true });
    const mode = context.requestHeader.get(MODE_HEADER) ?? "";
    if (mode === "throw-plain") throw new Error("database password is hunter2");
    if (mode === "hang") await aborted(context.signal);
    if (mode.startsWith("delay:")) await sleep(Number(mode.slice("delay:".length)));
    context.responseHeader.set("x-stub-header", "from-header");
    context.responseTrailer.set("x-stub-trailer", "from-trailer");
    return create(GetAuthInfoResponseSchema, {
      user: { userId: "alice", name: context.requestHeader.get("authorization") ?? "" },
      rights: [Right.USER_INFO],
    });
  };
  const interceptors = [...(options.errorMapping === false ? [] : [errorMappingStub]), requireAuthorization];
  return {
    bindings: [
      bindService(UserRegistry, {}),
      bindService(ApiKeyRegistry, {}),
      bindService(AuthService, { getAuthInfo }),
      bindService(SessionRegistry, {}),
      bindService(TenantRegistry, {}),
    ],
    interceptors,
    calls,
    nextAbort: () => new Promise((resolve) => abortWaiters.push(resolve)),
  };
}

/** Like the real error mapping: anything that is not a ConnectError becomes a safe INTERNAL. */
const errorMappingStub: Interceptor = (next) => async (request) => {
  try {
    return await next(request);
  } catch (error) {
    if (error instanceof ConnectError) throw error;
    throw new ConnectError("internal error", Code.Internal);
  }
};

/** Like the real authenticator's refusal of a call without credentials. */
const requireAuthorization: Interceptor = (next) => async (request) => {
  if (!request.header.has("authorization")) {
    throw new ConnectError(
      "no API key: send Authorization: Bearer <key>",
      Code.Unauthenticated,
      { "www-authenticate": WWW_AUTHENTICATE },
      [{ desc: ErrorInfoSchema, value: { reason: "CREDENTIALS_MISSING", domain: "keyward", metadata: { header: "authorization" } } }],
    );
  }
  return next(request);
};

function aborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener("abort", () => reject(signal.reason), { once: true });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
