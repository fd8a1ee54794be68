// The shared invoker: response headers and trailers reach the door whether the implementation or an
// interceptor set them, and a call that sets none carries none.
import { create } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { expect } from "chai";
import { AuthService, GetAuthInfoRequestSchema } from "../../gen/keyward/v1/auth_pb.js";
import type { CallInit } from "../../src/transport/call-init.js";
import { bindService, createInvoker } from "../../src/transport/invoke.js";

const init = (): CallInit => ({
  protocolName: "grpc",
  peer: { address: "127.0.0.1", secure: false },
  header: new Headers(),
  end: { signal: new AbortController().signal },
  requestMethod: "POST",
  url: "/keyward.v1.AuthService/GetAuthInfo",
});
const request = create(GetAuthInfoRequestSchema);
const binding = (setHeaders: boolean) =>
  bindService(AuthService, {
    getAuthInfo(_request, context) {
      if (setHeaders) {
        context.responseHeader.set("x-impl", "header");
        context.responseTrailer.set("x-impl", "trailer");
      }
      return {};
    },
  });

describe("transport: invoke", () => {
  it("carries no response headers or trailers when nothing set any", async () => {
    const result = await createInvoker([binding(false)], []).invoke(AuthService.method.getAuthInfo, request, init());
    expect(result.header).to.equal(undefined);
    expect(result.trailer).to.equal(undefined);
  });

  it("carries what the implementation set and what an interceptor added afterwards", async () => {
    const adding: Interceptor = (next) => async (req) => {
      const response = await next(req);
      response.header.set("x-interceptor", "added");
      return response;
    };
    const result = await createInvoker([binding(true)], [adding]).invoke(AuthService.method.getAuthInfo, request, init());
    expect([...result.header!]).to.deep.equal([["x-impl", "header"], ["x-interceptor", "added"]]);
    expect([...result.trailer!]).to.deep.equal([["x-impl", "trailer"]]);
  });

  it("carries the headers of a response an interceptor replaced", async () => {
    const replacing: Interceptor = (next) => async (req) => {
      const response = await next(req);
      if (response.stream) throw new Error("unary methods only");
      return { ...response, header: new Headers({ "x-replaced": "yes" }), trailer: new Headers() };
    };
    const result = await createInvoker([binding(true)], [replacing]).invoke(AuthService.method.getAuthInfo, request, init());
    expect([...result.header!]).to.deep.equal([["x-replaced", "yes"]]);
    expect([...result.trailer!]).to.deep.equal([]);
  });
});
