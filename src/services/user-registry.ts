/**
 * `keyward.v1.UserRegistry`. Access is decided by the authorization interceptor from the proto's
 * `(keyward.v1.access)` rules before any of these run; handlers validate input and apply what only the
 * request's content decides (who may set `admin`/`state`). The last-admin guard spans records, so the store
 * decides it inside the write (`last_admin`, answered as `LAST_ADMIN`). Passwords (DESIGN §11): set by
 * CreateUser or UpdatePassword only, hashed here, never returned.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { UserRegistry, UserSchema, UserState } from "../../gen/keyward/v1/user_pb.js";
import { passwordProblem } from "../auth/password-hasher.js";
import { principalOf } from "../auth/principal.js";
import { enforceFirstPasswordRule } from "../auth/session-rules.js";
import { InsufficientRights, validationFailed } from "../errors.js";
import type { PasswordRecord, UserRecord } from "../store/store.js";
import { checkPassword } from "./password-check.js";
import { storedUserState, userToMessage } from "./convert.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkUpdateMask } from "./update-mask.js";
import { checkEmail, checkPageSize, checkText, checkUserId, USER_NAME_MAX, Violations } from "./validation.js";

/** Fields only a caller with RIGHT_ADMIN_USERS_WRITE may change, even on its own user. */
const ADMIN_FIELDS = new Set(["admin", "state"]);

export function createUserRegistry(deps: ServiceDeps): ServiceImpl<typeof UserRegistry> {
  const { store, caches } = deps;

  return {
    async createUser(request) {
      const user = request.user ?? create(UserSchema);
      const v = new Violations();
      checkUserId(v, "user.user_id", user.userId);
      checkText(v, "user.name", user.name, USER_NAME_MAX);
      checkEmail(v, "user.email", user.email);
      const state = user.state === UserState.UNSPECIFIED ? "active" : storedUserState(user.state);
      v.check(state !== undefined, "user.state", "must be USER_STATE_ACTIVE or USER_STATE_SUSPENDED");
      const given = user.password ?? "";
      const problem = given === "" ? undefined : passwordProblem(given, user.userId);
      if (problem) v.add("user.password", problem);
      v.done();
      const now = new Date(deps.now());
      const password: PasswordRecord | undefined = given === "" ? undefined : { hash: await deps.passwords.hash(given), setAt: now };
      const record: UserRecord = {
        userId: user.userId,
        name: user.name,
        email: user.email,
        admin: user.admin,
        state: state!,
        createdAt: now,
        updatedAt: now,
      };
      await store.createUser(record, password);
      return { user: userToMessage(password ? { ...record, passwordSetAt: now } : record) };
    },

    async getUser(request) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      v.done();
      return { user: userToMessage(await store.getUser(request.userId)) };
    },

    async listUsers(request) {
      const v = new Violations();
      const pageSize = checkPageSize(v, request.pageSize);
      v.done();
      const page = await store.listUsers({ pageSize, pageToken: request.pageToken });
      return { users: page.items.map(userToMessage), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async updateUser(request, context) {
      const given = request.user;
      const v = new Violations();
      const paths = checkUpdateMask(v, request.updateMask, UserSchema);
      const userId = given?.userId ?? "";
      checkUserId(v, "user.user_id", userId);
      const has = (path: string) => paths.includes(path);
      if (has("name")) checkText(v, "user.name", given?.name ?? "", USER_NAME_MAX);
      if (has("email")) checkEmail(v, "user.email", given?.email ?? "");
      const state = has("state") ? storedUserState(given?.state ?? UserState.UNSPECIFIED) : undefined;
      if (has("state")) v.check(state !== undefined, "user.state", "must be USER_STATE_ACTIVE or USER_STATE_SUSPENDED");
      v.done();
      if (paths.some((p) => ADMIN_FIELDS.has(p)) && !principalOf(context).rights.has(Right.ADMIN_USERS_WRITE)) {
        throw InsufficientRights.create({ missing: "RIGHT_ADMIN_USERS_WRITE" });
      }
      const updated = await store.updateUser(userId, (user) => ({
        ...user,
        name: has("name") ? given!.name : user.name,
        email: has("email") ? given!.email : user.email,
        admin: has("admin") ? given!.admin : user.admin,
        state: state ?? user.state,
        updatedAt: new Date(deps.now()),
      }));
      caches.forgetUser(userId);
      return { user: userToMessage(updated) };
    },

    async updatePassword(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      const problem = passwordProblem(request.newPassword, request.userId);
      if (problem) v.add("new_password", problem);
      v.done();
      const principal = principalOf(context);
      const own = principal.user.userId === request.userId;
      const stored = await store.getPassword(request.userId);
      if (own && stored === undefined) {
        enforceFirstPasswordRule(principal);
      } else if (own) {
        if (request.currentPassword === "") {
          throw validationFailed([{ field: "current_password", description: "required to change one's own password" }]);
        }
        const checked = await checkPassword(deps, request.userId, request.currentPassword, deps.clients.resolveCall(context).address);
        if (checked === undefined) throw validationFailed([{ field: "current_password", description: "is not the user's password" }]);
      }
      const hash = await deps.passwords.hash(request.newPassword);
      // The caller's own session survives its password change; every other session of the user ends.
      const endSessions = request.revokeAllSessions ? { except: own ? principal.session?.id : undefined } : undefined;
      await store.setPassword(request.userId, { hash, setAt: new Date(deps.now()) }, endSessions);
      // The user record changed (has_password) and, with endSessions, sessions ended: evict on this node.
      caches.forgetUser(request.userId);
      return {};
    },

    async deleteUser(request) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      v.done();
      await store.deleteUser(request.userId);
      caches.forgetUser(request.userId);
      return {};
    },
  };
}
