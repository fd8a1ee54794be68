/**
 * An API key's checks (ARCHITECTURE.md, "Credentials and errors"), after the lookup: secret → user state →
 * key state → expiry → networks. An unknown id and a wrong secret give the same error.
 *
 * During a regenerate's grace period the previous secret still authenticates, with a principal marked
 * `supersededSecret` (built once per cache entry), so the grace rule (principal-access.ts) can refuse it
 * whatever would mint or change a credential. A key with `allowedIps` is refused from any other address,
 * after the secret matched, so a guesser learns nothing (ARCHITECTURE.md, "The network edge").
 */
import { ApiKeyDisabled, ApiKeyExpired, ApiKeyInvalid, ApiKeyIpNotAllowed, UserSuspended } from "../errors/errors.js";
import { secretChecker } from "../keys/index.js";
import type { Client } from "../net/client-address.js";
import { networkListOf } from "../net/networks.js";
import type { RightsModel } from "../rights/index.js";
import type { ApiKeyWithOwner } from "../store/store.js";
import type { CachedCredential } from "./credential-cache.js";
import { isMetered } from "./key-meter.js";
import { rightsOwnerOf, type Principal } from "./principal.js";

/** A verified key as cached: what every call with it needs, built once per store read. */
export interface KeyEntry extends CachedCredential {
  readonly kind: "api_key";
  /** Handed to every call the entry serves. */
  readonly principal: Principal;
  /**
   * The same principal marked as authenticated by the previous secret (the grace rule), built with it
   * while a rotation grace period is set, so a call with the old secret allocates nothing either.
   */
  readonly supersededPrincipal: Principal | undefined;
  /** The key's stored hashes, decoded once per store read (see `secretChecker`). */
  readonly checkSecret: (secret: string) => boolean;
  /** The replaced secret's check, while a rotation grace period is set. */
  readonly checkPreviousSecret: ((secret: string) => boolean) | undefined;
  /** Whether calls are metered (a rate limit or usage credits): the one check an unmetered key pays. */
  readonly metered: boolean;
}

/** The entry of a key and its owner as read at `fetchedAt`: effective rights are the key's within the owner's universe. */
export function keyEntry({ key, user }: ApiKeyWithOwner, fetchedAt: number, rights: RightsModel): KeyEntry {
  const principal: Principal = { key, session: undefined, user, rights: rights.effective(key.rights, rightsOwnerOf(user)), supersededSecret: false };
  const inGrace = key.previousSecretHash !== undefined && key.previousSecretValidUntil !== undefined;
  return {
    kind: "api_key",
    principal,
    supersededPrincipal: inGrace ? { ...principal, supersededSecret: true } : undefined,
    checkSecret: secretChecker(key.secretHash),
    checkPreviousSecret: inGrace ? secretChecker(key.previousSecretHash!) : undefined,
    metered: isMetered(key),
    fetchedAt,
    touchedAt: fetchedAt,
  };
}

/** The principal of a key presented with `secret` by `client` at `now`, or the error saying why not. */
export function checkKey(entry: KeyEntry | undefined, secret: string, now: number, client: Client): Principal {
  const principal = entry && principalOfSecret(entry, secret, now);
  if (!principal) throw ApiKeyInvalid.create();
  const { user } = principal;
  const key = principal.key!;
  if (user.state === "suspended") throw UserSuspended.create({ user_id: user.userId });
  if (key.state === "disabled") throw ApiKeyDisabled.create({ key_id: key.id });
  if (key.expiresAt && key.expiresAt.getTime() <= now) {
    throw ApiKeyExpired.create({ key_id: key.id, expired_at: key.expiresAt.toISOString() });
  }
  if (key.allowedIps !== undefined && key.allowedIps.length > 0 && !networkListOf(key.allowedIps).includes(client.address)) {
    throw ApiKeyIpNotAllowed.create({ key_id: key.id, address: client.address === "" ? "an unknown address" : client.address });
  }
  return principal;
}

/**
 * The principal `secret` authenticates: the entry's own for the current secret, the superseded one for the
 * previous secret within its grace period, undefined for anything else.
 */
function principalOfSecret(entry: KeyEntry, secret: string, now: number): Principal | undefined {
  if (entry.checkSecret(secret)) return entry.principal;
  const graceEnds = entry.principal.key?.previousSecretValidUntil?.getTime();
  const previous = entry.checkPreviousSecret !== undefined && graceEnds !== undefined && now < graceEnds && entry.checkPreviousSecret(secret);
  return previous ? entry.supersededPrincipal : undefined;
}
