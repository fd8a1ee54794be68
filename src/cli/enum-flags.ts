/**
 * Flag values derived from proto enums, so the CLI follows the API with no hand-kept lists:
 * `USER_STATE_SUSPENDED` is `--state suspended`, `API_KEY_STATE_DISABLED` is `--state disabled`.
 */
import type { DescEnum } from "@bufbuild/protobuf";
import { ApiKeyStateSchema } from "../../gen/keyward/v1/api_key_pb.js";
import { UserStateSchema } from "../../gen/keyward/v1/user_pb.js";

/** The prefix every value name of the enum shares (`USER_STATE_`), with its trailing underscore. */
export function enumPrefix(schema: DescEnum): string {
  // protobuf-es reports the shared prefix with or without its trailing underscore depending on version.
  const shared = schema.sharedPrefix?.toUpperCase() ?? "";
  return shared === "" || shared.endsWith("_") ? shared : `${shared}_`;
}

/** The values of one enum as lower-case words, zero value excluded. */
export interface EnumWords {
  /** `["active", "suspended"]`. */
  readonly words: readonly string[];
  /** The number for a word (case-insensitive), or undefined. */
  parse(word: string): number | undefined;
  /** The word for a number (`active`), or the number itself for an unknown value. */
  label(value: number): string;
}

export function enumWords(schema: DescEnum): EnumWords {
  const prefix = enumPrefix(schema);
  const values = schema.values.filter((v) => v.number !== 0);
  const wordOf = new Map(values.map((v) => [v.number, v.name.slice(prefix.length).toLowerCase()]));
  const byWord = new Map([...wordOf].map(([number, word]) => [word, number]));
  return {
    words: [...byWord.keys()],
    parse: (word) => byWord.get(word.trim().toLowerCase()),
    label: (value) => wordOf.get(value) ?? (value === 0 ? "-" : String(value)),
  };
}

export const userStates = enumWords(UserStateSchema);
export const apiKeyStates = enumWords(ApiKeyStateSchema);
