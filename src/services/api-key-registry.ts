/**
 * `keyward.v1.ApiKeyRegistry`. The interceptor has already decided that the caller may manage keys of
 * the user in the path; here the grant rule decides which rights it may give or take, the key-access
 * rule which existing keys it may touch and the grace rule whether its secret may do either
 * (src/authz/principal-access.ts, inside the store's write), and every change evicts the key from this
 * node's verification cache at once.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import { ApiKeyRegistry, ApiKeySchema, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { callerOf, enforceCreateKey, enforceTouchKey } from "../authz/principal-access.js";
import { enforceReach } from "../authz/tenant-scope.js";
import { principalOf } from "../authn/principal.js";
import { generateKey, hashSecret } from "../keys/index.js";
import { apiKeyToMessage, storedKeyState, timestampMs } from "./convert.js";
import { newApiKey } from "./new-api-key.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkUpdateMask } from "./update-mask.js";
import {
  checkAllowedIps,
  checkExpiry,
  checkKeyId,
  checkPageSize,
  checkRights,
  checkText,
  checkUserId,
  GRACE_PERIOD_MAX_MS,
  KEY_NAME_MAX,
  Violations,
} from "./validation.js";

export function createApiKeyRegistry(deps: ServiceDeps): ServiceImpl<typeof ApiKeyRegistry> {
  const { store, caches, limits } = deps;

  return {
    async createApiKey(request, context) {
      const now = deps.now();
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      checkText(v, "name", request.name, KEY_NAME_MAX);
      const granted = checkRights(v, "rights", request.rights);
      const expiresAt = timestampMs(request.expiresAt);
      checkExpiry(v, "expires_at", expiresAt, now, limits.maxKeyLifetimeMs);
      const allowedIps = checkAllowedIps(v, "allowed_ips", request.allowedIps);
      v.done();
      const caller = callerOf(context);
      const { record, key } = newApiKey({
        userId: request.userId,
        name: request.name,
        rights: granted,
        expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
        allowedIps,
        now: new Date(now),
      });
      await store.createApiKey(record, { maxKeysPerUser: limits.maxKeysPerUser }, (owner) => enforceCreateKey(caller, owner, granted));
      caches.forgetKey(record.id);
      return { apiKey: apiKeyToMessage(record), key };
    },

    async listApiKeys(request, context) {
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      const pageSize = checkPageSize(v, request.pageSize);
      const state = request.state === ApiKeyState.UNSPECIFIED ? undefined : storedKeyState(request.state);
      v.check(request.state === ApiKeyState.UNSPECIFIED || state !== undefined, "state", "unknown key state");
      checkText(v, "query", request.query, KEY_NAME_MAX);
      v.done();
      // An unknown user is USER_NOT_FOUND, not an empty list; so is one out of the caller's tenant scope.
      enforceReach(principalOf(context), await store.getUser(request.userId));
      const page = await store.listApiKeys(request.userId, {
        pageSize,
        pageToken: request.pageToken,
        state,
        query: request.query,
      });
      return { apiKeys: page.items.map(apiKeyToMessage), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async getApiKey(request) {
      checkKeyPath(request.userId, request.keyId);
      return { apiKey: apiKeyToMessage(await store.getApiKey(request.userId, request.keyId)) };
    },

    async updateApiKey(request, context) {
      const now = deps.now();
      const given = request.apiKey ?? create(ApiKeySchema);
      const v = new Violations();
      const paths = checkUpdateMask(v, request.updateMask, ApiKeySchema);
      checkUserId(v, "api_key.user_id", given.userId);
      checkKeyId(v, "api_key.id", given.id);
      const has = (path: string) => paths.includes(path);
      if (has("name")) checkText(v, "api_key.name", given.name, KEY_NAME_MAX);
      const newRights = has("rights") ? checkRights(v, "api_key.rights", given.rights) : [];
      const state = has("state") ? storedKeyState(given.state) : undefined;
      if (has("state")) v.check(state !== undefined, "api_key.state", "must be API_KEY_STATE_ACTIVE or API_KEY_STATE_DISABLED");
      const expiresAt = timestampMs(given.expiresAt);
      if (has("expires_at")) checkExpiry(v, "api_key.expires_at", expiresAt, now, limits.maxKeyLifetimeMs);
      const allowedIps = has("allowed_ips") ? checkAllowedIps(v, "api_key.allowed_ips", given.allowedIps) : [];
      v.done();
      const caller = callerOf(context);
      const updated = await store.updateApiKey(given.userId, given.id, (key, owner) => {
        enforceTouchKey(caller, key, { owner, rights: has("rights") ? newRights : undefined });
        return {
          ...key,
          name: has("name") ? given.name : key.name,
          rights: has("rights") ? newRights : key.rights,
          state: state ?? key.state,
          expiresAt: has("expires_at") ? (expiresAt === undefined ? undefined : new Date(expiresAt)) : key.expiresAt,
          allowedIps: has("allowed_ips") ? allowedIps : key.allowedIps,
          updatedAt: new Date(now),
        };
      });
      caches.forgetKey(given.id);
      return { apiKey: apiKeyToMessage(updated) };
    },

    async deleteApiKey(request, context) {
      checkKeyPath(request.userId, request.keyId);
      const caller = callerOf(context);
      await store.deleteApiKey(request.userId, request.keyId, (key) => enforceTouchKey(caller, key));
      caches.forgetKey(request.keyId);
      return {};
    },

    async regenerateApiKey(request, context) {
      const now = deps.now();
      const v = new Violations();
      checkUserId(v, "user_id", request.userId);
      checkKeyId(v, "key_id", request.keyId);
      const grace = request.gracePeriod;
      const graceMs = grace ? Number(grace.seconds) * 1000 + Math.floor(grace.nanos / 1e6) : 0;
      v.check(graceMs >= 0 && graceMs <= GRACE_PERIOD_MAX_MS, "grace_period", "must be 0 to 7 days (`604800s`)");
      v.done();
      const caller = callerOf(context);
      const fresh = generateKey(request.keyId);
      const updated = await store.updateApiKey(request.userId, request.keyId, (key, owner) => {
        enforceTouchKey(caller, key, { owner, regenerates: true });
        return {
          ...key,
          secretHash: hashSecret(fresh.secret),
          previousSecretHash: graceMs > 0 ? key.secretHash : undefined,
          previousSecretValidUntil: graceMs > 0 ? new Date(now + graceMs) : undefined,
          updatedAt: new Date(now),
        };
      });
      caches.forgetKey(request.keyId);
      return { apiKey: apiKeyToMessage(updated), key: fresh.key };
    },
  };
}

/** Validates the `{user_id}/{key_id}` pair that names one key. */
function checkKeyPath(userId: string, keyId: string): void {
  const v = new Violations();
  checkUserId(v, "user_id", userId);
  checkKeyId(v, "key_id", keyId);
  v.done();
}
