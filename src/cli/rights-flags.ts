/**
 * Rights on the command line, generated from the `Right` enum descriptor (TTN's convention): one boolean
 * flag per value, `RIGHT_USER_INFO` → `--right-user-info`, plus `--rights A,B` taking full or short names
 * in any case. A right added to the proto gets its flag with no change here.
 */
import { Option, type Command } from "commander";
import { RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { rights } from "../rights/index.js";
import { enumPrefix } from "./enum-flags.js";
import { UsageError } from "./usage.js";

const PREFIX = enumPrefix(RightSchema);

/** One generated rights flag. */
export interface RightFlag {
  /** `--right-user-info`. */
  readonly flag: string;
  /** `RIGHT_USER_INFO`. */
  readonly name: string;
  readonly right: number;
}

/** The flags for an enum's values, zero value excluded, in enum order. */
export function rightFlags(values: readonly { readonly name: string; readonly number: number }[]): RightFlag[] {
  return values
    .filter((v) => v.number !== 0)
    .map((v) => ({ flag: `--${v.name.toLowerCase().replace(/_/g, "-")}`, name: v.name, right: v.number }));
}

/** `RIGHT_USER_INFO`, or `USER_INFO` when `short`. */
export function shortRightName(right: number, short: boolean): string {
  const name = rights.name(right);
  return short && name.startsWith(PREFIX) ? name.slice(PREFIX.length) : name;
}

/**
 * Rights from `--rights` values: comma-separated names, full (`RIGHT_USER_INFO`) or short (`user_info`,
 * `user-info`), case-insensitive. Unknown names are a usage error that lists the valid ones.
 */
export function parseRightNames(values: readonly string[]): number[] {
  const names = values.flatMap((value) => value.split(",")).map((n) => n.trim()).filter((n) => n !== "");
  const unknown: string[] = [];
  const out: number[] = [];
  for (const name of names) {
    const right = rights.fromName(name.toUpperCase().replace(/-/g, "_"));
    if (right === undefined) unknown.push(name);
    else out.push(right);
  }
  if (unknown.length > 0) {
    const valid = rights.defined.map((r) => shortRightName(r, true).toLowerCase()).join(", ");
    throw new UsageError(`unknown right${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `\`${n}\``).join(", ")} in --rights; valid (full or short names, any case): ${valid}`);
  }
  return out;
}

function describe(flag: RightFlag): string {
  if (!rights.isPseudo(flag.right)) return `grant ${flag.name}`;
  const family = flag.name.slice(0, -"ALL".length);
  return `grant ${flag.name}: every current and future ${family === PREFIX ? "" : `${family}* `}right`;
}

/**
 * Adds `--right-*` flags for every right and `--rights <names>` to `command`. Returns a reader of the
 * rights given, without repeats, in enum order of the flags first; undefined when none was given.
 */
export function addRightsOptions(command: Command): (options: Record<string, unknown>) => number[] | undefined {
  const flags = rightFlags(RightSchema.values).map((flag) => ({ flag, option: new Option(flag.flag, describe(flag)) }));
  for (const { option } of flags) command.addOption(option);
  command.addOption(
    new Option("--rights <names>", "rights by name, comma-separated, full or short and any case (e.g. user_info,USER_SETTINGS_API_KEYS); repeatable").argParser(
      (value: string, previous: string[] | undefined) => [...(previous ?? []), value],
    ),
  );
  return (options) => {
    const given = flags.filter(({ option }) => options[option.attributeName()] === true).map(({ flag }) => flag.right);
    given.push(...parseRightNames((options["rights"] as string[] | undefined) ?? []));
    return given.length === 0 ? undefined : [...new Set(given)];
  };
}
