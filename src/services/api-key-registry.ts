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
import { SELF_KEY_ID } from "../authz/access-rules.js";
import { callerOf, enforceCreateKey, enforceRotateSelf, enforceTouchKey } from "../authz/principal-access.js";
import { enforceReach } from "../authz/tenant-scope.js";
import { principalOf } from "../authn/principal.js";
import { validationFailed } from "../errors/errors.js";
import { generateKey, hashSecret } from "../keys/index.js";
import type { ApiKeyRecord } from "../store/store.js";
import { creditsAt } from "../store/usage-credits.js";
import { apiKeyToMessage, storedKeyState, timestampMs } from "./convert.js";
import { newApiKey } from "./new-api-key.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkMetadata, checkRateLimit, checkRefill, checkRemainingUses } from "./key-limits.js";
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
      const rateLimit = checkRateLimit(v, "rate_limit", request.rateLimit);
      const remainingUses = checkRemainingUses(v, "remaining_uses", request.remainingUses);
      const refill = checkRefill(v, "refill", request.refill);
      v.check(request.refill === undefined || request.remainingUses !== undefined, "refill", "needs remaining_uses: a refill sets the count back");
      const metadata = checkMetadata(v, "metadata", request.metadata);
      v.done();
      const caller = callerOf(context);
      const { record, key } = newApiKey({
        userId: request.userId,
        name: request.name,
        rights: granted,
        expiresAt: expiresAt === undefined ? undefined : new Date(expiresAt),
        allowedIps,
        rateLimit,
        remainingUses,
        refill,
        metadata,
        now: new Date(now),
      });
      await store.createApiKey(record, { maxKeysPerUser: limits.maxKeysPerUser }, (owner) => enforceCreateKey(caller, owner, granted));
      caches.forgetKey(record.id);
      return { apiKey: apiKeyToMessage(record, new Date(now)), key };
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
      const now = new Date(deps.now());
      return { apiKeys: page.items.map((key) => apiKeyToMessage(key, now)), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async getApiKey(request) {
      checkKeyPath(request.userId, request.keyId);
      return { apiKey: apiKeyToMessage(await store.getApiKey(request.userId, request.keyId), new Date(deps.now())) };
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
      const limitChange: LimitChange = {
        rateLimit: has("rate_limit") ? { to: checkRateLimit(v, "api_key.rate_limit", given.rateLimit) } : undefined,
        remainingUses: has("remaining_uses") ? { to: checkRemainingUses(v, "api_key.remaining_uses", given.remainingUses) } : undefined,
        refill: has("refill") ? { to: checkRefill(v, "api_key.refill", given.refill) } : undefined,
      };
      const metadata = has("metadata") ? checkMetadata(v, "api_key.metadata", given.metadata) : undefined;
      v.done();
      const caller = callerOf(context);
      const at = new Date(now);
      const updated = await store.updateApiKey(given.userId, given.id, (key, owner) => {
        const limited = withLimits(key, limitChange, at);
        enforceTouchKey(caller, key, { owner, rights: has("rights") ? newRights : undefined, after: { key: limited, now: at } });
        if (limited.refill !== undefined && limited.remainingUses === undefined) {
          throw validationFailed([{ field: "api_key.refill", description: "needs remaining_uses: the key has none (unlimited); set both" }]);
        }
        const next: ApiKeyRecord = {
          ...key,
          ...limited,
          name: has("name") ? given.name : key.name,
          rights: has("rights") ? newRights : key.rights,
          state: state ?? key.state,
          expiresAt: has("expires_at") ? (expiresAt === undefined ? undefined : new Date(expiresAt)) : key.expiresAt,
          allowedIps: has("allowed_ips") ? allowedIps : key.allowedIps,
          metadata: has("metadata") ? metadata : key.metadata,
          updatedAt: at,
        };
        return next;
      });
      caches.forgetKey(given.id);
      return { apiKey: apiKeyToMessage(updated, at) };
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
      const caller = callerOf(context);
      // Self-rotation: the interceptor has let `self` through only for an API key whose owner the user
      // field is (or is empty), so the key and its owner come from the credential, not the request.
      const self = request.keyId === SELF_KEY_ID ? caller.principal.key : undefined;
      if (request.keyId === SELF_KEY_ID && self === undefined) {
        throw validationFailed([{ field: "key_id", description: `\`${SELF_KEY_ID}\` names the calling API key; this call was made with a session` }]);
      }
      const userId = self?.userId ?? request.userId;
      const keyId = self?.id ?? request.keyId;
      const v = new Violations();
      if (self === undefined) {
        checkUserId(v, "user_id", userId);
        checkKeyId(v, "key_id", keyId);
      }
      const grace = request.gracePeriod;
      const graceMs = grace ? Number(grace.seconds) * 1000 + Math.floor(grace.nanos / 1e6) : 0;
      v.check(graceMs >= 0 && graceMs <= GRACE_PERIOD_MAX_MS, "grace_period", "must be 0 to 7 days (`604800s`)");
      v.done();
      const fresh = generateKey(keyId);
      const updated = await store.updateApiKey(userId, keyId, (key, owner) => {
        if (self !== undefined) enforceRotateSelf(caller, key);
        else enforceTouchKey(caller, key, { owner, regenerates: true });
        // Everything else stays, the limits and the count of uses with its epoch included.
        return {
          ...key,
          secretHash: hashSecret(fresh.secret),
          previousSecretHash: graceMs > 0 ? key.secretHash : undefined,
          previousSecretValidUntil: graceMs > 0 ? new Date(now + graceMs) : undefined,
          updatedAt: new Date(now),
        };
      });
      caches.forgetKey(keyId);
      return { apiKey: apiKeyToMessage(updated, new Date(now)), key: fresh.key };
    },
  };
}

/** What an update does to each of a key's limits: absent leaves it, `{ to: undefined }` clears it. */
interface LimitChange {
  readonly rateLimit: { readonly to: ApiKeyRecord["rateLimit"] } | undefined;
  readonly remainingUses: { readonly to: number | undefined } | undefined;
  readonly refill: { readonly to: ApiKeyRecord["refill"] } | undefined;
}

/**
 * `key`'s limits after `change` at `now`. Setting the count or the refill starts a new count
 * (`refilledAt` = now), which voids the leases servers hold of the old one; a refill alone keeps the uses
 * left as of now. Clearing the count (unlimited) clears the refill with it: a refill needs a count.
 */
function withLimits(key: ApiKeyRecord, change: LimitChange, now: Date): Pick<ApiKeyRecord, "rateLimit" | "remainingUses" | "refill" | "refilledAt"> {
  const rateLimit = change.rateLimit ? change.rateLimit.to : key.rateLimit;
  if (change.remainingUses === undefined && change.refill === undefined) {
    return { rateLimit, remainingUses: key.remainingUses, refill: key.refill, refilledAt: key.refilledAt };
  }
  const remainingUses = change.remainingUses ? change.remainingUses.to : creditsAt(key, now)?.remaining;
  if (remainingUses === undefined) {
    return { rateLimit, remainingUses: undefined, refill: change.refill?.to, refilledAt: undefined };
  }
  return { rateLimit, remainingUses, refill: change.refill ? change.refill.to : key.refill, refilledAt: now };
}

/** Validates the `{user_id}/{key_id}` pair that names one key. */
function checkKeyPath(userId: string, keyId: string): void {
  const v = new Violations();
  checkUserId(v, "user_id", userId);
  checkKeyId(v, "key_id", keyId);
  v.done();
}
