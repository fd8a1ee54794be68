/**
 * `keyward api-keys create|list|get|update|delete|regenerate --user-id <id>`: ApiKeyRegistry from the
 * terminal, with TTN's flags (`--right-*`, `--name`) and aliases (`ls`, `info`, `set`, `rm`).
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
import { addPageOptions, handle, printList } from "./client.js";
import { apiKeyStates } from "./enum-flags.js";
import { examples } from "./help.js";
import { apiKeyBlock, apiKeysTable, jsonText, newKeyText } from "./output.js";
import { addRightsOptions } from "./rights-flags.js";
import { parseGracePeriod, resolveExpiry, UsageError } from "./usage.js";

const EXPIRY_HELP = "when the key stops working, RFC 3339 (e.g. 2027-01-31T00:00:00Z)";
const EXPIRES_IN_HELP = "when the key stops working, from now: e.g. 90d, 12h, 1h30m";
const ALLOWED_IP_HELP = "a network the key may be used from (CIDR or address, IPv4 or IPv6); repeat for more; none: anywhere";

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
  if (paths.length === 0) {
    throw new UsageError("nothing to update: give at least one of --name, a --right-* flag or --rights, --state, --expiry, --expires-in, --no-expiry, --allowed-ip, --any-ip");
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
      .addHelpText(
        "after",
        examples(
          "keyward api-keys create --user-id billing-gateway --name prod --right-user-info --expires-in 90d",
          "keyward api-keys create --user-id billing-gateway --right-user-info --allowed-ip 203.0.113.0/24 --allowed-ip 2001:db8::/32",
          "keyward api-keys create --user-id billing-gateway --rights user_info,user_settings_api_keys --json",
          "KEY=$(keyward api-keys create --user-id ci --right-user-all --json | jq -r .key)",
        ) + "\nThe key is printed once, with the notice \"Copy the key now: it will not be shown again.\"\n",
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
    .on("option:expiry", () => expiryFlags.push("--expiry"))
    .on("option:no-expiry", () => expiryFlags.push("--no-expiry"))
    .addHelpText(
      "after",
      examples(
        "keyward api-keys update --user-id billing-gateway <key-id> --state disabled",
        "keyward api-keys set --user-id billing-gateway <key-id> --rights user_info --expires-in 30d",
        "keyward api-keys update --user-id billing-gateway <key-id> --no-expiry",
        "keyward api-keys update --user-id billing-gateway <key-id> --allowed-ip 198.51.100.7 --allowed-ip 10.0.0.0/8",
      ),
    );
  handle(updateCommand, async (ctx, keyId) => {
    if (new Set(expiryFlags).size > 1) throw new UsageError("--expiry and --no-expiry contradict each other; give one of them");
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

  return apiKeys;
}
