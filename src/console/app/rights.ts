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

/** What a right allows, from its proto comment, without Markdown backticks. */
export function descriptionOf(right: number): string {
  const name = RightSchema.values.find((value) => value.number === right)?.name ?? "";
  return (protoComments[`${RightSchema.typeName}.${name}`] ?? "").replace(/`/g, "").replace(/\s+/g, " ").trim();
}

/** The rights a key of this owner can carry, grouped for checkboxes: `all` is "Grant all current and future rights". */
export interface RightsChoice {
  readonly all: number;
  readonly groups: ReadonlyArray<{ readonly title: string; readonly rights: readonly number[] }>;
}

/** The choice for a key owned by an admin or a non-admin. */
export function rightsChoiceFor(ownerIsAdmin: boolean): RightsChoice {
  const universe = [...rights.universe({ admin: ownerIsAdmin, suspended: false })].sort((a, b) => a - b);
  // The broadest pseudo-right in the owner's universe: RIGHT_ALL for admins, RIGHT_USER_ALL otherwise.
  const all = universe.filter((right) => rights.isPseudo(right)).sort((a, b) => rights.expand([b]).size - rights.expand([a]).size)[0]!;
  const families = new Map<string, number[]>();
  for (const right of universe) {
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
