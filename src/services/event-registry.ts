/**
 * `keyward.v1.EventRegistry` (ARCHITECTURE.md, "Events"): the audit trail, paged (`ListEvents`) and
 * tailed (`StreamEvents`). Who may read whose events is decided by the authorization interceptor from
 * the proto's rule: one's own user's with `RIGHT_USER_EVENTS_READ`, another user's, or every user's in
 * scope (no `user_id`), with `RIGHT_ADMIN_EVENTS_READ`; a user out of a tenant admin's scope is
 * `USER_NOT_FOUND` before this runs. What is left here is the tenant scope of a list of every user: a
 * tenant admin's covers its tenant's events only, filtered in the store's query.
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { EventRegistry } from "../../gen/keyward/v1/event_pb.js";
import { principalOf } from "../authn/principal.js";
import { scopeOf } from "../authz/tenant-scope.js";
import type { EventFilter } from "../store/store.js";
import { kStreamPace } from "../stream-pace.js";
import { eventToMessage, seqOfEventId } from "./convert.js";
import type { EventStreams } from "./event-streams.js";
import type { ServiceDeps } from "./service-deps.js";
import { checkKeyId, checkPageSize, checkUserId, Violations } from "./validation.js";

/** Longest event type prefix a filter may name (the longest type is far shorter). */
export const EVENT_TYPE_FILTER_MAX = 64;
const EVENT_TYPE_FILTER = /^[a-z_.]*$/;

/** What the event registry needs besides the store. */
export interface EventRegistryDeps extends Pick<ServiceDeps, "store" | "clients"> {
  readonly streams: EventStreams;
}

export function createEventRegistry(deps: EventRegistryDeps): ServiceImpl<typeof EventRegistry> {
  const { store, streams } = deps;

  return {
    async listEvents(request, context) {
      const v = new Violations();
      const filter = checkFilter(v, request);
      const pageSize = checkPageSize(v, request.pageSize);
      const afterSeq = checkEventId(v, "after_id", request.afterId);
      const beforeSeq = checkEventId(v, "before_id", request.beforeId);
      v.done();
      const page = await store.listEvents({
        ...scoped(filter, request.userId, context),
        ...(afterSeq === undefined ? {} : { afterSeq }),
        ...(beforeSeq === undefined ? {} : { beforeSeq }),
        ...(request.since === undefined ? {} : { since: timestampDate(request.since) }),
        pageSize,
        pageToken: request.pageToken,
      });
      return { events: page.items.map(eventToMessage), nextPageToken: page.nextPageToken };
    },

    async *streamEvents(request, context) {
      const v = new Violations();
      const filter = checkFilter(v, request);
      const afterSeq = checkEventId(v, "after_id", request.afterId);
      v.done();
      const tail = streams.tail({
        filter: scoped(filter, request.userId, context),
        afterSeq,
        address: deps.clients.resolveCall(context).address,
        signal: context.signal,
        pace: context.values.get(kStreamPace),
      });
      for await (const event of tail) yield { event: eventToMessage(event) };
    },
  };
}

/** The filters both methods take, checked; every bad one is reported. */
function checkFilter(v: Violations, request: { userId: string; apiKeyId: string; type: string }): EventFilter {
  if (request.userId !== "") checkUserId(v, "user_id", request.userId);
  if (request.apiKeyId !== "") checkKeyId(v, "api_key_id", request.apiKeyId);
  if (v.check(request.type.length <= EVENT_TYPE_FILTER_MAX, "type", `must be at most ${EVENT_TYPE_FILTER_MAX} characters`)) {
    v.check(EVENT_TYPE_FILTER.test(request.type), "type", "must be an event type or its start, e.g. `api_key.` or `auth.fail` (a-z, `_` and `.`)");
  }
  return {
    ...(request.userId === "" ? {} : { userId: request.userId }),
    ...(request.apiKeyId === "" ? {} : { apiKeyId: request.apiKeyId }),
    ...(request.type === "" ? {} : { typePrefix: request.type }),
  };
}

/** An optional event id (`""` for none) as its seq. */
function checkEventId(v: Violations, field: string, id: string): number | undefined {
  if (id === "") return undefined;
  const seq = seqOfEventId(id);
  v.check(seq !== undefined, field, "must be an event id: 16 digits, e.g. `0000000000000042`");
  return seq;
}

/**
 * The filter confined to the caller's scope: a list of every user (no `user_id`) by a tenant admin covers
 * its tenant's events only. With `user_id`, the interceptor has already judged that user in scope.
 */
function scoped(filter: EventFilter, userId: string, context: Parameters<typeof principalOf>[0]): EventFilter {
  if (userId !== "") return filter;
  const tenantId = scopeOf(principalOf(context));
  return tenantId === undefined ? filter : { ...filter, tenantId };
}
