/**
 * The public keys leak reports are signed with (ARCHITECTURE.md, "Keys"): a file in the shape of GitHub's
 * `https://api.github.com/meta/public_keys/secret_scanning` answer,
 * `{"public_keys": [{"key_identifier": "...", "key": "-----BEGIN PUBLIC KEY-----...", "is_current": true}]}`,
 * so an operator saves GitHub's answer as it comes. Every listed key is accepted, current or not: GitHub
 * names the key it signed with in `Github-Public-Key-Identifier`, and keeps a rotated key listed while
 * reports signed with it may still arrive.
 *
 * GitHub rotates its keys, so the file is read again when it changes (looked at no more than once a
 * second); a rewrite that does not parse keeps the keys read before and is logged.
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import type { Logger } from "../logger.js";

/** Largest keys file read (GitHub's is a few hundred bytes per key). */
export const LEAK_REPORT_KEYS_MAX_BYTES = 256 * 1024;
/** Longest `key_identifier` accepted, in the file and in the header (GitHub's are 64 hex digits). */
export const KEY_IDENTIFIER_MAX = 256;
/** Longest `Github-Public-Key-Signature` accepted: a DER ECDSA P-256 signature is at most 72 bytes, 96 in base64. */
const SIGNATURE_BASE64_MAX = 200;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The keys of one keys file, by identifier. */
export type LeakReportKeyList = ReadonlyMap<string, KeyObject>;

/** Parses the text of a keys file; every problem is named (the configuration lists them at start). */
export function parseLeakReportKeys(text: string): { keys: LeakReportKeyList } | { problem: string } {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return { problem: "is not JSON; save the answer of https://api.github.com/meta/public_keys/secret_scanning" };
  }
  const list = (document as { public_keys?: unknown } | null)?.public_keys;
  if (!Array.isArray(list) || list.length === 0) return { problem: 'needs a non-empty "public_keys" array, as GitHub\'s keys answer has' };
  const keys = new Map<string, KeyObject>();
  for (const [index, entry] of list.entries()) {
    const { key_identifier: id, key } = (entry ?? {}) as { key_identifier?: unknown; key?: unknown };
    const where = `public_keys[${index}]`;
    if (typeof id !== "string" || id === "" || id.length > KEY_IDENTIFIER_MAX) return { problem: `${where}.key_identifier must be a string of 1 to ${KEY_IDENTIFIER_MAX} characters` };
    if (typeof key !== "string") return { problem: `${where}.key must be a PEM public key` };
    let publicKey: KeyObject;
    try {
      publicKey = createPublicKey(key);
    } catch {
      return { problem: `${where}.key is not a PEM public key` };
    }
    if (publicKey.asymmetricKeyType !== "ec" || publicKey.asymmetricKeyDetails?.namedCurve !== "prime256v1") {
      return { problem: `${where}.key must be an ECDSA P-256 key, as GitHub signs with ECDSA-NIST-P256V1-SHA256` };
    }
    keys.set(id, publicKey);
  }
  return { keys };
}

/** Reads and parses the keys file at `path`; throws an Error naming the problem. */
export function readLeakReportKeys(path: string): LeakReportKeyList {
  const parsed = parseLeakReportKeys(readBounded(path));
  if ("problem" in parsed) throw new Error(`"${path}" ${parsed.problem}`);
  return parsed.keys;
}

/**
 * Whether `signature` (the `Github-Public-Key-Signature` header: base64 of a DER ECDSA signature) signs
 * the raw `body` with `key`, by ECDSA P-256 over its SHA-256.
 */
export function signatureVerifies(key: KeyObject, body: Buffer, signature: string): boolean {
  if (signature.length > SIGNATURE_BASE64_MAX || !BASE64.test(signature)) return false;
  try {
    return verify("sha256", body, { key, dsaEncoding: "der" }, Buffer.from(signature, "base64"));
  } catch {
    return false; // not DER
  }
}

/** The keys file of `--leak-report-keys`, read again when it changes. */
export class LeakReportKeyFile {
  #keys: LeakReportKeyList;
  #stamp: string;
  #lookedAt: number;

  /** Reads the file at once; throws an Error naming the problem. */
  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.#stamp = stampOf(path);
    this.#keys = readLeakReportKeys(path);
    this.#lookedAt = now();
  }

  /** The key named `identifier`, if the file lists it. */
  keyOf(identifier: string): KeyObject | undefined {
    this.#refresh();
    return this.#keys.get(identifier);
  }

  #refresh(): void {
    const now = this.now();
    if (now - this.#lookedAt < REREAD_INTERVAL_MS) return;
    this.#lookedAt = now;
    try {
      const stamp = stampOf(this.path);
      if (stamp === this.#stamp) return;
      this.#keys = readLeakReportKeys(this.path);
      this.#stamp = stamp;
      this.logger.info("leak report keys read again", { path: this.path, keys: this.#keys.size });
    } catch (error) {
      this.logger.warn("leak report keys file changed but cannot be used; keeping the keys read before", { path: this.path, error: (error as Error).message });
    }
  }
}

/** How often the keys file is looked at for a change. */
const REREAD_INTERVAL_MS = 1_000;

/** What tells a rewrite of the file: its modification time and size. */
function stampOf(path: string): string {
  const stat = statSync(path);
  return `${stat.mtimeMs}:${stat.size}`;
}

/** The file's text, refusing one larger than {@link LEAK_REPORT_KEYS_MAX_BYTES}. */
function readBounded(path: string): string {
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    if (size > LEAK_REPORT_KEYS_MAX_BYTES) throw new Error(`"${path}" is larger than ${LEAK_REPORT_KEYS_MAX_BYTES} bytes`);
    const buffer = Buffer.alloc(size);
    const read = readSync(fd, buffer, 0, size, 0);
    return buffer.toString("utf8", 0, read);
  } finally {
    closeSync(fd);
  }
}
