/**
 * Sign in: with a password (`SessionRegistry.CreateSession` with `set_cookie`, so the token lands in an
 * HttpOnly cookie that no script can read), or with an API key pasted for this tab only.
 */
import { useState, type FormEvent, type ReactNode } from "react";
import { useMutation } from "@connectrpc/connect-query";
import { createClient } from "@connectrpc/connect";
import { AuthService } from "../../../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../../../gen/keyward/v1/session_pb.js";
import { ErrorText } from "../components/error-text.js";
import { forgetPastedKey, keepPastedKey } from "../pasted-key.js";
import { transport } from "../transport.js";

/** Props of {@link SignInPage}. */
export interface SignInPageProps {
  /** Why the person is here again (an ended session, a disabled key), if that is news. */
  readonly refusal: unknown;
  readonly otherError: ReactNode;
  readonly onSignedIn: () => Promise<void>;
}

type Method = "password" | "key";

/** The sign-in screen. */
export function SignInPage({ refusal, otherError, onSignedIn }: SignInPageProps) {
  const [method, setMethod] = useState<Method>("password");
  return (
    <main className="center-page" id="main">
      <div className="card sign-in">
        <h1 className="sign-in-title">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          Sign in to Keyward
        </h1>
        {refusal !== undefined && <ErrorText error={refusal} />}
        {otherError}
        <div className="tabs" role="tablist" aria-label="Sign-in method">
          <TabButton id="password" current={method} onSelect={setMethod}>
            Password
          </TabButton>
          <TabButton id="key" current={method} onSelect={setMethod}>
            API key
          </TabButton>
        </div>
        <div role="tabpanel" id={`sign-in-${method}`} aria-labelledby={`tab-${method}`}>
          {method === "password" ? <PasswordForm onSignedIn={onSignedIn} /> : <KeyForm onSignedIn={onSignedIn} />}
        </div>
        <p className="muted small">
          New install? Sign in with the key in <code>admin.key</code> in the data directory, then set a password on the
          Account page. The API itself is documented at <a href="/docs">/docs</a>.
        </p>
      </div>
    </main>
  );
}

function TabButton({ id, current, onSelect, children }: { id: Method; current: Method; onSelect: (m: Method) => void; children: ReactNode }) {
  const selected = id === current;
  return (
    <button
      type="button"
      role="tab"
      id={`tab-${id}`}
      aria-selected={selected}
      aria-controls={`sign-in-${id}`}
      tabIndex={selected ? 0 : -1}
      className={selected ? "tab tab-selected" : "tab"}
      onClick={() => onSelect(id)}
      onKeyDown={(event) => {
        if (event.key === "ArrowRight" || event.key === "ArrowLeft") {
          const other: Method = id === "password" ? "key" : "password";
          onSelect(other);
          document.getElementById(`tab-${other}`)?.focus();
        }
      }}
    >
      {children}
    </button>
  );
}

function PasswordForm({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const createSession = useMutation(SessionRegistry.method.createSession);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    forgetPastedKey();
    await createSession
      .mutateAsync({ userId: String(form.get("userId")).trim(), password: String(form.get("password")), setCookie: true })
      .then(onSignedIn)
      .catch(() => undefined);
  };
  return (
    <form className="form" onSubmit={submit}>
      <label>
        User id
        <input name="userId" autoComplete="username" required autoFocus spellCheck={false} autoCapitalize="off" />
      </label>
      <label>
        Password
        <input name="password" type="password" autoComplete="current-password" required />
      </label>
      <ErrorText error={createSession.error} />
      <button type="submit" className="button button-primary" disabled={createSession.isPending}>
        {createSession.isPending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}

function KeyForm({ onSignedIn }: { onSignedIn: () => Promise<void> }) {
  const [error, setError] = useState<unknown>(undefined);
  const [pending, setPending] = useState(false);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const key = String(new FormData(event.currentTarget).get("apiKey")).trim();
    setPending(true);
    setError(undefined);
    try {
      // Try the key before keeping it, so a mistyped key is never stored even for this tab.
      await createClient(AuthService, transport).getAuthInfo({}, { headers: { authorization: `Bearer ${key}` } });
      keepPastedKey(key);
      await onSignedIn();
    } catch (refusal) {
      setError(refusal);
    } finally {
      setPending(false);
    }
  };
  return (
    <form className="form" onSubmit={submit}>
      <label>
        API key
        <input name="apiKey" type="password" autoComplete="off" required spellCheck={false} placeholder="NNSXS.…" />
      </label>
      <p className="hint">Kept for this browser tab only, and gone when the tab closes.</p>
      <ErrorText error={error} />
      <button type="submit" className="button button-primary" disabled={pending}>
        {pending ? "Checking…" : "Sign in with key"}
      </button>
    </form>
  );
}
