/**
 * Credential extraction (ARCHITECTURE.md, "Credentials and errors"): `Authorization: Bearer <key>` (The Things Stack), `X-Authorization:
 * ApiKey <key>` (ThingsBoard), or gRPC metadata `authorization`, which arrives as the same header. Scheme
 * names are case-insensitive; when both headers are present, `Authorization` wins.
 */
import { CookieSignInRefused, CredentialsMalformed } from "../errors/errors.js";

const SCHEMES: ReadonlyArray<readonly [header: string, scheme: string]> = [
  ["authorization", "bearer"],
  ["x-authorization", "apikey"],
];

/**
 * The API key a request carries, or undefined when it carries none. Throws `CREDENTIALS_MALFORMED` for a
 * header with the wrong scheme or no value; the message names the expected form, never the value sent.
 */
export function credentialFrom(header: Headers): string | undefined {
  for (const [name, scheme] of SCHEMES) {
    const value = header.get(name);
    if (value === null) continue;
    const space = value.indexOf(" ");
    const sent = space === -1 ? "" : value.slice(0, space);
    if (sent.toLowerCase() !== scheme) {
      const expected = scheme === "bearer" ? "Bearer" : "ApiKey";
      throw CredentialsMalformed.create({
        problem:
          space === -1 && value.startsWith("NNSXS.")
            ? `\`${name}\` needs the scheme: \`${expected} <api key>\``
            : `\`${name}\` must be \`${expected} <api key>\``,
      });
    }
    const key = value.slice(space + 1).trim();
    if (key === "") throw CredentialsMalformed.create({ problem: `\`${name}\` has no API key after \`${scheme}\`` });
    return key;
  }
  return undefined;
}

/** The session cookie's name (ARCHITECTURE.md, "Sessions and passwords"). */
export const SESSION_COOKIE = "keyward_session";

/** The value of the `keyward_session` cookie, or undefined when the request has none (or an empty one). */
export function sessionCookieFrom(header: Headers): string | undefined {
  const cookies = header.get("cookie");
  if (cookies === null) return undefined;
  for (const part of cookies.split(";")) {
    const eq = part.indexOf("=");
    if (eq !== -1 && part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

/**
 * True when a browser says the request comes from a page of this server's own origin: `Sec-Fetch-Site:
 * same-origin`, or, from a browser that sends no fetch metadata, an `Origin` equal to this server's (its
 * scheme and the request's `Host`). Anything else (cross-site, same-site but another origin, a navigation
 * typed by the user, or no evidence at all) is not: a cookie is sent with those too, so it must not
 * authenticate them. The CSRF defence for cookie sessions, next to `SameSite=Strict`.
 */
export function isSameOrigin(header: Headers, secure: boolean): boolean {
  const site = header.get("sec-fetch-site");
  if (site !== null) return site === "same-origin";
  const origin = header.get("origin");
  const host = header.get("host");
  return origin !== null && host !== null && origin === `${secure ? "https" : "http"}://${host}`;
}

/**
 * Refuses (`PERMISSION_DENIED` / `SESSION_CROSS_ORIGIN`) a sign-in that sets the session cookie unless it
 * is one no page of another origin can make a browser send. Such a page may send a CORS "simple" request
 * (`text/plain`, a form, or no content type) without asking the server first, so the body must be JSON,
 * or of a Connect, gRPC-Web or gRPC type (the gRPC door admits only its own; `protocol` names the door).
 * And when the browser says where the request comes from (`Sec-Fetch-Site`, `Origin`), it must be this
 * server's own origin, by {@link isSameOrigin}. A client that is no browser sends neither and may sign in.
 */
export function checkCookieSignIn(header: Headers, protocol: string, secure: boolean): void {
  const contentType = header.get("content-type");
  if (protocol !== "grpc" && !isNonSimpleBody(contentType)) {
    const sent = contentType === null || contentType.trim() === "" ? "none was sent" : `not \`${contentType.slice(0, 100)}\``;
    throw CookieSignInRefused.create({ problem: `it needs a JSON body (\`Content-Type: application/json\`), ${sent}` });
  }
  const site = header.get("sec-fetch-site");
  const origin = header.get("origin");
  if ((site !== null || origin !== null) && !isSameOrigin(header, secure)) {
    const from = site !== null ? `\`Sec-Fetch-Site: ${site.slice(0, 100)}\`` : `\`Origin: ${origin!.slice(0, 100)}\``;
    throw CookieSignInRefused.create({ problem: `this request says ${from}` });
  }
}

/** `application/json` or a Connect, gRPC-Web or gRPC type: none is a CORS-safelisted type. */
function isNonSimpleBody(contentType: string | null): boolean {
  if (contentType === null) return false;
  const type = contentType.split(";", 1)[0]!.trim().toLowerCase();
  return (
    type === "application/json" ||
    type === "application/proto" ||
    type.startsWith("application/connect+") ||
    type.startsWith("application/grpc")
  );
}

/** The session cookie that carries `token` for `maxAgeMs`; `Secure` when served over TLS. */
export function sessionCookie(token: string, maxAgeMs: number, secure: boolean): string {
  const attributes = [`${SESSION_COOKIE}=${token}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${Math.floor(maxAgeMs / 1000)}`];
  if (secure) attributes.push("Secure");
  return attributes.join("; ");
}

/** The cookie that makes a browser drop the session cookie (sign-out). */
export function clearedSessionCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}
