/**
 * Access rules read from each method's `(keyward.v1.access)` option, once per method. The proto is the
 * single statement of who may call what; the interceptor only evaluates it.
 */
import { getOption, hasOption, type DescField, type DescMessage, type DescMethod } from "@bufbuild/protobuf";
import { access } from "../../gen/keyward/v1/rights_pb.js";

/** A method's requirement in evaluable form. */
export interface AccessRule {
  readonly public: boolean;
  /** Proto path of the subject-user field, e.g. `api_key.user_id`; empty when the call has no subject. */
  readonly userField: string;
  /** Reads the subject user id from a request; undefined when the rule has no user field. */
  readonly subjectOf: ((request: unknown) => string) | undefined;
  readonly ownUserRights: readonly number[];
  readonly otherUserRights: readonly number[];
  /**
   * The user field may be left empty: the call then acts on no single user (every user in the caller's
   * scope) and needs {@link otherUserRights}. When false, an empty user field is `VALIDATION_FAILED`.
   */
  readonly optionalUserField: boolean;
  /**
   * Reads the field that may name the calling key as {@link SELF_KEY_ID} (the option's `self_key_field`);
   * undefined when the method has none.
   */
  readonly selfKeyOf: ((request: unknown) => string) | undefined;
  /** Proto path of that field, for errors. */
  readonly selfKeyField: string;
}

/** The key id that names the calling key itself (self-rotation). */
export const SELF_KEY_ID = "self";

const rules = new WeakMap<DescMethod, AccessRule | undefined>();

/** The rule of `method`, or undefined when it declares none (such a method is refused). */
export function accessRuleOf(method: DescMethod): AccessRule | undefined {
  if (rules.has(method)) return rules.get(method);
  const rule = hasOption(method, access) ? compile(method) : undefined;
  rules.set(method, rule);
  return rule;
}

function compile(method: DescMethod): AccessRule {
  const option = getOption(method, access);
  return {
    public: option.public,
    userField: option.userField,
    subjectOf: option.userField === "" ? undefined : fieldReader(method.input, option.userField),
    ownUserRights: option.ownUserRights,
    otherUserRights: option.otherUserRights,
    optionalUserField: option.optionalUserField,
    selfKeyOf: option.selfKeyField === "" ? undefined : fieldReader(method.input, option.selfKeyField),
    selfKeyField: option.selfKeyField,
  };
}

/** A reader for a dotted proto path of singular fields ending in a string. */
function fieldReader(message: DescMessage, path: string): (request: unknown) => string {
  const localNames: string[] = [];
  let current: DescMessage | undefined = message;
  for (const name of path.split(".")) {
    const field: DescField | undefined = current?.fields.find((f) => f.name === name);
    if (!field) throw new Error(`access rule of ${message.typeName}: no field ${path}`);
    localNames.push(field.localName);
    current = field.message;
  }
  return (request) => {
    let value: unknown = request;
    for (const name of localNames) value = (value as Record<string, unknown> | undefined)?.[name];
    return typeof value === "string" ? value : "";
  };
}
