/**
 * Forward auth (`/api/v1/auth/check`, src/gateway/forward-auth.ts) in the OpenAPI document. It is no
 * `google.api.http` route (it answers any method and any path below it, for edge proxies), so its
 * operation is written here, from the same constants the handler uses.
 */
import { FORWARD_AUTH_PATH, IDENTITY_HEADERS, REASON_HEADER, REQUIRED_RIGHTS_HEADER } from "../forward-auth.js";

/** The tag forward auth is listed under. */
export const FORWARD_AUTH_TAG = { name: "ForwardAuth", description: "For edge proxies: nginx `auth_request`, Caddy `forward_auth`, Traefik ForwardAuth, Envoy `ext_authz`." };

const DESCRIPTION = `Asks whether the credential of a request an edge proxy holds may reach a downstream service, optionally needing rights: 200 with the caller's identity in headers for the proxy to pass on, or the refusal's status with its reason in \`${REASON_HEADER}\`.

Any HTTP method and any path below \`${FORWARD_AUTH_PATH}/\` is answered the same way, so a proxy can forward the original method and path. It decides through the same authorization as every call (the credential's checks, its allowed networks, the transport policy); the rights named are checked like an operation's. The credential is never echoed. Setup recipes: \`deploy/gateways/\`.`;

/** The path item of `/api/v1/auth/check`. */
export function forwardAuthPathItem(): Record<string, unknown> {
  const identity = (description: string) => ({ description, schema: { type: "string" } });
  return {
    get: {
      operationId: "ForwardAuth_Check",
      tags: [FORWARD_AUTH_TAG.name],
      summary: "Forward auth for edge proxies",
      description: DESCRIPTION,
      security: [{ bearer: [] }, { ApiKey: [] }],
      parameters: [
        {
          name: "rights",
          in: "query",
          description: "Rights the downstream request needs (repeated or comma-separated; `RIGHT_USER_INFO` or `USER_INFO`, any case). Unknown names are 400, and so is any other query parameter on this path itself (below it, the original request's query is left alone).",
          schema: { type: "array", items: { type: "string" } },
          style: "form",
          explode: true,
          example: ["RIGHT_USER_INFO"],
        },
        {
          name: REQUIRED_RIGHTS_HEADER,
          in: "header",
          description: "The same, as a header (for proxies that cannot add a query).",
          schema: { type: "string" },
        },
      ],
      responses: {
        "200": {
          description: "Allowed. No body.",
          headers: {
            [IDENTITY_HEADERS.userId]: identity("The caller's user id."),
            [IDENTITY_HEADERS.keyId]: identity("The API key's id (empty for a session)."),
            [IDENTITY_HEADERS.rights]: identity("The caller's effective rights, comma-separated."),
          },
        },
        "400": { $ref: "#/components/responses/BadRequest" },
        "401": { $ref: "#/components/responses/Unauthenticated" },
        "403": { $ref: "#/components/responses/PermissionDenied" },
        default: { $ref: "#/components/responses/Error" },
      },
    },
  };
}
