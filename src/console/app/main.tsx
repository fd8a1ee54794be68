/**
 * The web console (ARCHITECTURE.md, "The web console"): a client of Keyward's public API over the Connect protocol, on the
 * origin that served it. TanStack Query (through connect-query) caches answers; a refusal for missing or
 * ended credentials anywhere sends the person back to sign-in.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { TransportProvider } from "@connectrpc/connect-query";
import { App, AUTH_INFO_KEY } from "./app.js";
import { isUnauthenticated } from "./api-error.js";
import { transport } from "./transport.js";
import "./styles.css";

/**
 * A call refused for its credentials while signed in means the session or key ended meanwhile: ask "who am
 * I" again, which shows the sign-in screen with the reason. While signed out (a failed sign-in) there is
 * nothing to recheck, and rechecking would reset the sign-in form.
 */
const recheckSignIn = (error: unknown) => {
  const signedIn = queryClient.getQueriesData({ queryKey: AUTH_INFO_KEY }).some(([, data]) => data !== undefined);
  if (signedIn && isUnauthenticated(error)) void queryClient.invalidateQueries({ queryKey: AUTH_INFO_KEY });
};

const queryClient: QueryClient = new QueryClient({
  // "Who am I" itself failing is the sign-in screen's business; rechecking it then would loop.
  queryCache: new QueryCache({ onError: (error, query) => (isAuthInfo(query.queryKey) ? undefined : recheckSignIn(error)) }),
  mutationCache: new MutationCache({ onError: recheckSignIn }),
  defaultOptions: {
    // A refusal is an answer: show it at once instead of asking three times.
    queries: { retry: false, refetchOnWindowFocus: false, staleTime: 5_000 },
  },
});

/** Whether a query key is GetAuthInfo's (connect-query keys are `["connect-query", {serviceName, methodName, …}]`). */
function isAuthInfo(key: readonly unknown[]): boolean {
  const wanted = AUTH_INFO_KEY[1];
  const seen = key[1] as { serviceName?: string; methodName?: string } | undefined;
  return seen?.serviceName === wanted.serviceName && seen?.methodName === wanted.methodName;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <TransportProvider transport={transport}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </TransportProvider>
  </StrictMode>,
);
