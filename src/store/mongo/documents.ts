// Document shapes of the two collections and their mapping to store records. Ids are the documents'
// `_id`, so their uniqueness and by-id lookups come with MongoDB's built-in `_id` index.
import { foldName } from "../name-search.js";
import type { ApiKeyRecord, ApiKeyWithOwner, SessionRecord, SessionWithOwner, TenantRecord, UserRecord } from "../store.js";

/** A `users` document: the record's fields, keyed by `_id`, plus the cap counter and version. */
export interface UserDocument extends Omit<UserRecord, "userId"> {
  _id: string;
  /** How many keys the user has: the document every key create/delete writes, which makes the cap atomic. */
  keyCount: number;
  /** Incremented on every record change; updates are conditional on it (optimistic concurrency). */
  version: number;
  /** The password's slow hash; absent when none is set. Never mapped into a UserRecord. */
  passwordHash?: string;
}

/** A `tenants` document: the record's fields keyed by `_id`, plus the version and the create counter. */
export interface TenantDocument extends Omit<TenantRecord, "tenantId"> {
  _id: string;
  /** Incremented on every record change; updates are conditional on it (optimistic concurrency). */
  version: number;
  /**
   * Incremented by every transaction that decides the not-empty guard, a user's create in the tenant and
   * the tenant's delete, so that two of them never both commit (see tenants.ts).
   */
  guardWrites: number;
}

/** The document for a new tenant. */
export function newTenantDocument(tenant: TenantRecord): TenantDocument {
  return { _id: tenant.tenantId, name: tenant.name, createdAt: tenant.createdAt, updatedAt: tenant.updatedAt, version: 0, guardWrites: 0 };
}

/** The record a tenant document holds. */
export function documentToTenant(doc: TenantDocument): TenantRecord {
  return { tenantId: doc._id, name: doc.name, createdAt: doc.createdAt, updatedAt: doc.updatedAt };
}

/** A `sessions` document: the record's fields keyed by `_id`. */
export interface SessionDocument extends Omit<SessionRecord, "id"> {
  _id: string;
}

/** An `api_keys` document: the record's fields keyed by `_id`. Absent optionals are absent fields, never null. */
export interface ApiKeyDocument extends Omit<ApiKeyRecord, "id"> {
  _id: string;
  /** `foldName(name)`, what the name query searches. */
  nameFolded: string;
  /** Incremented on every change; updates are conditional on it (optimistic concurrency). */
  version: number;
}

/**
 * A guard document: what concurrent transactions deciding one cross-record rule all write, so that at
 * most one of them commits at a time and each sees the others' results (see users.ts).
 */
export interface GuardDocument {
  _id: string;
  writes: number;
}

/**
 * The record's fields of a user document: what an update `$set`s (keyCount, version and the password
 * fields are not: only setPassword writes those; nor is tenantId, set once by the create).
 */
export function userFields(
  user: UserRecord,
): Omit<UserDocument, "_id" | "keyCount" | "version" | "passwordHash" | "passwordSetAt" | "tenantId"> {
  return {
    name: user.name,
    email: user.email,
    admin: user.admin,
    state: user.state,
    createdAt: user.createdAt,
    updatedAt: user.updatedAt,
  };
}

/** The document for a new user; a system user's has no `tenantId` field at all. */
export function newUserDocument(user: UserRecord): UserDocument {
  const doc: UserDocument = { _id: user.userId, ...userFields(user), keyCount: 0, version: 0 };
  if (user.tenantId !== undefined) doc.tenantId = user.tenantId;
  return doc;
}

/** The record a user document holds. */
export function documentToUser(doc: UserDocument): UserRecord {
  const user: UserRecord = {
    userId: doc._id,
    name: doc.name,
    email: doc.email,
    admin: doc.admin,
    state: doc.state,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.passwordSetAt != null) user.passwordSetAt = doc.passwordSetAt;
  if (doc.tenantId != null) user.tenantId = doc.tenantId;
  return user;
}

/** The document storing `session`. */
export function sessionToDocument(session: SessionRecord): SessionDocument {
  return {
    _id: session.id,
    userId: session.userId,
    secretHash: session.secretHash,
    createdAt: session.createdAt,
    expiresAt: session.expiresAt,
    lastUsedAt: session.lastUsedAt,
    userAgent: session.userAgent,
    address: session.address,
  };
}

/** The record a session document holds. */
export function documentToSession(doc: SessionDocument): SessionRecord {
  return {
    id: doc._id,
    userId: doc.userId,
    secretHash: doc.secretHash,
    createdAt: doc.createdAt,
    expiresAt: doc.expiresAt,
    lastUsedAt: doc.lastUsedAt,
    userAgent: doc.userAgent,
    address: doc.address,
  };
}

/** A `sessions` document with its user's document joined in (`$lookup` as `owner`). */
export interface SessionWithOwnerDocument extends SessionDocument {
  owner: UserDocument[];
}

/** The records a joined session document holds; undefined when it has no user. */
export function documentToSessionWithOwner(doc: SessionWithOwnerDocument): SessionWithOwner | undefined {
  const owner = doc.owner[0];
  return owner === undefined ? undefined : { session: documentToSession(doc), user: documentToUser(owner) };
}

/** The document storing `key` at `version`. Undefined optionals are left out: the driver would write null. */
export function apiKeyToDocument(key: ApiKeyRecord, version: number): ApiKeyDocument {
  const doc: ApiKeyDocument = {
    _id: key.id,
    userId: key.userId,
    name: key.name,
    nameFolded: foldName(key.name),
    rights: [...key.rights],
    state: key.state,
    secretHash: key.secretHash,
    createdAt: key.createdAt,
    updatedAt: key.updatedAt,
    version,
  };
  if (key.previousSecretHash !== undefined) doc.previousSecretHash = key.previousSecretHash;
  if (key.previousSecretValidUntil !== undefined) doc.previousSecretValidUntil = key.previousSecretValidUntil;
  if (key.expiresAt !== undefined) doc.expiresAt = key.expiresAt;
  if (key.lastUsedAt !== undefined) doc.lastUsedAt = key.lastUsedAt;
  if (key.lastUsedIp !== undefined) doc.lastUsedIp = key.lastUsedIp;
  if (key.lastUsedUserAgent !== undefined) doc.lastUsedUserAgent = key.lastUsedUserAgent;
  if (key.allowedIps !== undefined && key.allowedIps.length > 0) doc.allowedIps = [...key.allowedIps];
  if (key.rateLimit !== undefined) doc.rateLimit = { requests: key.rateLimit.requests, periodMs: key.rateLimit.periodMs };
  if (key.remainingUses !== undefined) doc.remainingUses = key.remainingUses;
  if (key.refill !== undefined) doc.refill = { amount: key.refill.amount, periodMs: key.refill.periodMs };
  if (key.refilledAt !== undefined) doc.refilledAt = key.refilledAt;
  if (key.metadata !== undefined && Object.keys(key.metadata).length > 0) doc.metadata = { ...key.metadata };
  return doc;
}

/** The record an API key document holds. A null written by another tool reads as absent. */
export function documentToApiKey(doc: ApiKeyDocument): ApiKeyRecord {
  const key: ApiKeyRecord = {
    id: doc._id,
    userId: doc.userId,
    name: doc.name,
    rights: [...doc.rights],
    state: doc.state,
    secretHash: doc.secretHash,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
  if (doc.previousSecretHash != null) key.previousSecretHash = doc.previousSecretHash;
  if (doc.previousSecretValidUntil != null) key.previousSecretValidUntil = doc.previousSecretValidUntil;
  if (doc.expiresAt != null) key.expiresAt = doc.expiresAt;
  if (doc.lastUsedAt != null) key.lastUsedAt = doc.lastUsedAt;
  if (doc.lastUsedIp != null) key.lastUsedIp = doc.lastUsedIp;
  if (doc.lastUsedUserAgent != null) key.lastUsedUserAgent = doc.lastUsedUserAgent;
  if (doc.allowedIps != null && doc.allowedIps.length > 0) key.allowedIps = [...doc.allowedIps];
  if (doc.rateLimit != null) key.rateLimit = { requests: doc.rateLimit.requests, periodMs: doc.rateLimit.periodMs };
  if (doc.remainingUses != null) key.remainingUses = doc.remainingUses;
  if (doc.refill != null) key.refill = { amount: doc.refill.amount, periodMs: doc.refill.periodMs };
  if (doc.refilledAt != null) key.refilledAt = doc.refilledAt;
  if (doc.metadata != null && Object.keys(doc.metadata).length > 0) key.metadata = { ...doc.metadata };
  return key;
}

/** An `api_keys` document with its owner's `users` document joined in (`$lookup` as `owner`). */
export interface ApiKeyWithOwnerDocument extends ApiKeyDocument {
  /** The users whose `_id` is the key's `userId`: one, or none when the owner is gone. */
  owner: UserDocument[];
}

/** The records a joined key document holds; undefined when it has no owner. */
export function documentToApiKeyWithOwner(doc: ApiKeyWithOwnerDocument): ApiKeyWithOwner | undefined {
  const owner = doc.owner[0];
  return owner === undefined ? undefined : { key: documentToApiKey(doc), user: documentToUser(owner) };
}
