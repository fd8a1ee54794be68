/**
 * The CLI as an API client: global flags (`--url`, `--api-key`, `--api-key-file`, `--json`), Connect
 * clients over HTTP/1.1 with `Authorization: Bearer`, error reporting (exit 1 for API errors, 2 for usage)
 * and pagination. The API key never reaches any output: everything written to stderr passes `redact`.
 */
import { readFileSync } from "node:fs";
import { Code, ConnectError, createClient, type Client } from "@connectrpc/connect";
import { Option, type Command } from "commander";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.js";
import type { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import type { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { EventRegistry } from "../../gen/keyward/v1/event_pb.js";
import type { TenantRegistry } from "../../gen/keyward/v1/tenant_pb.js";
import type { WebhookRegistry } from "../../gen/keyward/v1/webhook_pb.js";
import type { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { createKeywardClient, errorReason } from "../client/keyward-client.js";
import { SETTINGS } from "../server/config.js";
import { escapeText } from "./safe-text.js";
import { parsePageSize, UsageError } from "./usage.js";

/** Where `keyward serve` listens by default. */
export const DEFAULT_URL = `http://${SETTINGS.httpAddr.fallback}`;
/** Exit code of a call the API refused or could not answer. */
export const EXIT_API = 1;
/** Values at least this long are redacted; shorter ones would mangle ordinary words. */
const MIN_SECRET_LENGTH = 8;

const secrets = new Set<string>();

/** Marks `value` (and, for an `NNSXS.<id>.<secret>` key, its secret part) as never to be printed. */
export function registerSecret(value: string | undefined): void {
  const trimmed = value?.trim() ?? "";
  if (trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
  const secret = trimmed.split(".")[2];
  if (secret && secret.length >= MIN_SECRET_LENGTH) secrets.add(secret);
}

/** `text` with every registered secret replaced by `[redacted]`. */
export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("[redacted]");
  return out;
}

/** Registers the API key given on the command line or in the environment before anything is parsed. */
export function registerSecretsFromArgv(argv: readonly string[], env: NodeJS.ProcessEnv): void {
  registerSecret(env["KEYWARD_API_KEY"]);
  argv.forEach((arg, index) => {
    if (arg === "--api-key") registerSecret(argv[index + 1]);
    else if (arg.startsWith("--api-key=")) registerSecret(arg.slice("--api-key=".length));
  });
}

export function writeErr(text: string): void {
  process.stderr.write(redact(text));
}

/** The global flags every API command understands, on the root command. */
export function addGlobalOptions(program: Command): void {
  program
    .addOption(new Option("--url <url>", "Keyward's HTTP address (Connect protocol)").env("KEYWARD_URL").default(DEFAULT_URL))
    .addOption(
      new Option("--api-key <key>", "the API key to call with; prefer KEYWARD_API_KEY or --api-key-file, as command lines end up in shell history and process lists").env(
        "KEYWARD_API_KEY",
      ),
    )
    .addOption(new Option("--api-key-file <path>", "read the API key from a file, e.g. data/admin.key (surrounding whitespace is ignored)"))
    .addOption(new Option("--json", "print the API's proto3 JSON instead of tables"));
}

/** The services, ready to call. */
export interface Api {
  readonly users: Client<typeof UserRegistry>;
  readonly apiKeys: Client<typeof ApiKeyRegistry>;
  readonly auth: Client<typeof AuthService>;
  readonly tenants: Client<typeof TenantRegistry>;
  readonly webhooks: Client<typeof WebhookRegistry>;
  readonly events: Client<typeof EventRegistry>;
}

/** What an action gets: its flags (own and global), the output mode and the API. */
export interface Context {
  readonly options: Record<string, unknown>;
  readonly json: boolean;
  readonly api: Api;
  /** Where the API is and the key it is called with, for the calls `api` cannot make (a stream). */
  readonly url: string;
  readonly apiKey: string | undefined;
  print(text: string): void;
}

function readUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--url \`${text}\` is not a URL; write e.g. ${DEFAULT_URL}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--url must be http:// or https://, not ${url.protocol}`);
  return text.replace(/\/+$/, "");
}

function readApiKey(command: Command, options: Record<string, unknown>): string | undefined {
  const file = options["apiKeyFile"] as string | undefined;
  const source = command.getOptionValueSourceWithGlobals("apiKey");
  if (file !== undefined && source === "cli") throw new UsageError("give either --api-key or --api-key-file, not both");
  if (file !== undefined) {
    let contents: string;
    try {
      contents = readFileSync(file, "utf8");
    } catch (error) {
      throw new UsageError(`cannot read --api-key-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    registerSecret(contents);
    const key = contents.trim();
    if (key === "") throw new UsageError(`--api-key-file ${file} is empty`);
    return key;
  }
  if (source === "cli") {
    writeErr("warning: --api-key on the command line shows in shell history and process lists; prefer KEYWARD_API_KEY or --api-key-file\n");
  }
  const key = (options["apiKey"] as string | undefined)?.trim();
  return key === "" ? undefined : key;
}

function createApi(url: string, key: string | undefined): Api {
  // The client's default deadline, like any other program's.
  const client = createKeywardClient({ baseUrl: url, apiKey: key });
  return { ...client, events: createClient(EventRegistry, client.transport) };
}

const NETWORK_ERRORS = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "ETIMEDOUT", "EPIPE"]);

/** `PermissionDenied` → `PERMISSION_DENIED`. */
function codeName(code: Code): string {
  return Code[code].replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase();
}

/** The lines printed for an API error: `error: CODE REASON: message`, then one line per bad field. */
export function formatApiError(error: ConnectError, url: string): string {
  const cause = (error.cause as NodeJS.ErrnoException | undefined)?.code;
  if (error.code === Code.Unavailable && cause !== undefined && NETWORK_ERRORS.has(cause)) {
    return `error: cannot reach Keyward at ${url} (${error.rawMessage}); is \`keyward serve\` running there? Set --url or KEYWARD_URL.\n`;
  }
  // Node's HTTP/1.1 parser rejected the answer (HPE_*): most often the gRPC port, which speaks HTTP/2 only.
  if (cause?.startsWith("HPE_")) {
    return (
      `error: ${url} answered with something other than HTTP/1.1: is this the gRPC port? The CLI uses Keyward's ` +
      `HTTP listener (--http-addr, default ${new URL(DEFAULT_URL).host}); set --url or KEYWARD_URL.\n`
    );
  }
  const reason = errorReason(error);
  // Messages may quote what a caller sent (a field name, a mask path): escaped like every API text.
  let text = `error: ${codeName(error.code)}${reason ? ` ${reason}` : ""}: ${escapeText(error.rawMessage)}\n`;
  for (const badRequest of error.findDetails(BadRequestSchema)) {
    for (const violation of badRequest.fieldViolations) text += `  - ${escapeText(violation.field)}: ${escapeText(violation.description)}\n`;
  }
  if (reason === "CREDENTIALS_MISSING") text += "hint: give an API key with KEYWARD_API_KEY, --api-key-file or --api-key\n";
  if (reason === "TENANT_NOT_EMPTY") text += "hint: `keyward users list --tenant <tenant-id>` lists the tenant's users\n";
  return text;
}

/**
 * Sets `run` as the action of `command`. Usage errors exit 2 with a pointer to `--help`; API errors
 * print `error: CODE REASON: message` and exit 1.
 */
export function handle(command: Command, run: (context: Context, ...args: string[]) => Promise<void>): Command {
  return command.action(async (...params: unknown[]) => {
    const self = params[params.length - 1] as Command;
    const args = params.slice(0, self.registeredArguments.length) as string[];
    const options = self.optsWithGlobals<Record<string, unknown>>();
    let url = DEFAULT_URL;
    try {
      url = readUrl(String(options["url"]));
      const apiKey = readApiKey(self, options);
      const api = createApi(url, apiKey);
      await run({ options, json: options["json"] === true, api, url, apiKey, print: (text) => process.stdout.write(text) }, ...args);
    } catch (error) {
      if (error instanceof UsageError) self.error(`error: ${error.message}`, { exitCode: 2, code: "keyward.usage" });
      if (!(error instanceof ConnectError)) throw error;
      writeErr(formatApiError(error, url));
      process.exitCode = EXIT_API;
    }
  });
}

/** One page of a list call. */
export interface Page<T> {
  readonly items: T[];
  readonly nextPageToken: string;
  readonly totalSize: number;
}

/**
 * One page from `--page-token` (or the first), or with `all` every page from there on. The result's
 * `nextPageToken` is empty after walking every page.
 */
export async function fetchPages<T>(fetch: (pageToken: string) => Promise<Page<T>>, pageToken: string, all: boolean): Promise<Page<T>> {
  let page = await fetch(pageToken);
  const items = [...page.items];
  while (all && page.nextPageToken !== "") {
    page = await fetch(page.nextPageToken);
    items.push(...page.items);
  }
  return { items, nextPageToken: page.nextPageToken, totalSize: page.totalSize };
}

/** Tells a person (on stderr, so stdout stays the table) how to get the next page. */
export function morePagesHint(page: Page<unknown>): string {
  if (page.nextPageToken === "") return "";
  return `(${page.items.length} of ${page.totalSize} shown; next page: --page-token ${page.nextPageToken}, or --all for every page)\n`;
}

/** Common pagination flags of the list commands. */
export function addPageOptions(command: Command): Command {
  return command
    .option("--page-size <n>", "results per page (1 to 1000; the server's default is 50)")
    .option("--page-token <token>", "continue from the next_page_token of an earlier page")
    .option("--all", "walk every page and print all results");
}

/**
 * The body of a list command: reads `--page-size`, `--page-token` and `--all`, fetches, then prints
 * the JSON of all items fetched, or a table with a next-page hint on stderr.
 */
export async function printList<T>(
  ctx: Context,
  fetch: (pageSize: number, pageToken: string) => Promise<Page<T>>,
  output: { json: (page: Page<T>) => string; table: (items: readonly T[]) => string },
): Promise<void> {
  const { pageSize, pageToken, all } = ctx.options as { pageSize?: string; pageToken?: string; all?: boolean };
  const size = pageSize === undefined ? 0 : parsePageSize(pageSize);
  const page = await fetchPages((token) => fetch(size, token), pageToken ?? "", all === true);
  if (ctx.json) {
    ctx.print(output.json(page));
    return;
  }
  ctx.print(output.table(page.items));
  writeErr(morePagesHint(page));
}
