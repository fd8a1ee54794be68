/**
 * A user's API keys (ThingsBoard's and TrueNAS's key screens): a table with name (and metadata), rights,
 * a status toggle, limits (rate limit, remaining uses, next refill), created, expires and last used;
 * search by name, filter by state, paging; Generate, Edit, Regenerate, Delete and, for callers who may
 * read the owner's events, History. Used for "My API keys" and for an admin's view of another user.
 */
import { lazy, Suspense, useEffect, useState } from "react";
import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ApiKeyRegistry, ApiKeyState, type ApiKey } from "../../../../gen/keyward/v1/api_key_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { TimeText } from "../components/time-text.js";
import { labelOf, type KeyOwner } from "../rights.js";
import { DeleteKeyDialog, EditKeyDialog, GenerateKeyDialog, RegenerateKeyDialog } from "./key-dialogs.js";
import { rateLimitText, refillText, remainingUsesText } from "./key-limits.js";

// A key's history loads the events screens' code on first use.
const KeyHistoryDialog = lazy(() => import("./key-history-dialog.js").then((module) => ({ default: module.KeyHistoryDialog })));

/** Keys per page. */
export const KEYS_PAGE_SIZE = 20;

/** Props of {@link KeysPanel}. */
export interface KeysPanelProps {
  readonly userId: string;
  readonly owner: KeyOwner;
  /** The table's accessible name. */
  readonly title: string;
}

/** What a key's row buttons open. */
type KeyAction = "history" | "edit" | "regenerate" | "delete";

type OpenDialog =
  | { readonly kind: "generate" }
  | { readonly kind: KeyAction; readonly apiKey: ApiKey }
  | undefined;

/** The keys table of one user with its toolbar and dialogs. */
export function KeysPanel({ userId, owner, title }: KeysPanelProps) {
  const caller = useCaller();
  // One's own events need RIGHT_USER_EVENTS_READ, another user's RIGHT_ADMIN_EVENTS_READ.
  const canSeeHistory = userId === caller.user.userId ? caller.canReadOwnEvents : caller.canReadScopeEvents;
  const [search, setSearch] = useState("");
  const [query, setQuery] = useState("");
  const [state, setState] = useState<ApiKeyState>(ApiKeyState.UNSPECIFIED);
  const [dialog, setDialog] = useState<OpenDialog>(undefined);
  const paging = usePaging();
  // Ask the API once typing pauses, not on every keystroke.
  useEffect(() => {
    const timer = setTimeout(() => {
      if (search.trim() !== query) {
        setQuery(search.trim());
        paging.reset();
      }
    }, 250);
    return () => clearTimeout(timer);
  }, [search, query, paging]);

  const list = useQuery(
    ApiKeyRegistry.method.listApiKeys,
    { userId, pageSize: KEYS_PAGE_SIZE, pageToken: paging.token, state, query },
    { placeholderData: keepPreviousData },
  );
  const queryClient = useQueryClient();
  const update = useMutation(ApiKeyRegistry.method.updateApiKey, {
    onSettled: () => queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: ApiKeyRegistry, cardinality: undefined }) }),
  });
  const keys = list.data?.apiKeys ?? [];

  const emptyText = query || state !== ApiKeyState.UNSPECIFIED ? "No key matches." : "No API keys yet. Generate one to call the API.";
  return (
    <section className="panel" aria-label={title}>
      <div className="toolbar">
        <label className="toolbar-search">
          <span className="visually-hidden">Search keys by name</span>
          <input type="search" placeholder="Search by name" value={search} onChange={(event) => setSearch(event.target.value)} />
        </label>
        <label>
          <span className="visually-hidden">Filter by state</span>
          <select
            value={state}
            onChange={(event) => {
              setState(Number(event.target.value) as ApiKeyState);
              paging.reset();
            }}
          >
            <option value={ApiKeyState.UNSPECIFIED}>All states</option>
            <option value={ApiKeyState.ACTIVE}>Active</option>
            <option value={ApiKeyState.DISABLED}>Disabled</option>
          </select>
        </label>
        <span className="grow" />
        <button type="button" className="button button-primary" onClick={() => setDialog({ kind: "generate" })}>
          Generate key
        </button>
      </div>
      <ErrorText error={list.error ?? update.error} />
      <DataTable
        name={title}
        columns={["Name", "Rights", "Status", "Limits", "Created", "Expires", "Last used"]}
        actions
        busy={list.isFetching}
        message={list.isPending ? "Loading…" : list.isSuccess && keys.length === 0 ? emptyText : undefined}
      >
        {keys.map((apiKey) => (
          <KeyRow
            key={apiKey.id}
            apiKey={apiKey}
            busy={update.isPending && update.variables?.apiKey?.id === apiKey.id}
            canSeeHistory={canSeeHistory}
            onToggle={(active) =>
              update.mutate({
                apiKey: { userId: apiKey.userId, id: apiKey.id, state: active ? ApiKeyState.ACTIVE : ApiKeyState.DISABLED },
                updateMask: { paths: ["state"] },
              })
            }
            onOpen={(kind) => setDialog({ kind, apiKey })}
          />
        ))}
      </DataTable>
      <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={KEYS_PAGE_SIZE} shown={keys.length} noun={["key", "keys"]} />
      {dialog?.kind === "generate" && <GenerateKeyDialog userId={userId} owner={owner} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "edit" && <EditKeyDialog apiKey={dialog.apiKey} owner={owner} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "regenerate" && <RegenerateKeyDialog apiKey={dialog.apiKey} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "delete" && <DeleteKeyDialog apiKey={dialog.apiKey} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "history" && (
        <Suspense fallback={null}>
          <KeyHistoryDialog apiKey={dialog.apiKey} onClose={() => setDialog(undefined)} />
        </Suspense>
      )}
    </section>
  );
}

/** Props of {@link KeyRow}. */
interface KeyRowProps {
  readonly apiKey: ApiKey;
  readonly busy: boolean;
  readonly canSeeHistory: boolean;
  readonly onToggle: (active: boolean) => void;
  readonly onOpen: (kind: KeyAction) => void;
}

function KeyRow({ apiKey, busy, canSeeHistory, onToggle, onOpen }: KeyRowProps) {
  const active = apiKey.state !== ApiKeyState.DISABLED;
  const expired = apiKey.expiresAt !== undefined && timestampDate(apiKey.expiresAt).getTime() <= Date.now();
  const label = apiKey.name || apiKey.id;
  return (
    <tr data-key-id={apiKey.id}>
      <td data-label="Name">
        <div>
          <span className="key-name">{apiKey.name || <span className="muted">(no name)</span>}</span>
          <span className="key-id mono" title={`Key id ${apiKey.id} (safe to share)`}>
            {apiKey.id}
          </span>
          {apiKey.allowedIps.length > 0 && (
            <span className="small muted key-networks" title="The only networks this key works from">
              only from {apiKey.allowedIps.join(", ")}
            </span>
          )}
          <KeyMetadata apiKey={apiKey} label={label} />
        </div>
      </td>
      <td data-label="Rights">
        <ul className="chips">
          {apiKey.rights.map((right) => (
            <li key={right} className="chip">
              {labelOf(right)}
            </li>
          ))}
        </ul>
      </td>
      <td data-label="Status">
        <span className="status-cell">
          <button
            type="button"
            role="switch"
            aria-checked={active}
            aria-label={`Enable key ${label}`}
            className="switch"
            disabled={busy}
            onClick={() => onToggle(!active)}
          >
            <span className="switch-knob" aria-hidden="true" />
          </button>
          <span className={expired ? "status status-expired" : active ? "status status-active" : "status status-disabled"}>
            {expired ? "Expired" : active ? "Active" : "Disabled"}
          </span>
        </span>
      </td>
      <td data-label="Limits">
        <KeyLimits apiKey={apiKey} />
      </td>
      <td data-label="Created">
        <TimeText value={apiKey.createdAt} fallback="—" />
      </td>
      <td data-label="Expires">
        <div>
          <TimeText value={apiKey.expiresAt} fallback="Never" />
          {apiKey.previousSecretValidUntil && (
            <span className="small muted old-secret">
              old secret until <TimeText value={apiKey.previousSecretValidUntil} fallback="" />
            </span>
          )}
        </div>
      </td>
      <td data-label="Last used">
        <div>
          <TimeText value={apiKey.lastUsedAt} fallback="Never" />
          {apiKey.lastUsedIp !== "" && (
            <span className="small muted last-used-client" title={apiKey.lastUsedUserAgent || undefined}>
              from {apiKey.lastUsedIp}
            </span>
          )}
        </div>
      </td>
      <td className="actions">
        {canSeeHistory && (
          <button type="button" className="button button-small" aria-label={`History of ${label}`} onClick={() => onOpen("history")}>
            History
          </button>
        )}
        <button type="button" className="button button-small" aria-label={`Edit ${label}`} onClick={() => onOpen("edit")}>
          Edit
        </button>
        <button type="button" className="button button-small" aria-label={`Regenerate ${label}`} onClick={() => onOpen("regenerate")}>
          Regenerate
        </button>
        <button type="button" className="button button-small button-danger-quiet" aria-label={`Delete ${label}`} onClick={() => onOpen("delete")}>
          Delete
        </button>
      </td>
    </tr>
  );
}

/** A key's metadata as "key: value" chips; long values are cut, whole in the title. */
function KeyMetadata({ apiKey, label }: { readonly apiKey: ApiKey; readonly label: string }) {
  const entries = Object.entries(apiKey.metadata).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return null;
  return (
    <ul className="chips key-metadata" aria-label={`Metadata of ${label}`}>
      {entries.map(([key, value]) => (
        <li key={key} className="chip chip-quiet" title={`${key}: ${value}`}>
          <span className="mono">{key}</span>: {value}
        </li>
      ))}
    </ul>
  );
}

/**
 * A key's rate limit and usage credits: "100 calls per minute", "42 uses left", "refills to 1,000 every
 * day" and when. The uses shown exclude those a server has reserved and not yet used (ARCHITECTURE.md,
 * "Keys"), so the number can drop by more than the calls made.
 */
function KeyLimits({ apiKey }: { readonly apiKey: ApiKey }) {
  const { rateLimit, remainingUses, refill, nextRefillAt } = apiKey;
  if (rateLimit === undefined && remainingUses === undefined) return <span className="muted">None</span>;
  return (
    <div className="key-limits">
      {rateLimit !== undefined && <span className="key-rate-limit">{rateLimitText(rateLimit)}</span>}
      {remainingUses !== undefined && (
        <span className={remainingUses <= 0 ? "key-uses status-disabled" : "key-uses"}>{remainingUsesText(remainingUses)}</span>
      )}
      {refill !== undefined && (
        <span className="small muted key-refill">
          {refillText(refill)}
          {nextRefillAt !== undefined && (
            <>
              , next <TimeText value={nextRefillAt} fallback="" />
            </>
          )}
        </span>
      )}
    </div>
  );
}
