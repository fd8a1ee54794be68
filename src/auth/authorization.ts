/**
 * The authorization interceptor: the one place every call's access is decided (DESIGN §5). It reads the
 * method's access rule, authenticates the caller, and checks the caller's effective rights against the
 * rights needed on the subject user, before the handler runs. The principal goes into the context values
 * for the handler.
 */
import type { Interceptor } from "@connectrpc/connect";
import { AccessUndeclared, CredentialsMissing, InsufficientRights, SessionCrossOrigin, validationFailed } from "../errors.js";
import { SESSION_PREFIX } from "../keys/index.js";
import { missingRights, rights as keywardRights, type RightsModel } from "../rights/index.js";
import { accessRuleOf, type AccessRule } from "./access-rules.js";
import type { ApiKeyVerifier } from "./api-key-verifier.js";
import { credentialFrom, isSameOrigin, sessionCookieFrom } from "./credentials.js";
import { kPrincipal, type Principal } from "./principal.js";

/** Options of {@link createAuthorizationInterceptor}. */
export interface AuthorizationOptions {
  readonly rights?: RightsModel;
  /** The HTTP listener serves TLS: this server's own origin is `https://<Host>`. */
  readonly secure?: boolean;
}

export function createAuthorizationInterceptor(verifier: ApiKeyVerifier, options: AuthorizationOptions = {}): Interceptor {
  const rights = options.rights ?? keywardRights;
  const secure = options.secure ?? false;
  return (next) => async (request) => {
    const rule = accessRuleOf(request.method);
    if (!rule) throw AccessUndeclared.create({ method: `${request.service.typeName}.${request.method.name}` });
    if (rule.public) return next(request);
    const credential = chooseCredential(request.header, secure);
    if (credential === undefined) throw CredentialsMissing.create();
    const principal = await verifier.verify(credential);
    const subject = rule.subjectOf?.(request.message);
    if (subject === "") throw validationFailed([{ field: rule.userField, description: "required" }]);
    const missing = missingFor(rule, principal, subject);
    if (missing.length > 0) {
      const names = missing.map((r) => rights.name(r)).join(", ");
      throw InsufficientRights.create({ missing: names });
    }
    request.contextValues.set(kPrincipal, principal);
    return next(request);
  };
}

const SESSION_TOKEN_START = `${SESSION_PREFIX}.`;

/**
 * The credential a call is judged by (DESIGN §6, §11): a session before an API key (ThingsBoard's "JWT
 * takes precedence"), a session in a header before the cookie. The cookie counts only on a same-origin
 * request; a cross-origin request with it is judged by its header credential, or refused as
 * `SESSION_INVALID` when it has none, so a forged cross-site request never acts with the cookie.
 */
function chooseCredential(header: Headers, secure: boolean): string | undefined {
  const sent = credentialFrom(header);
  if (sent?.startsWith(SESSION_TOKEN_START)) return sent;
  const cookie = sessionCookieFrom(header);
  if (cookie === undefined) return sent;
  if (isSameOrigin(header, secure)) return cookie;
  if (sent === undefined) throw SessionCrossOrigin.create();
  return sent;
}

/**
 * The rights the caller lacks. On its own user, the own-user rights are needed, or else the other-user
 * (admin) rights, which apply to every user; on another user or no single user, the other-user rights.
 */
function missingFor(rule: AccessRule, principal: Principal, subject: string | undefined): number[] {
  const asOther = missingRights(principal.rights, rule.otherUserRights);
  if (subject !== principal.user.userId || asOther.length === 0) return asOther;
  return missingRights(principal.rights, rule.ownUserRights);
}
