/**
 * The rights as people see them: labels and help text derived from the `Right` enum and its proto
 * comments (so a right added to the proto appears here with no change), and the server's own rights
 * algebra (src/rights, a leaf module) for what an owner may hold and what a pseudo-right covers.
 */
import { RightSchema } from "../../../gen/keyward/v1/rights_pb.js";
import { protoComments } from "../../../gen/keyward/v1/comments.js";
import { rights } from "../../rights/index.js";

export { rights };

const WORDS: Readonly<Record<string, string>> = { api: "API" };

/** The family part of a right's name: `USER` for `RIGHT_USER_INFO`, empty for `RIGHT_ALL`. */
function partsOf(right: number): { family: string; rest: string } {
  const name = rights.name(right).replace(/^RIGHT_/, "");
  const underscore = name.indexOf("_");
  return underscore === -1 ? { family: "", rest: name } : { family: name.slice(0, underscore), rest: name.slice(underscore + 1) };
}

function words(text: string): string {
  const out = text
    .toLowerCase()
    .split("_")
    .map((word) => WORDS[word] ?? word)
    .join(" ");
  return out.charAt(0).toUpperCase() + out.slice(1);
}

/** A right's short label: "User: settings API keys", "All user rights", "All rights". */
export function labelOf(right: number): string {
  const { family, rest } = partsOf(right);
  if (rights.isPseudo(right)) return family === "" ? "All rights" : `All ${words(family).toLowerCase()} rights`;
  return `${words(family)}: ${words(rest).toLowerCase().replace(/\bapi\b/g, "API")}`;
}

/**
 * What each right lets a key do, for the person choosing them. The proto comments say the same for
 * developers, in the API's terms (pseudo-rights, the owner's universe, the grant rule); a person picking
 * checkboxes needs the effect. "This user" is the key's owner.
 */
const FOR_PEOPLE: Readonly<Record<string, string>> = {
  RIGHT_USER_INFO: "See this user's profile: user id, name and email.",
  RIGHT_USER_SETTINGS_BASIC: "Change this user's name and email.",
  RIGHT_USER_SETTINGS_API_KEYS: "Create, see, change and delete this user's API keys.",
  RIGHT_USER_DELETE: "Delete this user and all their API keys.",
  RIGHT_USER_EVENTS_READ: "See what was done to or by this user and their keys.",
  RIGHT_USER_ALL: "Everything this user can do with their own account, now and in future versions.",
  RIGHT_ADMIN_USERS_READ: "See every user.",
  RIGHT_ADMIN_USERS_WRITE: "Create users, and change or delete any user.",
  RIGHT_ADMIN_API_KEYS: "Manage any user's API keys, giving them no right this key lacks.",
  RIGHT_ADMIN_TENANTS: "See, create, rename and delete tenants.",
  RIGHT_ADMIN_EVENTS_READ: "See the activity of every user this admin manages.",
  RIGHT_ADMIN_WEBHOOKS: "Manage webhooks, which send activity to other systems.",
  RIGHT_ADMIN_ALL: "Every admin right above, and any added in future versions.",
  RIGHT_ALL: "Everything this user can do, now and in future versions.",
};

/**
 * What a right allows, in plain words. A right added to the proto before its words are written here
 * shows the first sentence of its proto comment, without Markdown backticks.
 */
export function descriptionOf(right: number): string {
  const name = RightSchema.values.find((value) => value.number === right)?.name ?? "";
  const comment = (protoComments[`${RightSchema.typeName}.${name}`] ?? "").replace(/`/g, "").replace(/\s+/g, " ").trim();
  return FOR_PEOPLE[name] ?? /^[^.]*\.?/.exec(comment)![0];
}

/** The rights a key of this owner can carry, grouped for checkboxes: `all` is "Grant all current and future rights". */
export interface RightsChoice {
  readonly all: number;
  readonly groups: ReadonlyArray<{ readonly title: string; readonly rights: readonly number[] }>;
}

/** Who owns a key, as far as its rights go: whether an admin, and of which tenant (empty: a system user). */
export interface KeyOwner {
  readonly admin: boolean;
  readonly tenantId: string;
}

/** The choice for a key of `owner`: what its owner may hold (a tenant admin never manages tenants). */
export function rightsChoiceFor(owner: KeyOwner): RightsChoice {
  const universe = [...rights.universe({ admin: owner.admin, suspended: false, inTenant: owner.tenantId !== "" })].sort((a, b) => a - b);
  // The broadest pseudo-right in the owner's universe: RIGHT_ALL for admins, RIGHT_USER_ALL otherwise.
  const all = universe.filter((right) => rights.isPseudo(right)).sort((a, b) => rights.expand([b]).size - rights.expand([a]).size)[0]!;
  const families = new Map<string, number[]>();
  // Each family's own "all" last, after the rights it covers (a right added later has a higher number).
  const pseudoLast = [...universe.filter((right) => !rights.isPseudo(right)), ...universe.filter((right) => rights.isPseudo(right))];
  for (const right of pseudoLast) {
    if (right === all) continue;
    const { family } = partsOf(right);
    families.set(family, [...(families.get(family) ?? []), right]);
  }
  return {
    all,
    groups: [...families].map(([family, members]) => ({
      title: family === "USER" ? "Own user" : family === "ADMIN" ? "Administration (other users)" : words(family),
      rights: members,
    })),
  };
}
