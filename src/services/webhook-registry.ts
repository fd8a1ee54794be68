/**
 * `keyward.v1.WebhookRegistry` (ARCHITECTURE.md, "Events"). The method's rights are decided by the
 * authorization interceptor from the proto before any of these run. A webhook belongs to its creator's
 * admin scope: a tenant admin's gets its tenant (and receives that tenant's events), a system admin's
 * none (every event). Another tenant's webhook is answered exactly as a missing one
 * (`WEBHOOK_NOT_FOUND`), decided on the stored record inside the store's write for changes and deletes,
 * as tenant scope is for users (src/authz/tenant-scope.ts).
 *
 * The signing secret is derived, never stored (events/webhook-signing-key.ts): it is returned by
 * `CreateWebhook` once and by nothing else.
 */
import { create } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { WebhookRegistry, WebhookSchema } from "../../gen/keyward/v1/webhook_pb.js";
import { principalOf, type Principal } from "../authn/principal.js";
import { scopeOf } from "../authz/tenant-scope.js";
import { WebhookNotFound, WebhookSigningKeyMissing } from "../errors/errors.js";
import type { WebhookSender } from "../events/webhook-dispatcher.js";
import type { OutboundTargets } from "../net/outbound-targets.js";
import { newSecretSalt } from "../events/webhook-signing-key.js";
import { generateKeyId } from "../keys/index.js";
import { currentEventContext } from "../store/event-context.js";
import type { EventRecord, Store, WebhookRecord } from "../store/store.js";
import { eventIdOf, eventToMessage, webhookToMessage } from "./convert.js";
import { checkUpdateMask } from "./update-mask.js";
import { checkPageSize, Violations } from "./validation.js";
import { checkEventTypes, checkWebhookId, checkWebhookUrl } from "./webhook-validation.js";

/** The type of the event `TestWebhook` sends; not part of the audit trail. */
export const TEST_EVENT_TYPE = "webhook.test";
/** The seq of a test event: 0, which no event of the trail has (they start at 1). */
const TEST_EVENT_SEQ = 0;

/** What the registry needs. */
export interface WebhookRegistryDeps {
  readonly store: Store;
  /** Signs and posts; undefined when this server has no signing key (then webhooks cannot be made or tested). */
  readonly sender: WebhookSender | undefined;
  /** Where receivers may be: a URL whose host is an address outside it is refused at once. */
  readonly targets: OutboundTargets;
  /** Most webhooks one scope (a tenant, or the system) may have. */
  readonly maxWebhooksPerScope: number;
  readonly now: () => number;
}

export function createWebhookRegistry(deps: WebhookRegistryDeps): ServiceImpl<typeof WebhookRegistry> {
  const { store } = deps;

  /** The stored webhook, if `context`'s caller reaches it; else `WEBHOOK_NOT_FOUND`, as for a missing one. */
  const reached = (principal: Principal, webhook: WebhookRecord): WebhookRecord => {
    const scope = scopeOf(principal);
    if (scope !== undefined && webhook.tenantId !== scope) throw WebhookNotFound.create({ webhook_id: webhook.webhookId });
    return webhook;
  };
  const senderOrRefuse = (): WebhookSender => {
    if (deps.sender === undefined) throw WebhookSigningKeyMissing.create({});
    return deps.sender;
  };
  const getReached = async (webhookId: string, context: HandlerContext) => reached(principalOf(context), await store.getWebhook(webhookId));

  return {
    async createWebhook(request, context) {
      const given = request.webhook ?? create(WebhookSchema);
      const v = new Violations();
      const url = checkWebhookUrl(v, "webhook.url", given.url, deps.targets);
      const eventTypes = checkEventTypes(v, "webhook.event_types", given.eventTypes);
      v.done();
      const sender = senderOrRefuse();
      const now = new Date(deps.now());
      const tenantId = scopeOf(principalOf(context));
      const record: WebhookRecord = {
        webhookId: generateKeyId(),
        url,
        eventTypes,
        // A webhook made without saying is meant to be used: proto3 cannot tell an absent `enabled` from
        // false, so creation always enables; disable it with UpdateWebhook.
        enabled: true,
        secretSalt: newSecretSalt(),
        createdAt: now,
        updatedAt: now,
        delivery: { pending: 0, delivered: 0, failed: 0 },
      };
      if (tenantId !== undefined) record.tenantId = tenantId;
      await store.createWebhook(record, deps.maxWebhooksPerScope);
      return { webhook: webhookToMessage(record), secret: sender.secretOf(record) };
    },

    async getWebhook(request, context) {
      const v = new Violations();
      checkWebhookId(v, "webhook_id", request.webhookId);
      v.done();
      return { webhook: webhookToMessage(await getReached(request.webhookId, context)) };
    },

    async listWebhooks(request, context) {
      const v = new Violations();
      const pageSize = checkPageSize(v, request.pageSize);
      v.done();
      const tenantId = scopeOf(principalOf(context));
      const page = await store.listWebhooks({ pageSize, pageToken: request.pageToken, ...(tenantId === undefined ? {} : { tenantId }) });
      return { webhooks: page.items.map(webhookToMessage), nextPageToken: page.nextPageToken, totalSize: page.totalSize };
    },

    async updateWebhook(request, context) {
      const given = request.webhook;
      const v = new Violations();
      const paths = checkUpdateMask(v, request.updateMask, WebhookSchema);
      const webhookId = given?.webhookId ?? "";
      checkWebhookId(v, "webhook.webhook_id", webhookId);
      const has = (path: string) => paths.includes(path);
      const url = has("url") ? checkWebhookUrl(v, "webhook.url", given?.url ?? "", deps.targets) : undefined;
      const eventTypes = has("event_types") ? checkEventTypes(v, "webhook.event_types", given?.eventTypes ?? []) : undefined;
      v.done();
      const principal = principalOf(context);
      const updated = await store.updateWebhook(webhookId, (current) => ({
        ...reached(principal, current),
        url: url ?? current.url,
        eventTypes: eventTypes ?? current.eventTypes,
        enabled: has("enabled") ? given!.enabled : current.enabled,
        updatedAt: new Date(deps.now()),
      }));
      return { webhook: webhookToMessage(updated) };
    },

    async deleteWebhook(request, context) {
      const v = new Violations();
      checkWebhookId(v, "webhook_id", request.webhookId);
      v.done();
      const principal = principalOf(context);
      await store.deleteWebhook(request.webhookId, (current) => {
        reached(principal, current);
      });
      return {};
    },

    async testWebhook(request, context) {
      const v = new Violations();
      checkWebhookId(v, "webhook_id", request.webhookId);
      v.done();
      const webhook = await getReached(request.webhookId, context);
      const sender = senderOrRefuse();
      const event = testEvent(webhook, principalOf(context), new Date(deps.now()));
      const result = await sender.send(webhook, event, eventIdOf(event.seq));
      return { status: result.status, error: result.error, event: eventToMessage(event) };
    },
  };
}

/** The event `TestWebhook` sends: by the caller, about the webhook's scope, outside the chain. */
function testEvent(webhook: WebhookRecord, principal: Principal, time: Date): EventRecord {
  const context = currentEventContext();
  return {
    seq: TEST_EVENT_SEQ,
    previousHash: "",
    hash: "",
    time,
    type: TEST_EVENT_TYPE,
    actor: context?.actor ?? { userId: principal.user.userId, ...(principal.key ? { apiKeyId: principal.key.id } : {}), ...(principal.session ? { sessionId: principal.session.id } : {}) },
    subject: webhook.tenantId === undefined ? {} : { tenantId: webhook.tenantId },
    client: context?.client ?? {},
    changed: [],
    count: 1,
  };
}
