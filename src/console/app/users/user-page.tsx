/**
 * Admins: one user's page, with a Profile tab (name, email, admin, suspend or reactivate, set a password,
 * delete) and an API keys tab doing for that user all that "My API keys" does. A caller without the
 * rights sees the API's refusal, as the API words it.
 */
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { UserRegistry, UserState, type User } from "../../../../gen/keyward/v1/user_pb.js";
import { useCaller } from "../caller.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { TimeText } from "../components/time-text.js";
import { KeysPanel } from "../keys/keys-panel.js";
import { useRefresh } from "../refresh.js";
import { hrefOf } from "../router.js";

/** Props of {@link UserPage}. */
export interface UserPageProps {
  readonly userId: string;
  readonly tab: "profile" | "keys";
}

/** A user's page. */
export function UserPage({ userId, tab }: UserPageProps) {
  const got = useQuery(UserRegistry.method.getUser, { userId });
  const user = got.data?.user;
  return (
    <>
      <div className="page-head">
        <p className="breadcrumb">
          <a href={hrefOf({ screen: "users" })}>Users</a> <span aria-hidden="true">›</span>
        </p>
        <h1>
          {user?.name || userId}
          {user?.admin && <span className="badge">admin</span>}
          {user?.state === UserState.SUSPENDED && <span className="badge badge-danger">suspended</span>}
        </h1>
        {user?.name && <p className="muted mono">{user.userId}</p>}
      </div>
      <ErrorText error={got.error} />
      {user && (
        <>
          <nav className="tabs" aria-label="User sections">
            <a className={tab === "profile" ? "tab tab-selected" : "tab"} aria-current={tab === "profile" ? "page" : undefined} href={hrefOf({ screen: "user", userId, tab: "profile" })}>
              Profile
            </a>
            <a className={tab === "keys" ? "tab tab-selected" : "tab"} aria-current={tab === "keys" ? "page" : undefined} href={hrefOf({ screen: "user", userId, tab: "keys" })}>
              API keys
            </a>
          </nav>
          {tab === "profile" ? <ProfileTab user={user} /> : <KeysPanel userId={userId} owner={user} title={`API keys of ${userId}`} />}
        </>
      )}
    </>
  );
}

function ProfileTab({ user }: { readonly user: User }) {
  const caller = useCaller();
  const refresh = useRefresh(UserRegistry);
  const update = useMutation(UserRegistry.method.updateUser, { onSuccess: () => void refresh() });
  const [dialog, setDialog] = useState<"delete" | "password" | undefined>(undefined);
  const [saved, setSaved] = useState(false);
  const suspended = user.state === UserState.SUSPENDED;
  const save = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const next = { name: String(form.get("name")).trim(), email: String(form.get("email")).trim(), admin: form.get("admin") === "on" };
    const paths = (["name", "email", "admin"] as const).filter((field) => next[field] !== user[field]);
    setSaved(false);
    if (paths.length === 0) return;
    const answer = await update.mutateAsync({ user: { userId: user.userId, ...next }, updateMask: { paths: [...paths] } }).catch(() => undefined);
    if (answer) setSaved(true);
  };
  const setState = (state: UserState) => {
    setSaved(false);
    update.mutate({ user: { userId: user.userId, state }, updateMask: { paths: ["state"] } });
  };
  return (
    <div className="grid-2">
      <section className="panel" aria-labelledby="profile-title">
        <h2 id="profile-title">Profile</h2>
        <form className="form" onSubmit={save} key={`${user.updatedAt?.seconds}`}>
          <label>
            Name
            <input name="name" defaultValue={user.name} maxLength={100} />
          </label>
          <label>
            Email
            <input name="email" type="email" defaultValue={user.email} maxLength={254} />
          </label>
          <label className="check">
            <input name="admin" type="checkbox" defaultChecked={user.admin} />
            <span className="check-label">{user.tenantId ? `Admin of ${user.tenantId}` : "Admin"}</span>
          </label>
          <dl className="facts">
            <dt>Tenant</dt>
            <dd>
              {user.tenantId === "" ? (
                "None: a system user"
              ) : caller.canAdminTenants ? (
                <a href={hrefOf({ screen: "tenant", tenantId: user.tenantId })}>{user.tenantId}</a>
              ) : (
                user.tenantId
              )}
            </dd>
            <dt>Created</dt>
            <dd>
              <TimeText value={user.createdAt} fallback="—" />
            </dd>
            <dt>Password</dt>
            <dd>{user.hasPassword ? "Set" : "Not set: cannot sign in with a password"}</dd>
          </dl>
          <ErrorText error={update.error} />
          <div className="dialog-actions">
            <span role="status" className="muted">
              {saved ? "Saved." : ""}
            </span>
            <button type="submit" className="button button-primary" disabled={update.isPending}>
              Save profile
            </button>
          </div>
        </form>
      </section>
      <section className="panel" aria-labelledby="access-title">
        <h2 id="access-title">Access</h2>
        <p>
          This user is <strong>{suspended ? "suspended" : "active"}</strong>.{" "}
          {suspended ? "Their keys and sessions are refused until reactivated." : "Suspending refuses all their keys and ends their sessions at once."}
        </p>
        <div className="button-row">
          {suspended ? (
            <button type="button" className="button" onClick={() => setState(UserState.ACTIVE)}>
              Reactivate user
            </button>
          ) : (
            <button type="button" className="button button-danger-quiet" onClick={() => setState(UserState.SUSPENDED)} disabled={user.userId === caller.user.userId}>
              Suspend user
            </button>
          )}
          <button type="button" className="button" onClick={() => setDialog("password")}>
            Set password
          </button>
          <button type="button" className="button button-danger" onClick={() => setDialog("delete")}>
            Delete user
          </button>
        </div>
      </section>
      {dialog === "delete" && <DeleteUserDialog user={user} onClose={() => setDialog(undefined)} />}
      {dialog === "password" && <SetPasswordDialog user={user} onClose={() => setDialog(undefined)} />}
    </div>
  );
}

function DeleteUserDialog({ user, onClose }: { readonly user: User; readonly onClose: () => void }) {
  const refresh = useRefresh(UserRegistry);
  const remove = useMutation(UserRegistry.method.deleteUser);
  const confirm = async () => {
    const answer = await remove.mutateAsync({ userId: user.userId }).catch(() => undefined);
    if (answer) {
      onClose();
      window.location.hash = hrefOf({ screen: "users" });
      void refresh();
    }
  };
  return (
    <Dialog title="Delete user?" name="delete-user" onClose={onClose}>
      <p>
        Delete <strong>{user.userId}</strong> and every API key and session of theirs? This cannot be undone.
      </p>
      <ErrorText error={remove.error} />
      <DialogActions onCancel={onClose} label="Delete user" pending={remove.isPending} onConfirm={() => void confirm()} />
    </Dialog>
  );
}

function SetPasswordDialog({ user, onClose }: { readonly user: User; readonly onClose: () => void }) {
  const refresh = useRefresh(UserRegistry);
  const setPassword = useMutation(UserRegistry.method.updatePassword);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const answer = await setPassword
      .mutateAsync({ userId: user.userId, newPassword: String(form.get("newPassword")), revokeAllSessions: form.get("revoke") === "on" })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      onClose();
    }
  };
  return (
    <Dialog title={`Set the password of ${user.userId}`} name="set-password" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <label>
          New password
          <input name="newPassword" type="password" autoComplete="new-password" required minLength={12} maxLength={256} autoFocus />
        </label>
        <label className="check">
          <input name="revoke" type="checkbox" defaultChecked />
          <span className="check-label">End all their sessions</span>
        </label>
        <ErrorText error={setPassword.error} />
        <DialogActions onCancel={onClose} label="Set password" pending={setPassword.isPending} />
      </form>
    </Dialog>
  );
}
