/**
 * The frame of every signed-in screen: a skip link, the header with the navigation (each screen only for
 * callers holding the right it needs: Activity for reading events, Users for reading other users, Tenants
 * for managing tenants, Webhooks for managing webhooks), who is signed in (and in which tenant), and the
 * main region.
 */
import type { ReactNode } from "react";
import { useCaller } from "../caller.js";
import type { Route } from "../router.js";

/** Props of {@link Layout}. */
export interface LayoutProps {
  readonly route: Route;
  readonly children: ReactNode;
}

/** Wraps a screen. */
export function Layout({ route, children }: LayoutProps) {
  const caller = useCaller();
  const current = (screens: readonly Route["screen"][], own = true) =>
    screens.includes(route.screen) && (route.screen !== "user" || !own) ? ("page" as const) : undefined;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href="#/keys">
          <span className="brand-mark" aria-hidden="true">
            K
          </span>
          Keyward
        </a>
        <nav aria-label="Main">
          <ul className="nav">
            <li>
              <a href="#/keys" aria-current={current(["keys"])}>
                My API keys
              </a>
            </li>
            {(caller.canReadOwnEvents || caller.canReadScopeEvents) && (
              <li>
                <a href="#/activity" aria-current={current(["activity"])}>
                  Activity
                </a>
              </li>
            )}
            {caller.canAdminUsers && (
              <li>
                <a href="#/users" aria-current={current(["users", "user"], false)}>
                  Users
                </a>
              </li>
            )}
            {caller.canAdminTenants && (
              <li>
                <a href="#/tenants" aria-current={current(["tenants", "tenant"])}>
                  Tenants
                </a>
              </li>
            )}
            {caller.canAdminWebhooks && (
              <li>
                <a href="#/webhooks" aria-current={current(["webhooks"])}>
                  Webhooks
                </a>
              </li>
            )}
            <li>
              <a href="#/account" aria-current={current(["account"])}>
                Account
              </a>
            </li>
            <li>
              <a href="/docs" target="_blank" rel="noreferrer">
                API docs
              </a>
            </li>
          </ul>
        </nav>
        <div className="whoami">
          <span className="whoami-name" title={caller.keyId ? `Signed in with API key ${caller.keyId}` : "Signed in with a password"}>
            {caller.user.name || caller.user.userId}
            {caller.user.admin && <span className="badge">{caller.tenant ? "tenant admin" : "admin"}</span>}
            {caller.tenant && <span className="badge badge-muted" title={`Tenant ${caller.tenant.tenantId}`}>{caller.tenant.name || caller.tenant.tenantId}</span>}
            {caller.keyId && <span className="badge badge-muted">API key</span>}
          </span>
          <button type="button" className="button button-quiet" onClick={() => void caller.signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
