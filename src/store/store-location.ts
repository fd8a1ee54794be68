// Where the store lives, resolved from the `store` setting, and how to name it in logs.
import { join, resolve } from "node:path";
import { StoreError } from "./store.js";

/** The settings that choose a store (`KEYWARD_STORE` and `KEYWARD_DATA_DIR`). */
export interface StoreSettings {
  /** `"sqlite"` (a file in `dataDir`), `sqlite:<file>`, `"memory"`, or a `mongodb://` / `mongodb+srv://` URL. */
  store: string;
  dataDir: string;
}

/** A resolved store location. */
export type StoreLocation =
  | { kind: "sqlite"; path: string }
  | { kind: "memory" }
  | { kind: "mongodb"; url: string };

/** The SQLite database's file name inside the data directory. */
export const SQLITE_FILE_NAME = "keyward.db";

/** `sqlite:<file>` names a SQLite file anywhere (the `keyward events verify` of a copied file, say). */
const SQLITE_FILE_PREFIX = "sqlite:";

/** Resolves the settings; throws `invalid_argument` for an unknown `store` value. */
export function resolveStoreLocation(settings: StoreSettings): StoreLocation {
  const { store } = settings;
  if (store === "sqlite") return { kind: "sqlite", path: join(resolve(settings.dataDir), SQLITE_FILE_NAME) };
  if (store.startsWith(SQLITE_FILE_PREFIX) && store.length > SQLITE_FILE_PREFIX.length) return { kind: "sqlite", path: resolve(store.slice(SQLITE_FILE_PREFIX.length)) };
  if (store === "memory") return { kind: "memory" };
  if (store.startsWith("mongodb://") || store.startsWith("mongodb+srv://")) return { kind: "mongodb", url: store };
  throw new StoreError(
    "invalid_argument",
    `unknown store ${JSON.stringify(redactMongoUrl(store))}: use "sqlite", "sqlite:<file>", "memory" or a mongodb:// URL`,
  );
}

/** One line for the startup log naming the store; never contains a password. */
export function describeStoreLocation(settings: StoreSettings): string {
  const location = resolveStoreLocation(settings);
  switch (location.kind) {
    case "sqlite":
      return `sqlite ${location.path}`;
    case "memory":
      return "memory (SQLite in memory; data is lost on exit)";
    case "mongodb":
      return `mongodb ${redactMongoUrl(location.url)}`;
  }
}

// Query options whose values are secrets.
const SECRET_OPTION = /password|secret|token|authMechanismProperties/i;

/**
 * Replaces the password in a connection string's `user:password@` and the values of secret-bearing
 * options with `***`. Errs on the side of hiding: everything up to the last `@` is treated as user info,
 * so an unescaped `@` or `/` in a password cannot leak its tail.
 */
export function redactMongoUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (scheme === undefined) return url.includes("@") ? "***" : url;
  let rest = url.slice(scheme.length);
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const userInfo = rest.slice(0, at);
    const colon = userInfo.indexOf(":");
    rest = `${colon >= 0 ? `${userInfo.slice(0, colon)}:***` : userInfo}@${rest.slice(at + 1)}`;
  }
  const query = rest.indexOf("?");
  if (query >= 0) {
    const options = rest
      .slice(query + 1)
      .split("&")
      .map((option) => {
        const [name = "", ...value] = option.split("=");
        return SECRET_OPTION.test(name) && value.length > 0 ? `${name}=***` : option;
      });
    rest = `${rest.slice(0, query)}?${options.join("&")}`;
  }
  return scheme + rest;
}
