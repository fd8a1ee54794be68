/**
 * Admins: the users list (newest first, paged by the API) with a search over the page shown, a way to
 * open any user by id, and "Create user" with a first password. A tenant admin's list holds its own
 * tenant's users only (the server filters it), and the page says which tenant that is; a system admin
 * sees every user with their tenant.
 */
import { useState, type FormEvent } from "react";
import { useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { UserRegistry } from "../../../../gen/keyward/v1/user_pb.js";
import { Right } from "../../../../gen/keyward/v1/rights_pb.js";
import { useCaller, type Caller } from "../caller.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { hrefOf } from "../router.js";
import { CreateUserDialog, type NewUserPlace } from "./create-user-dialog.js";
import { UsersTable } from "./users-table.js";

const USERS_PAGE_SIZE = 50;

/** When the search hides every user of the page shown (it filters that page only). */
const NO_MATCH_ON_PAGE = "No user on this page matches. Press Enter to open the user with that id.";

/** The users screen. */
export function UsersPage() {
  const caller = useCaller();
  const paging = usePaging();
  const [search, setSearch] = useState("");
  const [creating, setCreating] = useState(false);
  const list = useQuery(UserRegistry.method.listUsers, { pageSize: USERS_PAGE_SIZE, pageToken: paging.token }, { placeholderData: keepPreviousData });
  const needle = search.trim().toLowerCase();
  const users = (list.data?.users ?? []).filter(
    (user) => needle === "" || user.userId.includes(needle) || user.name.toLowerCase().includes(needle) || user.email.toLowerCase().includes(needle),
  );
  const openById = (event: FormEvent) => {
    event.preventDefault();
    if (needle !== "") window.location.hash = hrefOf({ screen: "user", userId: needle, tab: "profile" });
  };
  const head = (
    <div className="page-head">
      <h1>Users</h1>
      {caller.tenant ? (
        <p className="muted">
          The users of the tenant <strong>{caller.tenant.name || caller.tenant.tenantId}</strong>
          {caller.tenant.name && <span className="mono"> ({caller.tenant.tenantId})</span>}, which you administer. Users you create are created in it. Open a user to
          manage their profile and keys.
        </p>
      ) : (
        <p className="muted">Everyone who can hold API keys. Open a user to manage their profile and keys.</p>
      )}
    </div>
  );
  // A caller who may not read users gets the API's refusal as the whole page: no search or paging around it.
  if (!caller.canAdminUsers || (list.isError && list.data === undefined)) {
    return (
      <>
        {head}
        <ErrorText error={list.error} />
      </>
    );
  }
  return (
    <>
      {head}
      <section className="panel" aria-label="Users">
        <form className="toolbar" onSubmit={openById} role="search">
          <label className="toolbar-search">
            <span className="visually-hidden">Search users by id, name or email</span>
            <input type="search" placeholder="Search by id, name or email" value={search} onChange={(event) => setSearch(event.target.value)} />
          </label>
          <button type="submit" className="button" disabled={needle === ""}>
            Open user id
          </button>
          <span className="grow" />
          {caller.rights.has(Right.ADMIN_USERS_WRITE) && (
            <button type="button" className="button button-primary" onClick={() => setCreating(true)}>
              Create user
            </button>
          )}
        </form>
        <ErrorText error={list.error} />
        <UsersTable users={users} showTenant={caller.tenant === undefined} linkTenants={caller.canAdminTenants} message={list.isSuccess && users.length === 0 && (needle ? NO_MATCH_ON_PAGE : "No users.")} />
        <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={USERS_PAGE_SIZE} shown={list.data?.users.length ?? 0} noun={["user", "users"]} />
      </section>
      {creating && <CreateUserDialog place={newUserPlace(caller)} onClose={() => setCreating(false)} />}
    </>
  );
}

/** Where a user created on this page lands: a tenant admin's own tenant; a system admin's choice. */
function newUserPlace(caller: Caller): NewUserPlace {
  if (caller.tenant) return { kind: "own-tenant", tenantId: caller.tenant.tenantId };
  return caller.canAdminTenants ? { kind: "choose" } : { kind: "system" };
}
