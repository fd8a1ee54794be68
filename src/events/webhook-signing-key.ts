/**
 * The server's webhook signing key and the per-webhook secrets derived from it (ARCHITECTURE.md,
 * "Events"). A webhook's secret is never stored: it is HMAC-SHA256(signing key, webhook id + "." +
 * salt), shown once at creation and derived again for each delivery, so a copy of the store alone signs
 * nothing. Every process that delivers must hold the same key: with SQLite it is a private file made in
 * the data directory next to the database on first start; with MongoDB, whose nodes share no directory,
 * the operator gives the same file to every node (`--webhook-signing-key-file`).
 */
import { createHmac, randomBytes } from "node:crypto";
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { PRIVATE_FILE_MODE } from "../store/private-files.js";
import type { StoreLocation } from "../store/store-location.js";

/** The key file's name in the data directory of a SQLite store. */
export const SIGNING_KEY_FILE_NAME = "webhook-signing.key";
/** Shortest key text accepted: 32 characters (`openssl rand -base64 32` gives 44). */
export const SIGNING_KEY_MIN_LENGTH = 32;
/** Every webhook secret starts so, as Stripe's do, so secret scanners and people can tell what it is. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** The signing key, or why there is none (the webhooks cannot then be signed on this process). */
export type SigningKeyResult =
  | { readonly ok: true; readonly key: WebhookSigningKey; readonly path: string | undefined; readonly created: boolean; readonly shared: boolean }
  | { readonly ok: false; readonly problem: string };

/** Derives webhook secrets. */
export class WebhookSigningKey {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length < SIGNING_KEY_MIN_LENGTH) throw new Error(`a webhook signing key needs at least ${SIGNING_KEY_MIN_LENGTH} bytes`);
    this.#key = Buffer.from(key);
  }

  /** The secret of webhook `webhookId` with `salt`: `whsec_` and 43 base64url characters. */
  secretOf(webhookId: string, salt: string): string {
    // Ids and salts contain no ".", so the joined text names one (id, salt) pair.
    return WEBHOOK_SECRET_PREFIX + createHmac("sha256", this.#key).update(`${webhookId}.${salt}`).digest("base64url");
  }
}

/** A new webhook's salt: 128 random bits, public-safe (the secret needs the signing key too). */
export function newSecretSalt(): string {
  return randomBytes(16).toString("base64url");
}

/**
 * Reads the signing key from `file` when given; else, for a SQLite store, from the data directory's
 * file, created private (0600) with 256 random bits if missing (several workers starting at once agree on
 * the first one written); for the in-memory store a random key of this process; for MongoDB nothing, and
 * the problem says why.
 */
export function loadWebhookSigningKey(file: string | undefined, location: StoreLocation): SigningKeyResult {
  if (file !== undefined) return readKeyFile(file, false);
  switch (location.kind) {
    case "memory":
      return { ok: true, key: new WebhookSigningKey(randomBytes(32)), path: undefined, created: true, shared: false };
    case "mongodb":
      return {
        ok: false,
        problem:
          "a MongoDB store has no data directory shared by its nodes, so webhooks need --webhook-signing-key-file " +
          "(KEYWARD_WEBHOOK_SIGNING_KEY_FILE): the same file on every node, made once with e.g. `openssl rand -base64 32`",
      };
    case "sqlite": {
      const path = join(dirname(location.path), SIGNING_KEY_FILE_NAME);
      let created = false;
      // Written whole under another name, then linked into place: a worker starting at the same moment
      // sees either no file or the whole key, never a half-written one, and link refuses to replace.
      const draft = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
      try {
        writeFileSync(draft, `${randomBytes(32).toString("base64url")}\n`, { flag: "wx", mode: PRIVATE_FILE_MODE });
        linkSync(draft, path);
        created = true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
          return { ok: false, problem: `cannot create the webhook signing key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
        }
      } finally {
        rmSync(draft, { force: true });
      }
      return readKeyFile(path, created);
    }
  }
}

function readKeyFile(path: string, created: boolean): SigningKeyResult {
  let text: string;
  try {
    text = readFileSync(path, "utf8").trim();
  } catch (error) {
    return { ok: false, problem: `cannot read the webhook signing key ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` };
  }
  if (text.length < SIGNING_KEY_MIN_LENGTH) {
    return { ok: false, problem: `the webhook signing key ${path} is shorter than ${SIGNING_KEY_MIN_LENGTH} characters; make one with \`openssl rand -base64 32\`` };
  }
  const shared = (statSync(path).mode & 0o077) !== 0;
  return { ok: true, key: new WebhookSigningKey(Buffer.from(text, "utf8")), path, created, shared };
}
