/** The console's frame: sign-in until a credential works, then the layout and the screen of the route. */
import { lazy, Suspense, useCallback } from "react";
import { createConnectQueryKey, useMutation, useQuery } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";
import { AuthService } from "../../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../../gen/keyward/v1/session_pb.js";
import { isUnauthenticated, reasonOf } from "./api-error.js";
import { CallerProvider, callerOf } from "./caller.js";
import { ErrorText } from "./components/error-text.js";
import { Layout } from "./components/layout.js";
import { AccountPage } from "./account/account-page.js";
import { MyKeysPage } from "./keys/my-keys-page.js";
import { forgetPastedKey } from "./pasted-key.js";
import { useRoute } from "./router.js";
import { whoAmITransport } from "./transport.js";
import { SignInPage } from "./sign-in/sign-in-page.js";
import { TenantPage } from "./tenants/tenant-page.js";
import { TenantsPage } from "./tenants/tenants-page.js";
import { UserPage } from "./users/user-page.js";
import { UsersPage } from "./users/users-page.js";

// Screens only some callers use load on first visit, so everyone else's first load stays small.
const ActivityPage = lazy(() => import("./events/activity-page.js").then((module) => ({ default: module.ActivityPage })));
const WebhooksPage = lazy(() => import("./webhooks/webhooks-page.js").then((module) => ({ default: module.WebhooksPage })));

/** The query key of "who am I", refetched whenever a call is refused for its credentials. */
export const AUTH_INFO_KEY = createConnectQueryKey({ schema: AuthService.method.getAuthInfo, cardinality: undefined });

/** The whole console. */
export function App() {
  const queryClient = useQueryClient();
  const route = useRoute();
  const authInfo = useQuery(AuthService.method.getAuthInfo, {}, { staleTime: Infinity, transport: whoAmITransport });
  const endSession = useMutation(SessionRegistry.method.deleteSession);

  const info = authInfo.data;
  const signOut = useCallback(async () => {
    if (info?.session?.id && info.user) {
      // Ending the session server-side is what signing out means; a cookie left behind is then dead.
      await endSession.mutateAsync({ userId: info.user.userId, sessionId: info.session.id }).catch(() => undefined);
    }
    forgetPastedKey();
    queryClient.clear();
    window.location.hash = "#/keys";
    await queryClient.invalidateQueries({ queryKey: AUTH_INFO_KEY });
  }, [info, endSession, queryClient]);

  if (authInfo.isPending) {
    return (
      <main className="center-page" aria-busy="true">
        <p>Loading…</p>
      </main>
    );
  }
  if (authInfo.isError || !info?.user) {
    const refused = authInfo.isError && isUnauthenticated(authInfo.error);
    // No credential at all is the normal way in; any other refusal (an ended session, a disabled key) is news.
    const news = refused && reasonOf(authInfo.error) !== "CREDENTIALS_MISSING";
    return (
      <SignInPage
        refusal={news ? authInfo.error : undefined}
        onSignedIn={() => queryClient.invalidateQueries({ queryKey: AUTH_INFO_KEY })}
        otherError={authInfo.isError && !refused ? <ErrorText error={authInfo.error} /> : null}
      />
    );
  }

  const caller = callerOf(info, signOut);
  return (
    <CallerProvider value={caller}>
      <Layout route={route}>
        {route.screen === "keys" && <MyKeysPage />}
        {route.screen === "users" && <UsersPage />}
        {route.screen === "user" && <UserPage key={route.userId} userId={route.userId} tab={route.tab} />}
        {route.screen === "account" && <AccountPage />}
        {route.screen === "tenants" && <TenantsPage />}
        {route.screen === "tenant" && <TenantPage key={route.tenantId} tenantId={route.tenantId} />}
        <Suspense fallback={<Loading />}>
          {route.screen === "activity" && <ActivityPage />}
          {route.screen === "webhooks" && <WebhooksPage />}
        </Suspense>
        {route.screen === "not-found" && (
          <section>
            <h1>Page not found</h1>
            <p>
              There is no console page at <code>{route.path}</code>. Go to <a href="#/keys">My API keys</a>.
            </p>
          </section>
        )}
      </Layout>
    </CallerProvider>
  );
}

/** What a screen shows while its code loads. */
function Loading() {
  return (
    <p className="muted" aria-busy="true">
      Loading…
    </p>
  );
}
