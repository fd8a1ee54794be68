// Connecting to MongoDB: client options, the database name, and the deployment check.
import type { MongoClient, MongoClientOptions } from "mongodb";
import { unavailable } from "../store-errors.js";
import { mongoDriver } from "./driver.js";

/** The database used when the URL names none. */
export const DEFAULT_DATABASE_NAME = "keyward";

// Fail fast when the deployment is unreachable instead of the driver's 30 s default, so startup and
// requests report UNAVAILABLE promptly. A setting given in the URL wins over these.
const DEFAULT_OPTIONS = {
  serverSelectionTimeoutMS: 5000,
  connectTimeoutMS: 5000,
  appName: "keyward",
} satisfies MongoClientOptions;

/** Client options: {@link DEFAULT_OPTIONS} minus those the URL sets itself. */
export function clientOptionsFor(url: string): MongoClientOptions {
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  const inUrl = new Set(query.split("&").map((pair) => (pair.split("=")[0] ?? "").toLowerCase()));
  return Object.fromEntries(
    Object.entries(DEFAULT_OPTIONS).filter(([name]) => !inUrl.has(name.toLowerCase())),
  ) as MongoClientOptions;
}

/** The database named in the URL's path (`mongodb://host/<name>?...`), else {@link DEFAULT_DATABASE_NAME}. */
export function databaseNameFromUrl(url: string): string {
  const path = /^mongodb(?:\+srv)?:\/\/[^/?]*\/([^?]*)/i.exec(url)?.[1] ?? "";
  return path === "" ? DEFAULT_DATABASE_NAME : decodeURIComponent(path);
}

/** A client for `url`, not yet connected. Throws the driver's MongoParseError on a malformed URL. */
export function createClient(url: string): MongoClient {
  return new (mongoDriver().MongoClient)(url, clientOptionsFor(url));
}

/**
 * Rejects with `unavailable` unless the deployment supports multi-document transactions (a replica set,
 * possibly of one member, or a sharded cluster), which cascade deletes and the key cap rely on.
 */
export async function requireTransactions(client: MongoClient): Promise<void> {
  const hello = await client.db("admin").command({ hello: 1 });
  const replicaSet = typeof hello["setName"] === "string";
  const sharded = hello["msg"] === "isdbgrid";
  if (!replicaSet && !sharded) {
    throw unavailable(
      "MongoDB is a standalone server, but Keyward needs transactions: run it as a replica set " +
        "(one member is enough: mongod --replSet rs0, then rs.initiate())",
    );
  }
}
