/** `keyward.v1.AuthService`: who is calling and what it may do now. */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { AuthService, GetAuthInfoResponseSchema, type GetAuthInfoResponse } from "../../gen/keyward/v1/auth_pb.js";
import { principalOf, type Principal } from "../auth/principal.js";
import { reusableResponse } from "../reusable-response.js";
import { apiKeyToMessage, userToMessage } from "./convert.js";

export function createAuthService(): ServiceImpl<typeof AuthService> {
  /**
   * The answer depends on the principal alone, and the verifier hands out one principal object per cached
   * key (DESIGN §9), so it is built and encoded once per cache entry rather than once per call: this is
   * the call integrations make on every request they authorize.
   */
  const answers = new WeakMap<Principal, GetAuthInfoResponse>();
  return {
    getAuthInfo(_request, context) {
      const principal = principalOf(context);
      let answer = answers.get(principal);
      if (answer === undefined) {
        answer = reusableResponse(
          create(GetAuthInfoResponseSchema, {
            user: userToMessage(principal.user),
            apiKey: apiKeyToMessage(principal.key),
            rights: [...principal.rights].sort((a, b) => a - b),
          }),
        );
        answers.set(principal, answer);
      }
      return answer;
    },
  };
}
