/**
 * `keyward.v1.UserRegistry`. The method's rights are decided by the authorization interceptor from the
 * proto's `(keyward.v1.access)` rules before any of these run; which users a caller may change, set the
 * password of or delete is decided by the user-access rule (src/authz/principal-access.ts) inside the
 * store's write. The last-admin guard spans records, so the store decides it inside the same write
 * (`last_admin`, answered as `LAST_ADMIN`). Which users a caller reaches at all, and where the users it
 * creates land, is the tenant scope's (src/authz/tenant-scope.ts; ARCHITECTURE.md, "Tenants"). Passwords (ARCHITECTURE.md, "Sessions and passwords"): set by CreateUser or UpdatePassword
 * only, hashed here, never returned.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { UserRegistry, UserSchema, UserState } from "../../gen/keyward/v1/user_pb.js";
import { passwordProblem } from "../passwords/password-hasher.js";
import {
  callerOf,
  enforceCreateUser,
  enforceDeleteUser,
  enforceSetPassword,
  enforceUpdateUser,
  passwordAccess,
} from "../authz/principal-access.js";
import { validationFailed } from "../errors/errors.js";
import { enforceReach, tenantAddressed } from "../authz/tenant-scope.js";
import { principalOf } from "../authn/principal.js";
import type { PasswordRecord, UserRecord } from "../store/store.js";
import { checkPassword } from "../passwords/password-check.js";
import { storedUserState, userToMessage } from "./convert.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkUpdateMask } from "./update-mask.js";
import { checkEmail, checkOptionalTenantId, checkPageSize, checkText, checkUserId, USER_NAME_MAX, Violations } from "./validation.js";

export function createUserRegistry(deps: ServiceDeps): ServiceImpl<typeof UserRegistry> {
  const { store, caches } = deps;

  return {
    async createUser(request, context) {
      const user = request.user ?? create(UserSchema);
      const v = new Violations();
      checkUserId(v, "user.user_id", user.userId);
      checkText(v, "user.name", user.name, USER_NAME_MAX);
      checkEmail(v, "user.email", user.email);
      checkOptionalTenantId(v, "user.tenant_id", user.tenantId);
      const state = user.state === UserState.UNSPECIFIED ? "active" : storedUserState(user.state);
      v.check(state !== undefined, "user.state", "must be USER_STATE_ACTIVE or USER_STATE_SUSPENDED");
      const given = user.password ?? "";
      const problem = given === "" ? undefined : passwordProblem(given, user.userId);
      if (problem) v.add("user.password", problem);
      v.done();
      const caller = callerOf(context);
      const tenantId = tenantAddressed(caller.principal, user.tenantId);
      const now = new Date(deps.now());
      const record: UserRecord = {
        userId: user.userId,
        name: user.name,
        email: user.email,
        admin: user.admin,
        state: state!,
        createdAt: now,
        updatedAt: now,
      };
      if (tenantId !== undefined) record.tenantId = tenantId;
      // Nothing is stored yet for the rule to read: it judges the user about to be written, before the hash.
      enforceCreateUser(caller, record, given !== "");
      const password: PasswordRecord | undefined = given === "" ? undefined : { hash: await deps.passwords.hash(given), setAt: now };
      await store.createUser(record, password);
      return { user: userToMessage(password ? { ...record, passwordSetAt: now } : record) };
    },

    async getUser(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      v.done();
      const user = await store.getUser(request.userId);
      enforceReach(principalOf(context), user);
      return { user: userToMessage(user) };
    },

    async listUsers(request, context) {
      const v = new Violations();
      const pageSize = checkPageSize(v, request.pageSize);
      checkOptionalTenantId(v, "tenant_id", request.tenantId);
      v.done();
      const tenantId = tenantAddressed(principalOf(context), request.tenantId);
      // A tenant that does not exist is TENANT_NOT_FOUND, not an empty list.
      if (tenantId !== undefined) await store.getTenant(tenantId);
      const page = await store.listUsers({ pageSize, pageToken: request.pageToken, ...(tenantId === undefined ? {} : { tenantId }) });
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
      const caller = callerOf(context);
      const updated = await store.updateUser(userId, (user) => {
        const next: UserRecord = {
          ...user,
          name: has("name") ? given!.name : user.name,
          email: has("email") ? given!.email : user.email,
          admin: has("admin") ? given!.admin : user.admin,
          state: state ?? user.state,
          updatedAt: new Date(deps.now()),
        };
        enforceUpdateUser(caller, user, next, paths);
        return next;
      });
      caches.forgetUser(userId);
      return { user: userToMessage(updated) };
    },

    async updatePassword(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      const problem = passwordProblem(request.newPassword, request.userId);
      if (problem) v.add("new_password", problem);
      v.done();
      const caller = callerOf(context);
      // Decided on a read first, so a refused call costs no password hashing; the guard below decides
      // again inside the write, which is what counts.
      const access = passwordAccess(caller, await store.getUser(request.userId));
      const currentPasswordChecked = access === "current password";
      if (currentPasswordChecked) {
        if (request.currentPassword === "") {
          throw validationFailed([{ field: "current_password", description: "required to change one's own password" }]);
        }
        const checked = await checkPassword(deps, request.userId, request.currentPassword, deps.clients.resolveCall(context).address);
        if (checked === undefined) throw validationFailed([{ field: "current_password", description: "is not the user's password" }]);
      }
      const hash = await deps.passwords.hash(request.newPassword);
      // The caller's own session survives its password change; every other session of the user ends.
      const own = caller.principal.user.userId === request.userId;
      const endSessions = request.revokeAllSessions ? { except: own ? caller.principal.session?.id : undefined } : undefined;
      await store.setPassword(request.userId, { hash, setAt: new Date(deps.now()) }, endSessions, (target) =>
        enforceSetPassword(caller, target, currentPasswordChecked),
      );
      // The user record changed (has_password) and, with endSessions, sessions ended: evict on this node.
      caches.forgetUser(request.userId);
      return {};
    },

    async deleteUser(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      v.done();
      const caller = callerOf(context);
      await store.deleteUser(request.userId, (target) => enforceDeleteUser(caller, target));
      caches.forgetUser(request.userId);
      return {};
    },
  };
}
