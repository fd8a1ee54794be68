/**
 * The authorization interceptor: the one place every call's access is decided (DESIGN §5). It reads the
 * method's access rule, authenticates the caller, and checks the caller's effective rights against the
 * rights needed on the subject user, before the handler runs. The principal goes into the context values
 * for the handler.
 */
import type { Interceptor } from "@connectrpc/connect";
import { AccessUndeclared, CredentialsMissing, InsufficientRights, KeywardError, validationFailed } from "../errors.js";
import { missingRights, rights as keywardRights, type RightsModel } from "../rights/index.js";
import { accessRuleOf, type AccessRule } from "./access-rules.js";
import type { ApiKeyVerifier } from "./api-key-verifier.js";
import { credentialFrom } from "./credentials.js";
import { kPrincipal, type Principal } from "./principal.js";

/**
 * Told the result of every credential check: `OK`, or the refusal's reason (`CREDENTIALS_MISSING`,
 * `API_KEY_INVALID`, ...), or `ERROR` when the check itself failed (e.g. the store was unavailable).
 */
export type AuthenticationObserver = (result: string) => void;

const ignore: AuthenticationObserver = () => undefined;

export function createAuthorizationInterceptor(
  verifier: ApiKeyVerifier,
  rights: RightsModel = keywardRights,
  observe: AuthenticationObserver = ignore,
): Interceptor {
  return (next) => async (request) => {
    const rule = accessRuleOf(request.method);
    if (!rule) throw AccessUndeclared.create({ method: `${request.service.typeName}.${request.method.name}` });
    if (rule.public) return next(request);
    const credential = credentialFrom(request.header);
    if (credential === undefined) {
      const missing = CredentialsMissing.create();
      observe(missing.reason);
      throw missing;
    }
    let principal: Principal;
    try {
      principal = await verifier.verify(credential);
    } catch (error) {
      observe(error instanceof KeywardError ? error.reason : "ERROR");
      throw error;
    }
    observe("OK");
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

/**
 * The rights the caller lacks. On its own user, the own-user rights are needed, or else the other-user
 * (admin) rights, which apply to every user; on another user or no single user, the other-user rights.
 */
function missingFor(rule: AccessRule, principal: Principal, subject: string | undefined): number[] {
  const asOther = missingRights(principal.rights, rule.otherUserRights);
  if (subject !== principal.user.userId || asOther.length === 0) return asOther;
  return missingRights(principal.rights, rule.ownUserRights);
}
