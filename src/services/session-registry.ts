/** `keyward.v1.SessionRegistry`: sign-in with a password, and a user's sessions (DESIGN §11). */
import { Code, ConnectError, type ServiceImpl } from "@connectrpc/connect";
import type { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import type { ServiceDeps } from "./service-deps.js";

export function createSessionRegistry(_deps: ServiceDeps): ServiceImpl<typeof SessionRegistry> {
  const unimplemented = () => {
    throw new ConnectError("sessions are not implemented yet", Code.Unimplemented);
  };
  return { createSession: unimplemented, listSessions: unimplemented, deleteSession: unimplemented };
}
