/**
 * The console's one way to the API: the Connect protocol over `fetch`, to the origin that served the page.
 * Password sign-in travels as the HttpOnly `keyward_session` cookie (the browser adds it to same-origin
 * requests); a pasted API key is added here as `Authorization: Bearer`.
 */
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
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
