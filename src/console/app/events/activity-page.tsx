/**
 * Activity: the signed-in user's own events (what was done to or by them, their keys and sessions, and
 * refused uses of their keys), newest first, filtered by kind. Admins holding `RIGHT_ADMIN_EVENTS_READ`
 * switch to everyone in their scope, and may narrow that to one user. A caller without the rights sees
 * the API's refusal alone.
 */
import { useEffect, useState } from "react";
import { useCaller } from "../caller.js";
import { EventsTable } from "./events-table.js";
import { TYPE_FILTERS } from "./event-words.js";

/** The Activity screen. */
export function ActivityPage() {
  const caller = useCaller();
  // Only an admin who may read everyone's events but not its own starts on everyone's.
  const [everyone, setEveryone] = useState(!caller.canReadOwnEvents && caller.canReadScopeEvents);
  const [type, setType] = useState("");
  const [userText, setUserText] = useState("");
  const [userId, setUserId] = useState("");
  // Ask the API once typing pauses, not on every keystroke.
  useEffect(() => {
    const timer = setTimeout(() => setUserId(userText.trim()), 300);
    return () => clearTimeout(timer);
  }, [userText]);

  const scopeWords = caller.tenant ? `everyone in ${caller.tenant.name || caller.tenant.tenantId}` : "everyone";
  const filters = { userId: everyone ? userId : caller.user.userId, type };
  const filtered = type !== "" || (everyone && userId !== "");
  return (
    <>
      <div className="page-head">
        <h1>Activity</h1>
        <p className="muted">
          {everyone
            ? `What was done by or to ${scopeWords}: users, API keys, sign-ins and refused credentials, newest first.`
            : "What was done by or to you, your API keys and your sessions, and every refused use of your keys, newest first."}
        </p>
      </div>
      <section className="panel" aria-label="Activity">
        {/* A caller who may read no events gets the API's refusal alone. */}
        {(caller.canReadOwnEvents || caller.canReadScopeEvents) && (
          <div className="toolbar">
            <label>
              <span className="visually-hidden">Filter by kind of event</span>
              <select value={type} onChange={(event) => setType(event.target.value)}>
                {TYPE_FILTERS.map((filter) => (
                  <option key={filter.prefix} value={filter.prefix}>
                    {filter.label}
                  </option>
                ))}
              </select>
            </label>
            {everyone && (
              <label className="toolbar-search">
                <span className="visually-hidden">Only the user with this id</span>
                <input type="search" placeholder="Any user (or type a user id)" value={userText} onChange={(event) => setUserText(event.target.value)} spellCheck={false} autoCapitalize="off" />
              </label>
            )}
            <span className="grow" />
            {caller.canReadScopeEvents && (
              <span className="status-cell">
                <button type="button" role="switch" aria-checked={everyone} aria-labelledby="activity-everyone" className="switch" onClick={() => setEveryone(!everyone)}>
                  <span className="switch-knob" aria-hidden="true" />
                </button>
                <span id="activity-everyone">Show {scopeWords}</span>
              </span>
            )}
          </div>
        )}
        <EventsTable
          key={`${everyone}/${filters.userId}/${type}`}
          filters={filters}
          name="Activity"
          emptyText={filtered ? "No event matches." : everyone ? "No activity yet." : "No activity yet. Creating an API key, signing in or changing your password shows up here."}
        />
      </section>
    </>
  );
}
