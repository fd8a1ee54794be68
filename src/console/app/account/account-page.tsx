/**
 * Account: who you are, change (or first set) your password, your sessions with a way to end each, and
 * sign out.
 */
import { useState, type FormEvent } from "react";
import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { SessionRegistry } from "../../../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../../../gen/keyward/v1/user_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { ErrorText } from "../components/error-text.js";
import { TimeText } from "../components/time-text.js";

/** The account screen. */
export function AccountPage() {
  const caller = useCaller();
  return (
    <>
      <div className="page-head">
        <h1>Account</h1>
        <p className="muted">
          Signed in as <strong>{caller.user.userId}</strong>
          {caller.keyId ? <> with API key <span className="mono">{caller.keyId}</span> (this tab only)</> : " with a password"}.
        </p>
      </div>
      <div className="grid-2">
        <PasswordPanel />
        <section className="panel" aria-labelledby="sign-out-title">
          <h2 id="sign-out-title">Sign out</h2>
          <p>{caller.sessionId ? "Ends this session on the server." : "Forgets the pasted key in this tab."}</p>
          <button type="button" className="button" onClick={() => void caller.signOut()}>
            Sign out
          </button>
        </section>
      </div>
      <SessionsPanel />
    </>
  );
}

function PasswordPanel() {
  const caller = useCaller();
  const queryClient = useQueryClient();
  const me = useQuery(UserRegistry.method.getUser, { userId: caller.user.userId });
  const hasPassword = me.data?.user?.hasPassword ?? caller.user.hasPassword;
  // The same query as the sessions panel's (one request): whether "sign out my other sessions" ends any.
  const sessions = useQuery(SessionRegistry.method.listSessions, { userId: caller.user.userId, pageSize: 100 });
  const otherSessions = (sessions.data?.sessions ?? []).filter((session) => session.id !== caller.sessionId).length;
  const change = useMutation(UserRegistry.method.updatePassword);
  const [done, setDone] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const newPassword = String(form.get("newPassword"));
    setDone("");
    setMismatch(newPassword !== String(form.get("confirmPassword")));
    if (newPassword !== String(form.get("confirmPassword"))) return;
    const revoke = form.get("revoke") === "on";
    const ending = revoke && otherSessions > 0;
    const answer = await change
      .mutateAsync({ userId: caller.user.userId, currentPassword: String(form.get("currentPassword") ?? ""), newPassword, revokeAllSessions: revoke })
      .catch(() => undefined);
    if (answer) {
      formElement.reset();
      setDone(`${hasPassword ? "Password changed." : "Password set."}${ending ? " Your other sessions have ended." : ""}`);
      await queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: SessionRegistry, cardinality: undefined }) });
      await queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: UserRegistry, cardinality: undefined }) });
    }
  };
  return (
    <section className="panel" aria-labelledby="password-title">
      <h2 id="password-title">{hasPassword ? "Change password" : "Set a password"}</h2>
      {!hasPassword && <p className="muted">You have no password yet. Set one to sign in without an API key.</p>}
      <form className="form" onSubmit={submit}>
        {/* A hidden username field lets password managers file the new password under the right account. */}
        <input type="text" name="username" autoComplete="username" value={caller.user.userId} readOnly hidden />
        {hasPassword && (
          <label>
            Current password
            <input name="currentPassword" type="password" autoComplete="current-password" required />
          </label>
        )}
        <label>
          New password
          <input name="newPassword" type="password" autoComplete="new-password" required minLength={12} maxLength={256} aria-describedby="new-password-hint" />
        </label>
        <p className="hint" id="new-password-hint">
          12 to 256 characters, not your user id.
        </p>
        <label>
          Repeat the new password
          <input name="confirmPassword" type="password" autoComplete="new-password" required />
        </label>
        {/* Sessions come from signing in with a password: before the first one there are none to end. */}
        {hasPassword && (
          <label className="check">
            <input name="revoke" type="checkbox" defaultChecked />
            <span className="check-label">Sign out my other sessions</span>
          </label>
        )}
        {mismatch && (
          <p className="error" role="alert">
            The two new passwords differ.
          </p>
        )}
        <ErrorText error={change.error} />
        <div className="dialog-actions">
          <span role="status" className="muted">
            {done}
          </span>
          <button type="submit" className="button button-primary" disabled={change.isPending}>
            {hasPassword ? "Change password" : "Set password"}
          </button>
        </div>
      </form>
    </section>
  );
}

function SessionsPanel() {
  const caller = useCaller();
  const queryClient = useQueryClient();
  const list = useQuery(SessionRegistry.method.listSessions, { userId: caller.user.userId, pageSize: 100 });
  const end = useMutation(SessionRegistry.method.deleteSession, {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: SessionRegistry, cardinality: undefined }) }),
  });
  const sessions = list.data?.sessions ?? [];
  return (
    <section className="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Sessions</h2>
      <p className="muted">Where you are signed in with your password. End any you do not recognise.</p>
      <ErrorText error={list.error ?? end.error} />
      <DataTable
        name="Sessions"
        caption="Your sessions"
        columns={["Browser", "Address", "Signed in", "Last used", "Ends"]}
        actions
        message={list.isSuccess && sessions.length === 0 && "No password sessions."}
      >
        {sessions.map((session) => (
          <tr key={session.id} data-session-id={session.id}>
            <td data-label="Browser">
              <span className="ua" title={session.userAgent}>
                {session.userAgent || "—"}
              </span>
              {session.id === caller.sessionId && <span className="badge">this session</span>}
            </td>
            <td data-label="Address" className="mono">
              {session.address}
            </td>
            <td data-label="Signed in">
              <TimeText value={session.createdAt} fallback="—" />
            </td>
            <td data-label="Last used">
              <TimeText value={session.lastUsedAt} fallback="—" />
            </td>
            <td data-label="Ends">
              <TimeText value={session.expiresAt} fallback="—" />
            </td>
            <td className="actions">
              {session.id === caller.sessionId ? (
                <button type="button" className="button button-small" onClick={() => void caller.signOut()}>
                  Sign out
                </button>
              ) : (
                <button
                  type="button"
                  className="button button-small button-danger-quiet"
                  aria-label={`End session signed in from ${session.address}`}
                  onClick={() => end.mutate({ userId: caller.user.userId, sessionId: session.id })}
                >
                  End session
                </button>
              )}
            </td>
          </tr>
        ))}
      </DataTable>
    </section>
  );
}
