/** `keyward.v1.AuthService`: who is calling and what it may do now. */
import type { ServiceImpl } from "@connectrpc/connect";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { principalOf } from "../auth/principal.js";
import { apiKeyToMessage, userToMessage } from "./convert.js";

export function createAuthService(): ServiceImpl<typeof AuthService> {
  return {
    getAuthInfo(_request, context) {
      const { user, key, rights } = principalOf(context);
      return {
        user: userToMessage(user),
        apiKey: apiKeyToMessage(key),
        rights: [...rights].sort((a, b) => a - b),
      };
    },
  };
}
