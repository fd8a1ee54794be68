/**
 * `--insecure-transport` for passwords, in one place for every door: request fields marked
 * `(keyward.v1.password)` in the proto (sign-in, password change, a user created with a password) are
 * credentials too. A call carrying a non-empty one is judged by the transport policy that judges keys,
 * with the client resolved by the same rule, before any interceptor or handler checks or hashes the
 * password: refused in `reject` mode when it crossed a network in the clear, logged in `warn` mode.
 */
import { getOption, hasOption, ScalarType, type DescField, type DescMessage } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { password } from "../../gen/keyward/v1/password_pb.js";
import type { ClientResolver } from "./client-address.js";
import { kPeer } from "./peer.js";
import type { TransportPolicy } from "./transport-policy.js";

/** Whether a request message carries a non-empty password. */
type PasswordCheck = (message: Record<string, unknown>) => boolean;

/** The interceptor; put it in front of authorization, so a password is judged before a key is. */
export function createPasswordTransportInterceptor(policy: TransportPolicy, clients: ClientResolver, now: () => number = Date.now): Interceptor {
  return (next) => async (request) => {
    if (policy.mode !== "allow" && !request.stream) {
      const carriesPassword = passwordCheckOf(request.method.input);
      if (carriesPassword?.(request.message as Record<string, unknown>)) {
        const client = clients.resolve(request.contextValues.get(kPeer), request.header);
        policy.judgePassword(client, `${request.service.typeName}/${request.method.name}`, now());
      }
    }
    return next(request);
  };
}

/** The proto paths of the password fields of `message`, nested messages included (for tests and docs). */
export function passwordFieldsOf(message: DescMessage): string[] {
  return collect(message, new Set()).paths;
}

const checks = new WeakMap<DescMessage, PasswordCheck | undefined>();

/** The check for `message`'s type, made once per type; undefined when it has no password fields. */
export function passwordCheckOf(message: DescMessage): PasswordCheck | undefined {
  if (!checks.has(message)) checks.set(message, collect(message, new Set()).check);
  return checks.get(message);
}

interface Collected {
  readonly paths: string[];
  readonly check: PasswordCheck | undefined;
}

/** Walks `message`'s fields for marked ones; a type already on the path (recursion) is not entered again. */
function collect(message: DescMessage, enclosing: Set<DescMessage>): Collected {
  if (enclosing.has(message)) return { paths: [], check: undefined };
  enclosing.add(message);
  const paths: string[] = [];
  const parts: PasswordCheck[] = [];
  for (const field of message.fields) {
    const read = reader(field);
    if (isPasswordField(field)) {
      paths.push(field.name);
      parts.push((m) => isNonEmpty(read(m)));
    } else if (field.fieldKind === "message") {
      const inner = collect(field.message, enclosing);
      paths.push(...inner.paths.map((path) => `${field.name}.${path}`));
      const check = inner.check;
      if (check !== undefined) parts.push((m) => isMessageWith(read(m), check));
    } else if (field.fieldKind === "list" && field.listKind === "message") {
      const inner = collect(field.message, enclosing);
      paths.push(...inner.paths.map((path) => `${field.name}[].${path}`));
      const check = inner.check;
      if (check !== undefined) parts.push((m) => (read(m) as unknown[]).some((item) => isMessageWith(item, check)));
    }
  }
  enclosing.delete(message);
  return { paths, check: parts.length === 0 ? undefined : (m) => parts.some((part) => part(m)) };
}

/** A marked field; only a singular string or bytes field may be marked. */
function isPasswordField(field: DescField): boolean {
  if (!hasOption(field, password) || !getOption(field, password)) return false;
  if (field.fieldKind !== "scalar" || (field.scalar !== ScalarType.STRING && field.scalar !== ScalarType.BYTES)) {
    throw new Error(`(keyward.v1.password) on ${field.parent.typeName}.${field.name}: only a singular string or bytes field can carry a password`);
  }
  return true;
}

/** Reads a field's value from a message (protobuf-es keeps a oneof's member under the oneof's name). */
function reader(field: DescField): (m: Record<string, unknown>) => unknown {
  const { oneof, localName } = field;
  if (oneof === undefined) return (m) => m[localName];
  return (m) => {
    const chosen = m[oneof.localName] as { case?: string; value?: unknown } | undefined;
    return chosen?.case === localName ? chosen.value : undefined;
  };
}

function isMessageWith(value: unknown, check: PasswordCheck): boolean {
  return typeof value === "object" && value !== null && check(value as Record<string, unknown>);
}

function isNonEmpty(value: unknown): boolean {
  return (typeof value === "string" || value instanceof Uint8Array) && value.length > 0;
}
