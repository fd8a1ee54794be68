/**
 * `keyward api-keys create|list|get|update|delete|regenerate --user-id <id>`: ApiKeyRegistry from the
 * terminal, with TTN's flags (`--right-*`, `--name`) and aliases (`ls`, `info`, `set`, `rm`); and
 * `keyward api-keys rotate-self`, the calling key regenerating itself.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Option, type Command } from "commander";
import {
  ApiKeyState,
  CreateApiKeyResponseSchema,
  DeleteApiKeyResponseSchema,
  GetApiKeyResponseSchema,
  ListApiKeysResponseSchema,
  RegenerateApiKeyResponseSchema,
  UpdateApiKeyResponseSchema,
  type ApiKeySchema,
} from "../../gen/keyward/v1/api_key_pb.js";
import { SELF_KEY_ID } from "../authz/access-rules.js";
import { addPageOptions, handle, printList } from "./client.js";
import { apiKeyStates } from "./enum-flags.js";
import { examples } from "./help.js";
import { apiKeyBlock, apiKeysTable, jsonText, newKeyText } from "./output.js";
import { addRightsOptions } from "./rights-flags.js";
import { parseCountPer, parseGracePeriod, parseMetadata, parseUses, resolveExpiry, UsageError } from "./usage.js";

const EXPIRY_HELP = "when the key stops working, RFC 3339 (e.g. 2027-01-31T00:00:00Z)";
const EXPIRES_IN_HELP = "when the key stops working, from now: e.g. 90d, 12h, 1h30m";
const ALLOWED_IP_HELP = "a network the key may be used from (CIDR or address, IPv4 or IPv6); repeat for more; none: anywhere";

const RATE_LIMIT_HELP = "at most this many calls per window, <calls>/<period>: e.g. 100/60s, 5/s (1 s to 1 d)";
const REMAINING_USES_HELP = "the calls the key may make, then it is refused (API_KEY_USAGE_EXHAUSTED)";
const REFILL_HELP = "set the remaining uses back to <uses> every <period>: e.g. 1000/1d (1 min to 366 d); needs remaining uses";
const METADATA_HELP = "key=value for the services behind a gateway (e.g. plan=pro); repeat for more, at most 16";

/** Collects repeated values of a flag. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The limit and metadata fields the flags give, for a create or an update: only what was given, so an
 * update names exactly these in its mask. A `false` value (`--no-rate-limit`, ...) clears the field.
 */
export function keyLimitsOf(options: Record<string, unknown>): Pick<MessageInitShape<typeof ApiKeySchema>, "rateLimit" | "remainingUses" | "refill" | "metadata"> {
  const { rateLimit, remainingUses, refill, metadata } = options as {
    rateLimit?: string | false;
    remainingUses?: string | false;
    refill?: string | false;
    metadata?: string[] | false;
  };
  const fields: Pick<MessageInitShape<typeof ApiKeySchema>, "rateLimit" | "remainingUses" | "refill" | "metadata"> = {};
  if (rateLimit !== undefined) {
    const given = rateLimit === false ? undefined : parseCountPer("--rate-limit", rateLimit);
    fields.rateLimit = given && { requests: given.count, period: given.period };
  }
  if (remainingUses !== undefined) fields.remainingUses = remainingUses === false ? undefined : parseUses(remainingUses);
  if (refill !== undefined) {
    const given = refill === false ? undefined : parseCountPer("--refill", refill);
    fields.refill = given && { amount: given.count, period: given.period };
  }
  if (metadata !== undefined) fields.metadata = metadata === false ? {} : parseMetadata(metadata);
  return fields;
}

/** The update mask path of each limit field. */
const LIMIT_PATHS: Record<string, string> = { rateLimit: "rate_limit", remainingUses: "remaining_uses", refill: "refill", metadata: "metadata" };

/** Collects repeated `--allowed-ip` values; a comma list counts as several. */
function collectNetworks(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(",").map((v) => v.trim()).filter((v) => v !== "")];
}

function withUserId(command: Command): Command {
  return command.requiredOption("--user-id <id>", "the user who owns the keys");
}

/** The update mask paths and values of `api-keys update`, from the flags given. */
export function apiKeyUpdate(
  options: Record<string, unknown>,
  givenRights: number[] | undefined,
  now: number,
): { apiKey: MessageInitShape<typeof ApiKeySchema>; paths: string[] } {
  const expiry = resolveExpiry(options as { expiry?: string | false; expiresIn?: string }, now);
  if (options["allowedIp"] !== undefined && options["anyIp"] === true) {
    throw new UsageError("--allowed-ip and --any-ip contradict each other; give one of them");
  }
  const fields: MessageInitShape<typeof ApiKeySchema> = {
    name: options["name"] as string | undefined,
    allowedIps: options["anyIp"] === true ? [] : (options["allowedIp"] as string[] | undefined),
    rights: givenRights,
    state: options["state"] === undefined ? undefined : (apiKeyStates.parse(String(options["state"])) as ApiKeyState),
  };
  const given = Object.entries(fields).filter(([, value]) => value !== undefined);
  const apiKey = Object.fromEntries(given) as MessageInitShape<typeof ApiKeySchema>;
  const paths = given.map(([path]) => (path === "allowedIps" ? "allowed_ips" : path));
  if (expiry.kind !== "unchanged") {
    paths.push("expires_at");
    if (expiry.kind === "at") apiKey.expiresAt = expiry.expiresAt;
  }
  // A cleared limit is in the mask with no value: that is what clears it.
  for (const [field, value] of Object.entries(keyLimitsOf(options))) {
    paths.push(LIMIT_PATHS[field]!);
    if (value !== undefined) Object.assign(apiKey, { [field]: value });
  }
  if (paths.length === 0) {
    throw new UsageError(
      "nothing to update: give at least one of --name, a --right-* flag or --rights, --state, --expiry, --expires-in, --no-expiry, --allowed-ip, --any-ip, " +
        "--rate-limit, --no-rate-limit, --remaining-uses, --no-remaining-uses, --refill, --no-refill, --metadata, --no-metadata",
    );
  }
  return { apiKey, paths };
}

export function addApiKeysCommand(program: Command): Command {
  const apiKeys = program.command("api-keys").alias("api-key").description("manage the API keys of a user (TTN: `users api-keys`)");

  const createCommand = withUserId(apiKeys.command("create").aliases(["add", "generate"]).description("create an API key; the key is printed once"))
    .option("--name <name>", "what the key is for (at most 50 characters)");
  const createRights = addRightsOptions(createCommand);
  handle(
    createCommand
      .option("--expiry <time>", EXPIRY_HELP)
      .option("--expires-in <duration>", EXPIRES_IN_HELP)
      .option("--allowed-ip <cidr>", ALLOWED_IP_HELP, collectNetworks)
      .option("--rate-limit <calls/period>", RATE_LIMIT_HELP)
      .option("--remaining-uses <n>", REMAINING_USES_HELP)
      .option("--refill <uses/period>", REFILL_HELP)
      .option("--metadata <key=value>", METADATA_HELP, collect)
      .addHelpText(
        "after",
        examples(
          "keyward api-keys create --user-id billing-gateway --name prod --right-user-info --expires-in 90d",
          "keyward api-keys create --user-id billing-gateway --right-user-info --allowed-ip 203.0.113.0/24 --allowed-ip 2001:db8::/32",
          "keyward api-keys create --user-id billing-gateway --right-user-info --rate-limit 100/60s --remaining-uses 1000 --refill 1000/1d --metadata plan=pro",
          "keyward api-keys create --user-id billing-gateway --rights user_info,user_settings_api_keys --json",
          "KEY=$(keyward api-keys create --user-id ci --right-user-all --json | jq -r .key)",
        ) +
          "\nThe key is printed once, with the notice \"Copy the key now: it will not be shown again.\"\n" +
          "A key with a rate limit or remaining uses is metered: it may not create keys, regenerate other keys, set passwords or loosen any key's limits.\n",
      ),
    async (ctx) => {
      const rights = createRights(ctx.options);
      if (rights === undefined) throw new UsageError("no rights given: add --right-* flags (see --help) or --rights, e.g. --right-user-info");
      const expiry = resolveExpiry(ctx.options as { expiry?: string; expiresIn?: string }, Date.now());
      const response = await ctx.api.apiKeys.createApiKey({
        userId: String(ctx.options["userId"]),
        name: (ctx.options["name"] as string | undefined) ?? "",
        rights,
        expiresAt: expiry.kind === "at" ? expiry.expiresAt : undefined,
        allowedIps: (ctx.options["allowedIp"] as string[] | undefined) ?? [],
        ...keyLimitsOf(ctx.options),
      });
      ctx.print(ctx.json ? jsonText(CreateApiKeyResponseSchema, response) : newKeyText(response.apiKey, response.key));
    },
  );

  handle(
    addPageOptions(
      withUserId(apiKeys.command("list").alias("ls").description("list a user's API keys, newest first (never their secrets)"))
        .addOption(new Option("--state <state>", "only keys in this state").choices(apiKeyStates.words))
        .option("--query <text>", "only keys whose name contains this text (case-insensitive)"),
    ).addHelpText("after", examples("keyward api-keys list --user-id billing-gateway", "keyward api-keys ls --user-id billing-gateway --state active --query prod --all --json")),
    (ctx) => {
      const { state, query } = ctx.options as { state?: string; query?: string };
      const filter = {
        userId: String(ctx.options["userId"]),
        state: state === undefined ? ApiKeyState.UNSPECIFIED : (apiKeyStates.parse(state) as ApiKeyState),
        query: query ?? "",
      };
      return printList(
        ctx,
        async (pageSize, pageToken) => {
          const response = await ctx.api.apiKeys.listApiKeys({ ...filter, pageSize, pageToken });
          return { items: response.apiKeys, nextPageToken: response.nextPageToken, totalSize: response.totalSize };
        },
        {
          json: (page) => jsonText(ListApiKeysResponseSchema, create(ListApiKeysResponseSchema, { apiKeys: page.items, nextPageToken: page.nextPageToken, totalSize: page.totalSize })),
          table: apiKeysTable,
        },
      );
    },
  );

  handle(
    withUserId(apiKeys.command("get <key-id>").alias("info").description("show one API key (never its secret)")).addHelpText(
      "after",
      examples("keyward api-keys get --user-id billing-gateway ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFG"),
    ),
    async (ctx, keyId) => {
      const response = await ctx.api.apiKeys.getApiKey({ userId: String(ctx.options["userId"]), keyId });
      ctx.print(ctx.json ? jsonText(GetApiKeyResponseSchema, response) : apiKeyBlock(response.apiKey!));
    },
  );

  const updateCommand = withUserId(
    apiKeys.command("update <key-id>").alias("set").description("change an API key: only what is given changes; rights given replace the key's rights"),
  ).option("--name <name>", "new name");
  const updateRights = addRightsOptions(updateCommand);
  const expiryFlags: string[] = [];
  updateCommand
    .addOption(new Option("--state <state>", "disabled: the key stops working until made active again").choices(apiKeyStates.words))
    .option("--expiry <time>", EXPIRY_HELP)
    .option("--no-expiry", "remove the expiry: the key never expires")
    .option("--expires-in <duration>", EXPIRES_IN_HELP)
    .option("--allowed-ip <cidr>", "replace the key's networks with these (repeat for more)", collectNetworks)
    .option("--any-ip", "clear the key's networks: usable from anywhere")
    .option("--rate-limit <calls/period>", RATE_LIMIT_HELP)
    .option("--no-rate-limit", "remove the rate limit")
    .option("--remaining-uses <n>", `${REMAINING_USES_HELP}; starts a new count`)
    .option("--no-remaining-uses", "unlimited uses (removes the refill too)")
    .option("--refill <uses/period>", REFILL_HELP)
    .option("--no-refill", "remove the refill")
    .option("--metadata <key=value>", "replace the key's metadata with these entries (repeat for more)", collect)
    .option("--no-metadata", "remove all metadata")
    .on("option:expiry", () => expiryFlags.push("--expiry"))
    .on("option:no-expiry", () => expiryFlags.push("--no-expiry"));
  // `--x` and `--no-x` together contradict each other; commander would keep whichever came last.
  const clearFlags = new Map<string, Set<string>>();
  for (const name of ["rate-limit", "remaining-uses", "refill", "metadata"]) {
    const seen = new Set<string>();
    clearFlags.set(name, seen);
    updateCommand.on(`option:${name}`, () => seen.add(`--${name}`)).on(`option:no-${name}`, () => seen.add(`--no-${name}`));
  }
  updateCommand
    .addHelpText(
      "after",
      examples(
        "keyward api-keys update --user-id billing-gateway <key-id> --state disabled",
        "keyward api-keys set --user-id billing-gateway <key-id> --rights user_info --expires-in 30d",
        "keyward api-keys update --user-id billing-gateway <key-id> --no-expiry",
        "keyward api-keys update --user-id billing-gateway <key-id> --allowed-ip 198.51.100.7 --allowed-ip 10.0.0.0/8",
        "keyward api-keys update --user-id billing-gateway <key-id> --rate-limit 10/s --remaining-uses 500",
        "keyward api-keys update --user-id billing-gateway <key-id> --no-rate-limit --no-remaining-uses --metadata plan=free",
      ),
    );
  handle(updateCommand, async (ctx, keyId) => {
    if (new Set(expiryFlags).size > 1) throw new UsageError("--expiry and --no-expiry contradict each other; give one of them");
    for (const [name, seen] of clearFlags) {
      if (seen.size > 1) throw new UsageError(`--${name} and --no-${name} contradict each other; give one of them`);
    }
    const { apiKey, paths } = apiKeyUpdate(ctx.options, updateRights(ctx.options), Date.now());
    const response = await ctx.api.apiKeys.updateApiKey({ apiKey: { ...apiKey, userId: String(ctx.options["userId"]), id: keyId }, updateMask: { paths } });
    ctx.print(ctx.json ? jsonText(UpdateApiKeyResponseSchema, response) : apiKeyBlock(response.apiKey!));
  });

  handle(
    withUserId(apiKeys.command("delete <key-id>").aliases(["rm", "remove"]).description("delete an API key: it stops working at once")).addHelpText(
      "after",
      examples("keyward api-keys delete --user-id billing-gateway <key-id>"),
    ),
    async (ctx, keyId) => {
      const userId = String(ctx.options["userId"]);
      const response = await ctx.api.apiKeys.deleteApiKey({ userId, keyId });
      ctx.print(ctx.json ? jsonText(DeleteApiKeyResponseSchema, response) : `Deleted API key ${keyId} of user ${userId}.\n`);
    },
  );

  handle(
    withUserId(apiKeys.command("regenerate <key-id>").description("give an API key a new secret (same id and rights); the new key is printed once"))
      .option("--grace-period <duration>", "keep the old secret working this long (at most 7d), for rotation without downtime; default: it stops at once")
      .addHelpText(
        "after",
        examples("keyward api-keys regenerate --user-id billing-gateway <key-id>", "keyward api-keys regenerate --user-id billing-gateway <key-id> --grace-period 1h --json"),
      ),
    async (ctx, keyId) => {
      const grace = ctx.options["gracePeriod"] as string | undefined;
      const response = await ctx.api.apiKeys.regenerateApiKey({
        userId: String(ctx.options["userId"]),
        keyId,
        gracePeriod: grace === undefined ? undefined : parseGracePeriod(grace),
      });
      ctx.print(ctx.json ? jsonText(RegenerateApiKeyResponseSchema, response) : newKeyText(response.apiKey, response.key));
    },
  );

  handle(
    apiKeys
      .command("rotate-self")
      .description("give the API key this command runs with a new secret (needs no right); the new key is printed once")
      .option("--grace <duration>", "keep the old secret working this long (at most 7d), so running clients can switch; default: it stops at once")
      .addHelpText(
        "after",
        examples("KEYWARD_API_KEY=$OLD keyward api-keys rotate-self", "keyward api-keys rotate-self --grace 1h --json | jq -r .key") +
          "\nOnly an API key's current secret can rotate itself (not a session, not an old secret in its grace period).\n" +
          "The key keeps its id, rights, expiry, limits, remaining uses and metadata.\n",
      ),
    async (ctx) => {
      const grace = ctx.options["grace"] as string | undefined;
      const response = await ctx.api.apiKeys.regenerateApiKey({
        userId: "",
        keyId: SELF_KEY_ID,
        gracePeriod: grace === undefined ? undefined : parseGracePeriod(grace, "--grace"),
      });
      ctx.print(ctx.json ? jsonText(RegenerateApiKeyResponseSchema, response) : newKeyText(response.apiKey, response.key));
    },
  );

  return apiKeys;
}
