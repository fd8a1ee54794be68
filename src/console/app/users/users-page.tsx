/**
 * Admins: the users list (newest first, paged by the API) with a search over the page shown, a way to
 * open any user by id, and "Create user" with a first password.
 */
import { useState, type FormEvent } from "react";
import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { keepPreviousData, useQueryClient } from "@tanstack/react-query";
import { UserRegistry, UserState } from "../../../../gen/keyward/v1/user_pb.js";
import { Right } from "../../../../gen/keyward/v1/rights_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { TimeText } from "../components/time-text.js";
import { hrefOf } from "../router.js";

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
      <p className="muted">Everyone who can hold API keys. Open a user to manage their profile and keys.</p>
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
        <DataTable
          name="Users"
          columns={["User id", "Name", "Email", "Role", "State", "Created"]}
          message={list.isSuccess && users.length === 0 && (needle ? NO_MATCH_ON_PAGE : "No users.")}
        >
          {users.map((user) => (
            <tr key={user.userId} data-user-id={user.userId}>
              <td data-label="User id">
                <a href={hrefOf({ screen: "user", userId: user.userId, tab: "profile" })}>{user.userId}</a>
              </td>
              <td data-label="Name">{user.name || <span className="muted">—</span>}</td>
              <td data-label="Email">{user.email || <span className="muted">—</span>}</td>
              <td data-label="Role">{user.admin ? <span className="badge">admin</span> : "user"}</td>
              <td data-label="State">
                <span className={user.state === UserState.SUSPENDED ? "status status-disabled" : "status status-active"}>
                  {user.state === UserState.SUSPENDED ? "Suspended" : "Active"}
                </span>
              </td>
              <td data-label="Created">
                <TimeText value={user.createdAt} fallback="—" />
              </td>
            </tr>
          ))}
        </DataTable>
        <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={USERS_PAGE_SIZE} shown={list.data?.users.length ?? 0} noun={["user", "users"]} />
      </section>
      {creating && <CreateUserDialog onClose={() => setCreating(false)} />}
    </>
  );
}

function CreateUserDialog({ onClose }: { readonly onClose: () => void }) {
  const queryClient = useQueryClient();
  const create = useMutation(UserRegistry.method.createUser);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const password = String(form.get("password"));
    const answer = await create
      .mutateAsync({
        user: {
          userId: String(form.get("userId")).trim(),
          name: String(form.get("name")).trim(),
          email: String(form.get("email")).trim(),
          admin: form.get("admin") === "on",
          password,
        },
      })
      .catch(() => undefined);
    if (answer?.user) {
      await queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: UserRegistry, cardinality: undefined }) });
      onClose();
      window.location.hash = hrefOf({ screen: "user", userId: answer.user.userId, tab: "profile" });
    }
  };
  return (
    <Dialog title="Create user" name="create-user" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label>
          User id
          <input name="userId" required autoFocus spellCheck={false} autoCapitalize="off" pattern="[a-z0-9](-?[a-z0-9])+" aria-describedby="user-id-hint" />
        </label>
        <p className="hint" id="user-id-hint">
          3 to 36 lower-case letters, digits and single dashes. It cannot be changed later.
        </p>
        <label>
          Name
          <input name="name" maxLength={100} />
        </label>
        <label>
          Email
          <input name="email" type="email" maxLength={254} />
        </label>
        <label>
          First password
          <input name="password" type="password" autoComplete="new-password" minLength={12} maxLength={256} aria-describedby="password-hint" />
        </label>
        <p className="hint" id="password-hint">
          12 to 256 characters. Leave empty to create a user who cannot sign in until a password is set.
        </p>
        <label className="check">
          <input name="admin" type="checkbox" />
          <span className="check-label">Admin (may manage other users and their keys)</span>
        </label>
        <ErrorText error={create.error} />
        <DialogActions onCancel={onClose} label="Create user" pending={create.isPending} />
      </form>
    </Dialog>
  );
}
