/** `keyward.v1.AuthService`: who is calling and what it may do now. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { AuthService, GetAuthInfoResponseSchema, type GetAuthInfoResponse } from "../../gen/keyward/v1/auth_pb.js";
import { principalOf, type Principal } from "../authn/principal.js";
import { reusableResponse } from "../transport/reusable-response.js";
import type { TenantRecord } from "../store/store.js";
import { apiKeyToMessage, sessionToMessage, tenantToMessage, userToMessage } from "./convert.js";
import type { ServiceDeps, SessionPolicy } from "./service-deps.js";

type SessionEnd = SessionPolicy["end"];

export function createAuthService(deps: Pick<ServiceDeps, "sessions" | "store" | "now">): ServiceImpl<typeof AuthService> {
  const sessionEnd: SessionEnd = (session) => deps.sessions.end(session);
  const readTenant = (tenantId: string) => deps.store.getTenant(tenantId);
  /**
   * The answer depends on the principal alone, and the verifier hands out one principal object per cached
   * key (ARCHITECTURE.md, "Caches and the revocation feed"), so a key called again is answered with the message (and its encodings) built for it
   * before: this is the call integrations make on every request they authorize. A key's first call gets
   * a throwaway answer, so keys called once per cache lifetime do not hold an encoded answer each. A tenant
   * user's answer carries its tenant, read with the first answer: a renamed tenant shows in answers built
   * after the credential cache let the principal go.
   */
  const answered = new WeakSet<Principal>();
  const answers = new WeakMap<Principal, GetAuthInfoResponse>();
  const answerOf = (principal: Principal): GetAuthInfoResponse | Promise<GetAuthInfoResponse> => {
    const { tenantId } = principal.user;
    const now = new Date(deps.now());
    if (tenantId === undefined) return answerFor(principal, sessionEnd, undefined, now);
    return readTenant(tenantId).then((tenant) => answerFor(principal, sessionEnd, tenant, now));
  };
  return {
    getAuthInfo(_request, context) {
      const principal = principalOf(context);
      // A session's answer moves with every use (its idle end), so it is built each time.
      if (principal.session) return answerOf(principal);
      const kept = answers.get(principal);
      if (kept !== undefined) return kept;
      if (!answered.has(principal)) {
        answered.add(principal);
        return answerOf(principal);
      }
      const keep = (answer: GetAuthInfoResponse) => {
        const reusable = reusableResponse(answer);
        answers.set(principal, reusable);
        return reusable;
      };
      const answer = answerOf(principal);
      return answer instanceof Promise ? answer.then(keep) : keep(answer);
    },
  };
}

/**
 * The answer for `principal` as of `now`. A metered key's `remaining_uses` is its count when the key was
 * verified (the cached record), not a live count: `GetApiKey` reads the store.
 */
function answerFor(principal: Principal, sessionEnd: SessionEnd, tenant: TenantRecord | undefined, now: Date): GetAuthInfoResponse {
  return create(GetAuthInfoResponseSchema, {
    user: userToMessage(principal.user),
    apiKey: principal.key && apiKeyToMessage(principal.key, now),
    session: principal.session && sessionToMessage(principal.session, sessionEnd(principal.session)),
    rights: [...principal.rights].sort((a, b) => a - b),
    tenant: tenant && tenantToMessage(tenant),
  });
}
