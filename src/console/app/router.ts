/**
 * Screens are addressed by the URL fragment (`/#/users/dana/keys`): the server serves only `/` and the
 * console's assets, so no console path can ever shadow an API path.
 */
import { useEffect, useState } from "react";

/** A screen of the console. */
export type Route =
  | { readonly screen: "keys" }
  | { readonly screen: "users" }
  | { readonly screen: "user"; readonly userId: string; readonly tab: "profile" | "keys" }
  | { readonly screen: "account" }
  | { readonly screen: "tenants" }
  | { readonly screen: "tenant"; readonly tenantId: string }
  | { readonly screen: "activity" }
  | { readonly screen: "webhooks" }
  | { readonly screen: "not-found"; readonly path: string };

/** The route of a fragment such as `#/users/dana/keys`. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "") || "/";
  const parts = path.split("/").filter((part) => part !== "").map(decodeURIComponent);
  if (parts.length === 0 || (parts.length === 1 && parts[0] === "keys")) return { screen: "keys" };
  if (parts.length === 1 && parts[0] === "users") return { screen: "users" };
  if (parts.length === 1 && parts[0] === "account") return { screen: "account" };
  if (parts.length === 1 && parts[0] === "tenants") return { screen: "tenants" };
  if (parts.length === 1 && parts[0] === "activity") return { screen: "activity" };
  if (parts.length === 1 && parts[0] === "webhooks") return { screen: "webhooks" };
  if (parts[0] === "tenants" && parts.length === 2) return { screen: "tenant", tenantId: parts[1]! };
  if (parts[0] === "users" && parts.length === 2) return { screen: "user", userId: parts[1]!, tab: "profile" };
  if (parts[0] === "users" && parts.length === 3 && parts[2] === "keys") return { screen: "user", userId: parts[1]!, tab: "keys" };
  return { screen: "not-found", path };
}

/** The link of a route. */
export function hrefOf(route: Route): string {
  switch (route.screen) {
    case "keys":
      return "#/keys";
    case "users":
      return "#/users";
    case "account":
      return "#/account";
    case "user":
      return `#/users/${encodeURIComponent(route.userId)}${route.tab === "keys" ? "/keys" : ""}`;
    case "tenants":
      return "#/tenants";
    case "tenant":
      return `#/tenants/${encodeURIComponent(route.tenantId)}`;
    case "activity":
      return "#/activity";
    case "webhooks":
      return "#/webhooks";
    case "not-found":
      return `#${route.path}`;
  }
}

/** The current route, following `hashchange`. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const follow = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener("hashchange", follow);
    return () => window.removeEventListener("hashchange", follow);
  }, []);
  return route;
}
