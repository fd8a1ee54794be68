/**
 * The attacker's moves: one step generator per RPC of every service, plus forward auth as one more way to
 * use a credential. A generated step holds small choices (which credential, which user, key or session of
 * the world, which of the attacker's passwords, which rights), resolved against the world only when the
 * step runs, so a sequence stays meaningful while fast-check shrinks it. Every step goes through one of
 * the doors: REST (fetch), gRPC (@grpc/grpc-js), Connect or gRPC-Web (connect-node).
 */
import type { DescMessage, DescMethodServerStreaming, DescMethodUnary, MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import fc from "fast-check";
import { ApiKeyRegistry, ApiKeyState } from "../../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../../gen/keyward/v1/auth_pb.js";
import { EventRegistry } from "../../../gen/keyward/v1/event_pb.js";
import { WebhookRegistry } from "../../../gen/keyward/v1/webhook_pb.js";
import { RightSchema } from "../../../gen/keyward/v1/rights_pb.js";
import { SessionRegistry } from "../../../gen/keyward/v1/session_pb.js";
import { TenantRegistry } from "../../../gen/keyward/v1/tenant_pb.js";
import { UserRegistry, UserState } from "../../../gen/keyward/v1/user_pb.js";
import { ALL_RIGHTS } from "./access-model.js";
import { firstOfStream, type Doors, type Outcome } from "./doors.js";
import { rightsText, type Names } from "./escalation-model.js";
import { ROLES, type Role, type Snapshot, type World } from "./escalation-world.js";
import { callRest } from "./rest-door.js";

export type Door = "rest" | "grpc" | "connect" | "grpc-web";
const DOOR_NAMES: readonly Door[] = ["rest", "grpc", "connect", "grpc-web"];

/** The passwords the attacker may choose, and one guess it never chose. */
export const CHOSEN_PASSWORDS = ["attacker's first choice", "attacker's second choice", "attacker's third choice"] as const;
const GUESS = "a guess, never chosen";
/** How a password reads in a trace. */
export function passwordName(password: string): string {
  const chosen = CHOSEN_PASSWORDS.indexOf(password as (typeof CHOSEN_PASSWORDS)[number]);
  return chosen >= 0 ? `chosen password ${chosen + 1}` : password === GUESS ? "a wrong guess" : "a password";
}

/** One generated step: an RPC (or forward auth), a door, which held credential, and the RPC's own choices. */
export interface Step {
  readonly rpc: string;
  readonly door: Door;
  /** Index into the held credentials (modulo their number); -1 is the one obtained last. */
  readonly cred: number;
  readonly args: Record<string, unknown>;
}

/** What a step resolves to. */
export interface Call {
  readonly summary: string;
  readonly method?: DescMethodUnary;
  /** A server stream: its first message (or refusal) is the answer. */
  readonly stream?: DescMethodServerStreaming;
  readonly request?: MessageInitShape<DescMessage>;
  /** The call carries no credential (sign-in is public: the attacker has no reason to send one). */
  readonly anonymous?: boolean;
  /** Passwords this call chooses, which the attacker knows from now on. */
  readonly chooses?: readonly string[];
  /** The user whose password this call sets (to `chooses[0]`), if it answers OK. */
  readonly setsPasswordOf?: string;
  /** Forward auth: the rights named in `?rights=`. */
  readonly forwardAuth?: readonly number[];
}

/** What a step is resolved against: the world and its records just before the step. */
export interface StepContext {
  readonly world: World;
  readonly before: Snapshot;
  readonly names: Names;
  /** The user the step's credential acts as (the attacker's own when it authenticates no one). */
  readonly callerUserId: string;
  /** The last password the attacker set that the server accepted, and whose it is. */
  readonly lastPasswordSet: { readonly userId: string; readonly password: string } | undefined;
}

interface StepKind<A> {
  readonly args: fc.Arbitrary<A>;
  resolve(args: A, context: StepContext): Call;
}

/** A user of the world by role, or (the last value) the user the step's credential acts as. */
const userRef = fc.nat({ max: ROLES.length });
const userOf = (context: StepContext, ref: number): string => (ref >= ROLES.length ? context.callerUserId : context.world.userIds[ROLES[ref] as Role]);
/**
 * A key or session of the world by its place among every one seen so far (fixtures first, deleted ones
 * kept), so that dropping an earlier step while shrinking does not make a later one name another record.
 */
function recordOf(ids: readonly string[], ref: number, context: StepContext): { id: string; owner: string } {
  const id = ids[ref % ids.length]!;
  return { id, owner: context.names.owners.get(id) ?? context.world.userIds.attacker };
}
const keyOf = (context: StepContext, ref: number) => recordOf(context.names.keyIds, ref, context);
const sessionOf = (context: StepContext, ref: number) => recordOf(context.names.sessionIds, ref, context);
/** Under its owner's path, or (a key or session of someone else) under the attacker's own. */
const pathRef = fc.constantFrom("owner" as const, "own path" as const);
const pathUser = (context: StepContext, path: "owner" | "own path", owner: string) => (path === "owner" ? owner : context.world.userIds.attacker);

const rightsChoice = fc.oneof(fc.constant("the start key's" as const), fc.subarray([...ALL_RIGHTS], { minLength: 1, maxLength: 3 }));
const rightsOf = (context: StepContext, choice: "the start key's" | number[]) => (choice === "the start key's" ? [...context.world.startKeyRights] : choice);
const newPassword = fc.nat({ max: CHOSEN_PASSWORDS.length - 1 }).map((i) => CHOSEN_PASSWORDS[i]!);
const anyPassword = fc.nat({ max: CHOSEN_PASSWORDS.length }).map((i) => CHOSEN_PASSWORDS[i] ?? GUESS);

const DAY = 86_400;
const inDays = (days: number) => ({ seconds: BigInt(Math.floor(Date.now() / 1000) + days * DAY), nanos: 0 });

const kind = <A>(k: StepKind<A>): StepKind<unknown> => k as StepKind<unknown>;

/** Limits a new key may be given: none, or each of a rate limit, uses and a refill (ARCHITECTURE.md, "Keys"). */
const newKeyLimits = fc.constantFrom("none" as const, "rate limit" as const, "uses with a refill" as const);
const seconds = (s: number) => ({ seconds: BigInt(s), nanos: 0 });
/**
 * Changes to a key's limits: each cleared, set loose (the maxima) or set tight, and metadata. Loose
 * values are the largest allowed, so they raise any limit a world's key has.
 */
const limitChange = fc.oneof(
  fc.record({ path: fc.constant("rate_limit"), to: fc.constantFrom("clear", "loose", "tight") }),
  fc.record({ path: fc.constant("remaining_uses"), to: fc.constantFrom("clear", "loose", "tight") }),
  fc.record({ path: fc.constant("refill"), to: fc.constantFrom("clear", "loose", "tight") }),
  fc.record({ path: fc.constant("metadata"), to: fc.constantFrom("clear", "loose", "tight") }),
);
const LIMIT_VALUES: Record<string, Record<"loose" | "tight", Record<string, unknown>>> = {
  rate_limit: { loose: { rateLimit: { requests: 1_000_000, period: seconds(1) } }, tight: { rateLimit: { requests: 1, period: seconds(86_400) } } },
  remaining_uses: { loose: { remainingUses: 1_000_000_000 }, tight: { remainingUses: 1 } },
  refill: { loose: { refill: { amount: 1_000_000_000, period: seconds(60) } }, tight: { refill: { amount: 1, period: seconds(366 * 86_400) } } },
  metadata: { loose: { metadata: { plan: "enterprise" } }, tight: { metadata: { plan: "free" } } },
};

/** A tenant a request names: none, the world's A or B, or (for a create) one that does not exist yet. */
const tenantRef = fc.constantFrom("none" as const, "A" as const, "B" as const, "new" as const);
const tenantIdOf = (c: StepContext, ref: "none" | "A" | "B" | "new") => (ref === "none" ? "" : c.world.tenantIds[ref]);
const tenantText = (ref: "none" | "A" | "B" | "new") => (ref === "none" ? "" : `, tenant ${ref === "new" ? "not yet made" : ref}`);

/** A call whose request names one user and nothing else. */
const onUser = (method: DescMethodUnary) =>
  kind({
    args: fc.record({ user: userRef }),
    resolve: (a, c) => ({ method, request: { userId: userOf(c, a.user) }, summary: `user ${c.names.of(userOf(c, a.user))}` }),
  });

/** A call whose request names one key (or session) of a user, by `user_id` and `field`. */
const onRecord = (method: DescMethodUnary, field: "keyId" | "sessionId") =>
  kind({
    args: fc.record({ ref: fc.nat({ max: 15 }), path: pathRef }),
    resolve: (a, c) => {
      const record = field === "keyId" ? keyOf(c, a.ref) : sessionOf(c, a.ref);
      const userId = pathUser(c, a.path, record.owner);
      return { method, request: { userId, [field]: record.id }, summary: `${c.names.of(record.id)} under user ${c.names.of(userId)}` };
    },
  });

/** The step generator of every RPC, by full method name; forward auth under its path. */
export const STEP_KINDS: Readonly<Record<string, StepKind<unknown>>> = {
  "keyward.v1.UserRegistry.CreateUser": kind({
    args: fc.record({ user: userRef, admin: fc.boolean(), password: fc.option(newPassword, { nil: undefined }), suspended: fc.boolean(), tenant: tenantRef }),
    resolve: (a, c) => ({
      method: UserRegistry.method.createUser,
      request: {
        user: {
          userId: userOf(c, a.user),
          name: "made by the attacker",
          admin: a.admin,
          state: a.suspended ? UserState.SUSPENDED : UserState.ACTIVE,
          tenantId: tenantIdOf(c, a.tenant),
          ...(a.password === undefined ? {} : { password: a.password }),
        },
      },
      chooses: a.password === undefined ? [] : [a.password],
      ...(a.password === undefined ? {} : { setsPasswordOf: userOf(c, a.user) }),
      summary: `user ${c.names.of(userOf(c, a.user))}${a.admin ? ", admin" : ""}${a.suspended ? ", suspended" : ""}${tenantText(a.tenant)}${a.password === undefined ? "" : `, password: ${passwordName(a.password)}`}`,
    }),
  }),
  "keyward.v1.UserRegistry.GetUser": onUser(UserRegistry.method.getUser),
  "keyward.v1.UserRegistry.ListUsers": kind({
    args: fc.record({ pageSize: fc.constantFrom(1, 50), tenant: tenantRef }),
    resolve: (a, c) => ({
      method: UserRegistry.method.listUsers,
      request: { pageSize: a.pageSize, tenantId: tenantIdOf(c, a.tenant) },
      summary: `page size ${a.pageSize}${tenantText(a.tenant)}`,
    }),
  }),
  "keyward.v1.UserRegistry.UpdateUser": kind({
    args: fc.record({
      user: userRef,
      change: fc.oneof(
        fc.constant({ path: "name" }),
        fc.constant({ path: "email" }),
        fc.record({ path: fc.constant("admin"), admin: fc.boolean() }),
        fc.record({ path: fc.constant("state"), suspended: fc.boolean() }),
      ),
    }),
    resolve: (a, c) => {
      const userId = userOf(c, a.user);
      const change = a.change as { path: string; admin?: boolean; suspended?: boolean };
      const fields =
        change.path === "name"
          ? { name: "renamed by the attacker" }
          : change.path === "email"
            ? { email: "attacker@example.com" }
            : change.path === "admin"
              ? { admin: change.admin! }
              : { state: change.suspended ? UserState.SUSPENDED : UserState.ACTIVE };
      const value = change.path === "admin" ? `admin=${String(change.admin)}` : change.path === "state" ? (change.suspended ? "suspend" : "reactivate") : change.path;
      return { method: UserRegistry.method.updateUser, request: { user: { userId, ...fields }, updateMask: { paths: [change.path] } }, summary: `user ${c.names.of(userId)}: ${value}` };
    },
  }),
  "keyward.v1.UserRegistry.DeleteUser": onUser(UserRegistry.method.deleteUser),
  "keyward.v1.UserRegistry.UpdatePassword": kind({
    args: fc.record({ user: userRef, current: fc.option(anyPassword, { nil: undefined }), next: newPassword, revokeAllSessions: fc.boolean() }),
    resolve: (a, c) => ({
      method: UserRegistry.method.updatePassword,
      request: { userId: userOf(c, a.user), currentPassword: a.current ?? "", newPassword: a.next, revokeAllSessions: a.revokeAllSessions },
      chooses: [a.next],
      setsPasswordOf: userOf(c, a.user),
      summary: `user ${c.names.of(userOf(c, a.user))}, current: ${a.current === undefined ? "none" : passwordName(a.current)}, new: ${passwordName(a.next)}${a.revokeAllSessions ? ", revoke all sessions" : ""}`,
    }),
  }),
  "keyward.v1.SessionRegistry.CreateSession": kind({
    // Often with the last password the attacker set, as an attacker would: a random user and password
    // rarely meet one it set, now that few credentials may set one.
    args: fc.oneof(fc.constant("the last password set" as const), fc.record({ user: userRef, password: anyPassword })),
    resolve: (a, c) => {
      const last = a === "the last password set" ? c.lastPasswordSet : undefined;
      const userId = last?.userId ?? userOf(c, a === "the last password set" ? ROLES.length : a.user);
      const password = last?.password ?? (a === "the last password set" ? GUESS : a.password);
      return {
        method: SessionRegistry.method.createSession,
        request: { userId, password },
        anonymous: true,
        summary: `sign in as ${c.names.of(userId)} with ${passwordName(password)}`,
      };
    },
  }),
  "keyward.v1.SessionRegistry.ListSessions": onUser(SessionRegistry.method.listSessions),
  "keyward.v1.SessionRegistry.DeleteSession": onRecord(SessionRegistry.method.deleteSession, "sessionId"),
  "keyward.v1.ApiKeyRegistry.CreateApiKey": kind({
    args: fc.record({ user: userRef, rights: rightsChoice, expires: fc.boolean(), loopbackOnly: fc.boolean(), limits: newKeyLimits }),
    resolve: (a, c) => {
      const rights = rightsOf(c, a.rights);
      const limits =
        a.limits === "rate limit"
          ? { rateLimit: { requests: 10, period: seconds(60) } }
          : a.limits === "uses with a refill"
            ? { remainingUses: 5, refill: { amount: 5, period: seconds(86_400) } }
            : {};
      return {
        method: ApiKeyRegistry.method.createApiKey,
        request: {
          userId: userOf(c, a.user),
          name: "made by the attacker",
          rights,
          ...(a.expires ? { expiresAt: inDays(1) } : {}),
          allowedIps: a.loopbackOnly ? ["127.0.0.0/8"] : [],
          ...limits,
          metadata: { by: "attacker" },
        },
        summary: `for ${c.names.of(userOf(c, a.user))}, rights ${rightsText(rights)}${a.expires ? ", expires in a day" : ""}${a.loopbackOnly ? ", loopback only" : ""}${a.limits === "none" ? "" : `, ${a.limits}`}`,
      };
    },
  }),
  "keyward.v1.ApiKeyRegistry.ListApiKeys": onUser(ApiKeyRegistry.method.listApiKeys),
  "keyward.v1.ApiKeyRegistry.GetApiKey": onRecord(ApiKeyRegistry.method.getApiKey, "keyId"),
  "keyward.v1.ApiKeyRegistry.UpdateApiKey": kind({
    args: fc.record({
      key: fc.nat({ max: 15 }),
      path: pathRef,
      change: fc.oneof(
        fc.constant({ path: "name" }),
        fc.record({ path: fc.constant("rights"), rights: rightsChoice }),
        fc.record({ path: fc.constant("state"), disabled: fc.boolean() }),
        fc.record({ path: fc.constant("expires_at"), clear: fc.boolean() }),
        fc.record({ path: fc.constant("allowed_ips"), clear: fc.boolean() }),
        limitChange,
      ),
    }),
    resolve: (a, c) => {
      const key = keyOf(c, a.key);
      const userId = pathUser(c, a.path, key.owner);
      const change = a.change as { path: string; rights?: "the start key's" | number[]; disabled?: boolean; clear?: boolean; to?: "clear" | "loose" | "tight" };
      let fields: Record<string, unknown>;
      let value: string;
      switch (change.path) {
        case "name":
          [fields, value] = [{ name: "renamed by the attacker" }, "name"];
          break;
        case "rights": {
          const rights = rightsOf(c, change.rights!);
          [fields, value] = [{ rights }, `rights ${rightsText(rights)}`];
          break;
        }
        case "state":
          [fields, value] = [{ state: change.disabled ? ApiKeyState.DISABLED : ApiKeyState.ACTIVE }, change.disabled ? "disable" : "enable"];
          break;
        case "expires_at":
          [fields, value] = [change.clear ? {} : { expiresAt: inDays(30) }, change.clear ? "clear the expiry" : "expire in 30 days"];
          break;
        case "allowed_ips":
          [fields, value] = [{ allowedIps: change.clear ? [] : ["127.0.0.0/8"] }, change.clear ? "usable from anywhere" : "loopback only"];
          break;
        default:
          // A limit in the mask with no value clears it.
          [fields, value] = [change.to === "clear" ? {} : LIMIT_VALUES[change.path]![change.to!]!, `${change.to} ${change.path}`];
      }
      return {
        method: ApiKeyRegistry.method.updateApiKey,
        request: { apiKey: { userId, id: key.id, ...fields }, updateMask: { paths: [change.path] } },
        summary: `${c.names.of(key.id)} under user ${c.names.of(userId)}: ${value}`,
      };
    },
  }),
  "keyward.v1.ApiKeyRegistry.DeleteApiKey": onRecord(ApiKeyRegistry.method.deleteApiKey, "keyId"),
  "keyward.v1.ApiKeyRegistry.RegenerateApiKey": kind({
    args: fc.record({ key: fc.nat({ max: 15 }), path: pathRef, graceSeconds: fc.constantFrom(0, 3600, 604_800), self: fc.boolean() }),
    resolve: (a, c) => {
      if (a.self) {
        // Self-rotation: `self` under the caller's own user (over REST the primary binding's path).
        return {
          method: ApiKeyRegistry.method.regenerateApiKey,
          request: { userId: c.callerUserId, keyId: "self", ...(a.graceSeconds > 0 ? { gracePeriod: { seconds: BigInt(a.graceSeconds), nanos: 0 } } : {}) },
          summary: `self${a.graceSeconds > 0 ? `, grace ${a.graceSeconds} s` : ""}`,
        };
      }
      const key = keyOf(c, a.key);
      const userId = pathUser(c, a.path, key.owner);
      return {
        method: ApiKeyRegistry.method.regenerateApiKey,
        request: { userId, keyId: key.id, ...(a.graceSeconds > 0 ? { gracePeriod: { seconds: BigInt(a.graceSeconds), nanos: 0 } } : {}) },
        summary: `${c.names.of(key.id)} under user ${c.names.of(userId)}${a.graceSeconds > 0 ? `, grace ${a.graceSeconds} s` : ""}`,
      };
    },
  }),
  "keyward.v1.AuthService.GetAuthInfo": kind({
    args: fc.constant({}),
    resolve: () => ({ method: AuthService.method.getAuthInfo, request: {}, summary: "" }),
  }),
  "keyward.v1.TenantRegistry.CreateTenant": kind({
    args: fc.record({ tenant: tenantRef }),
    resolve: (a, c) => ({
      method: TenantRegistry.method.createTenant,
      request: { tenant: { tenantId: tenantIdOf(c, a.tenant === "none" ? "new" : a.tenant), name: "made by the attacker" } },
      summary: tenantText(a.tenant === "none" ? "new" : a.tenant).slice(2),
    }),
  }),
  "keyward.v1.TenantRegistry.GetTenant": kind({
    args: fc.record({ tenant: tenantRef }),
    resolve: (a, c) => ({ method: TenantRegistry.method.getTenant, request: { tenantId: tenantIdOf(c, a.tenant) }, summary: tenantText(a.tenant).slice(2) }),
  }),
  "keyward.v1.TenantRegistry.ListTenants": kind({
    args: fc.constant({}),
    resolve: () => ({ method: TenantRegistry.method.listTenants, request: { pageSize: 50 }, summary: "" }),
  }),
  "keyward.v1.TenantRegistry.UpdateTenant": kind({
    args: fc.record({ tenant: tenantRef }),
    resolve: (a, c) => ({
      method: TenantRegistry.method.updateTenant,
      request: { tenant: { tenantId: tenantIdOf(c, a.tenant), name: "renamed by the attacker" }, updateMask: { paths: ["name"] } },
      summary: tenantText(a.tenant).slice(2),
    }),
  }),
  "keyward.v1.TenantRegistry.DeleteTenant": kind({
    args: fc.record({ tenant: tenantRef }),
    resolve: (a, c) => ({ method: TenantRegistry.method.deleteTenant, request: { tenantId: tenantIdOf(c, a.tenant) }, summary: tenantText(a.tenant).slice(2) }),
  }),
  "keyward.v1.EventRegistry.ListEvents": kind({
    args: fc.record({ user: fc.oneof(userRef, fc.constant(-1)) }),
    resolve: (a, c) => ({
      method: EventRegistry.method.listEvents,
      request: { userId: a.user < 0 ? "" : userOf(c, a.user), pageSize: 10 },
      summary: a.user < 0 ? "everyone in scope" : `user ${c.names.of(userOf(c, a.user))}`,
    }),
  }),
  "keyward.v1.EventRegistry.StreamEvents": kind({
    args: fc.record({ user: fc.oneof(userRef, fc.constant(-1)) }),
    resolve: (a, c) => ({
      stream: EventRegistry.method.streamEvents,
      // From the first event: an allowed stream answers at once.
      request: { userId: a.user < 0 ? "" : userOf(c, a.user), afterId: "0000000000000000" },
      summary: a.user < 0 ? "everyone in scope" : `user ${c.names.of(userOf(c, a.user))}`,
    }),
  }),
  "keyward.v1.WebhookRegistry.CreateWebhook": kind({
    args: fc.constant({}),
    resolve: () => ({ method: WebhookRegistry.method.createWebhook, request: { webhook: { url: "http://localhost:9/attacker", enabled: false } }, summary: "" }),
  }),
  "keyward.v1.WebhookRegistry.ListWebhooks": kind({
    args: fc.constant({}),
    resolve: () => ({ method: WebhookRegistry.method.listWebhooks, request: { pageSize: 10 }, summary: "" }),
  }),
  ...Object.fromEntries(
    (
      [
        ["GetWebhook", WebhookRegistry.method.getWebhook],
        ["DeleteWebhook", WebhookRegistry.method.deleteWebhook],
        ["TestWebhook", WebhookRegistry.method.testWebhook],
        ["UpdateWebhook", WebhookRegistry.method.updateWebhook],
      ] as const
    ).map(([name, method]) => [
      `keyward.v1.WebhookRegistry.${name}`,
      kind({
        args: fc.record({ scope: fc.constantFrom("system" as const, "A" as const, "B" as const) }),
        resolve: (a, c) => {
          const webhookId = c.world.webhookIds[a.scope];
          const request = name === "UpdateWebhook" ? { webhook: { webhookId, enabled: false }, updateMask: { paths: ["enabled"] } } : { webhookId };
          return { method: method as DescMethodUnary, request, summary: `the ${a.scope === "system" ? "system's" : `tenant ${a.scope}'s`} webhook` };
        },
      }),
    ]),
  ),
  "/api/v1/auth/check": kind({
    args: fc.record({ rights: fc.subarray([...ALL_RIGHTS], { maxLength: 2 }) }),
    resolve: (a) => ({ forwardAuth: a.rights, summary: `rights ${rightsText(a.rights)}` }),
  }),
};

const STREAMING = new Set(["keyward.v1.EventRegistry.StreamEvents"]);

/** One step: any kind, any door (forward auth has only its HTTP path), any held credential. */
export const stepArbitrary: fc.Arbitrary<Step> = fc.oneof(
  ...Object.entries(STEP_KINDS).map(([rpc, k]) =>
    fc.record({
      rpc: fc.constant(rpc),
      // Forward auth has only its HTTP path; a server stream only the streaming doors.
      door: rpc.startsWith("/") ? fc.constant<Door>("rest") : STREAMING.has(rpc) ? fc.constantFrom<Door>("connect", "grpc") : fc.constantFrom(...DOOR_NAMES),
      cred: fc.oneof(fc.nat({ max: 7 }), fc.constant(-1)),
      args: k.args as fc.Arbitrary<Record<string, unknown>>,
    }),
  ),
);

/** What an answer says, for the trace and the judge. */
export interface Answer {
  readonly ok: boolean;
  readonly text: string;
  /** A key or session token the answer hands out. */
  readonly issued?: string;
  /** The effective rights the server says the calling credential holds (GetAuthInfo, forward auth). */
  readonly claimedRights?: readonly number[];
  /** A code no request of this test should ever get (INTERNAL, UNKNOWN, ...): a server or harness fault. */
  readonly fault?: string;
}

const FAULTS = new Set([Code.Unknown, Code.Internal, Code.Unimplemented, Code.DataLoss]);
const rightByName = new Map(RightSchema.values.map((v) => [v.name, v.number]));
const rightNumber = (value: unknown) => (typeof value === "number" ? value : (rightByName.get(String(value)) ?? -1));

/** Sends `call` through `door` with `token` and reads the answer. */
export async function send(door: Door, call: Call, token: string | undefined, doors: Doors, httpUrl: string): Promise<Answer> {
  if (call.forwardAuth !== undefined) return forwardAuth(httpUrl, call.forwardAuth, token);
  const method = call.method!;
  let outcome: Outcome;
  try {
    if (call.stream !== undefined) {
      outcome = await firstOfStream({ httpUrl, grpcAddress: doors.grpcAddress }, door === "grpc" ? "grpc" : "connect", call.stream, call.request!, token ?? "");
      if (outcome.ok) return { ok: true, text: "OK, streams" };
    } else outcome = door === "rest" ? await callRest(httpUrl, method, call.request!, token) : await doors.call(door, method, call.request!, token);
  } catch (error) {
    return { ok: false, text: `transport failure: ${String(error)}`, fault: String(error) };
  }
  if (!outcome.ok) {
    const text = `${outcome.codeName} ${outcome.reason}`.trim();
    return { ok: false, text, ...(FAULTS.has(outcome.code) ? { fault: `${text}: ${outcome.message}` } : {}) };
  }
  const message = outcome.message as unknown as { key?: string; token?: string; rights?: unknown[]; users?: unknown[]; apiKeys?: unknown[]; sessions?: unknown[] };
  const issued = message.key || message.token || undefined;
  if (method === AuthService.method.getAuthInfo) {
    const rights = (message.rights ?? []).map(rightNumber);
    return { ok: true, text: `OK, rights ${rightsText(rights)}`, claimedRights: rights };
  }
  const listed = message.users ?? message.apiKeys ?? message.sessions;
  return { ok: true, text: issued ? "OK, hands out a credential" : listed ? `OK, ${listed.length} listed` : "OK", ...(issued ? { issued } : {}) };
}

async function forwardAuth(httpUrl: string, rights: readonly number[], token: string | undefined): Promise<Answer> {
  const query = rights.length === 0 ? "" : `?rights=${rights.map((r) => RightSchema.values.find((v) => v.number === r)!.name).join(",")}`;
  try {
    const response = await fetch(new URL(`/api/v1/auth/check${query}`, httpUrl), { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    const reason = response.headers.get("x-keyward-reason") ?? "";
    if (response.status !== 200) return { ok: false, text: `${response.status} ${reason}`.trim(), ...(response.status >= 500 ? { fault: `${response.status} ${reason}` } : {}) };
    const claimed = (response.headers.get("x-keyward-rights") ?? "").split(",").filter((n) => n !== "").map(rightNumber);
    return { ok: true, text: `200, rights ${rightsText(claimed)}`, claimedRights: claimed };
  } catch (error) {
    return { ok: false, text: `transport failure: ${String(error)}`, fault: String(error) };
  }
}
