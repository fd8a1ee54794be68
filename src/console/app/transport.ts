/**
 * The console's way to the API: the Connect protocol over `fetch`, to the origin that served the page
 * (and gRPC-Web for the one call whose refusal is expected, below).
 * Password sign-in travels as the HttpOnly `keyward_session` cookie (the browser adds it to same-origin
 * requests); a pasted API key is added here as `Authorization: Bearer`.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { pastedKey } from "./pasted-key.js";

const withPastedKey: Interceptor = (next) => (request) => {
  const key = pastedKey();
  if (key !== undefined && !request.header.has("authorization")) request.header.set("authorization", `Bearer ${key}`);
  return next(request);
};

/** The transport every query and mutation uses. */
export const transport = createConnectTransport({
  baseUrl: window.location.origin,
  interceptors: [withPastedKey],
});

/**
 * The transport of "who is signed in", asked on every load: the gRPC-Web protocol, same origin, same
 * credentials. Signed out is its usual answer, and gRPC-Web carries a refusal in an HTTP 200 with the
 * status in trailers, where the Connect protocol answers 401, which the browser logs as a failed request
 * in its console on every fresh load.
 */
export const whoAmITransport = createGrpcWebTransport({
  baseUrl: window.location.origin,
  interceptors: [withPastedKey],
});
