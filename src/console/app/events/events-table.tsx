/**
 * A list of events, newest first, as `EventRegistry.ListEvents` pages them, with "Load more" for the
 * next page: for each event its time, what happened in words, who did it, to what, from where, what
 * changed (before → after) and, for an aggregated refusal, how many times. Used by Activity and by a
 * key's history.
 */
import { useInfiniteQuery } from "@connectrpc/connect-query";
import { EventRegistry, type Event } from "../../../../gen/keyward/v1/event_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { ErrorText } from "../components/error-text.js";
import { TimeText } from "../components/time-text.js";
import { changeWords, leakUrl, reasonWords, typeWords } from "./event-words.js";

/** Events per page. */
export const EVENTS_PAGE_SIZE = 50;

/** The filters of the list, as `ListEventsRequest` takes them. */
export interface EventFilters {
  /** Empty: everyone in the caller's admin scope. */
  readonly userId: string;
  readonly apiKeyId?: string;
  /** A type prefix (`api_key.`), or empty for every type. */
  readonly type?: string;
}

/** Props of {@link EventsTable}. */
export interface EventsTableProps {
  readonly filters: EventFilters;
  /** The table's accessible name ("<name> table"). */
  readonly name: string;
  /** What an empty list says. */
  readonly emptyText: string;
}

/** The events matching `filters`, a page at a time. */
export function EventsTable({ filters, name, emptyText }: EventsTableProps) {
  const list = useInfiniteQuery(
    EventRegistry.method.listEvents,
    { userId: filters.userId, apiKeyId: filters.apiKeyId ?? "", type: filters.type ?? "", pageSize: EVENTS_PAGE_SIZE, pageToken: "" },
    { pageParamKey: "pageToken", getNextPageParam: (page) => page.nextPageToken || undefined },
  );
  const events = list.data?.pages.flatMap((page) => page.events) ?? [];
  const count = `${events.length} ${events.length === 1 ? "event" : "events"}`;
  // A refusal is the whole answer: no table around it.
  if (list.isError && list.data === undefined) return <ErrorText error={list.error} />;
  return (
    <>
      <ErrorText error={list.error} />
      <DataTable
        name={name}
        columns={["Time", "Event", "Actor", "Subject", "Client", "Changes"]}
        busy={list.isFetching}
        message={list.isPending ? "Loading…" : list.isSuccess && events.length === 0 ? emptyText : undefined}
      >
        {events.map((event) => (
          <EventRow key={event.id} event={event} />
        ))}
      </DataTable>
      {list.isSuccess && events.length > 0 && (
        <nav className="pager" aria-label={`More of ${name}`}>
          <span aria-live="polite">{list.hasNextPage ? `Showing the newest ${count}` : count}</span>
          <span className="pager-buttons">
            <button type="button" className="button" onClick={() => void list.refetch()} disabled={list.isFetching}>
              Refresh
            </button>
            {list.hasNextPage && (
              <button type="button" className="button" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
                {list.isFetchingNextPage ? "Loading…" : "Load more"}
              </button>
            )}
          </span>
        </nav>
      )}
    </>
  );
}

function EventRow({ event }: { readonly event: Event }) {
  const caller = useCaller();
  const reason = reasonWords(event);
  const leakedAt = leakUrl(event);
  const { actor, subject, client } = event;
  const keyword = !actor?.userId && !actor?.apiKeyId && !actor?.sessionId;
  return (
    <tr data-event-id={event.id} data-event-type={event.type}>
      <td data-label="Time">
        <TimeText value={event.time} fallback="—" />
      </td>
      <td data-label="Event">
        <div>
          <span className="event-type" title={event.type}>
            {typeWords(event)}
          </span>
          {leakedAt !== undefined ? (
            // Where the report says the key was found: a link (never followed by the console), opened without a referrer.
            <span className="small muted event-reason event-leak">
              found at{" "}
              <a href={leakedAt} rel="noopener noreferrer nofollow" target="_blank">
                {leakedAt}
              </a>
            </span>
          ) : (
            reason && <span className="small muted event-reason">{reason}</span>
          )}
          {event.count > 1 && <span className="badge badge-muted event-count">{event.count} times</span>}
        </div>
      </td>
      <td data-label="Actor">
        {keyword ? (
          // A refused credential identifies nobody; any other event without an actor is Keyward's own (a
          // leaked key's, on a report from outside).
          <span className="muted">{event.type === "auth.fail" ? "Not identified" : event.type === "api_key.leaked" ? "Keyward, on a leak report" : "Keyward"}</span>
        ) : (
          <div className="event-actor">
            {actor?.userId && (
              <span>
                {actor.userId}
                {actor.userId === caller.user.userId && <span className="muted"> (you)</span>}
              </span>
            )}
            {actor?.apiKeyId && (
              <span className="small muted event-id" title={`Key id ${actor.apiKeyId}`}>
                with key <span className="mono">{actor.apiKeyId}</span>
              </span>
            )}
            {actor?.sessionId && <span className="small muted">with a password session</span>}
          </div>
        )}
      </td>
      <td data-label="Subject">
        <div className="event-subject">
          {subject?.userId && <span>user {subject.userId}</span>}
          {subject?.apiKeyId && (
            <span className="small event-id" title={`Key id ${subject.apiKeyId}`}>
              key <span className="mono">{subject.apiKeyId}</span>
            </span>
          )}
          {subject?.sessionId && <span className="small muted">a session</span>}
          {subject?.tenantId && <span className="small muted">tenant {subject.tenantId}</span>}
        </div>
      </td>
      <td data-label="Client">
        {client?.address ? (
          <div className="event-client">
            <span className="mono">{client.address}</span>
            {client.userAgent && (
              <span className="small muted ua" title={client.userAgent}>
                {client.userAgent}
              </span>
            )}
          </div>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td data-label="Changes">
        {event.changed.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <ul className="changes">
            {event.changed.map((change) => {
              const words = changeWords(change);
              return (
                <li key={change.field} data-field={change.field}>
                  <span className="change-field">{words.field}</span>
                  {words.before !== "" && (
                    <>
                      {": "}
                      <span className="change-before">{words.before}</span> <span aria-label="changed to">→</span>{" "}
                    </>
                  )}
                  {words.before === "" && words.after !== "" && ": "}
                  {words.after !== "" && <span className="change-after">{words.after}</span>}
                  {words.before === "" && words.after === "" && <span className="muted"> changed</span>}
                </li>
              );
            })}
          </ul>
        )}
      </td>
    </tr>
  );
}
