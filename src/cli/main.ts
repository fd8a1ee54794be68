#!/usr/bin/env node
/**
 * The `keyward` command. `serve` runs the server; `bootstrap` creates an admin directly in the store;
 * every other command is a client of the API. Exit codes: 0 success, 1 API or runtime error, 2 usage.
 */
import { Command, CommanderError, Option } from "commander";
import { SETTINGS, type Setting } from "../server/config.js";
import { addApiKeysCommand } from "./api-keys-command.js";
import { addAuthInfoCommand } from "./auth-info-command.js";
import { addGlobalOptions, redact, registerSecretsFromArgv, writeErr } from "./client.js";
import { examples } from "./help.js";
import { addEventsCommand } from "./events-command.js";
import { addTenantsCommand } from "./tenants-command.js";
import { addWebhooksCommand } from "./webhooks-command.js";
import { addUsersCommand } from "./users-command.js";
import { packageVersion } from "./version.js";

/** Exit code for bad flags or config. */
export const EXIT_USAGE = 2;

function settingOption(setting: Setting): Option {
  const fallback = setting.fallback === "" ? "" : ` (default: ${setting.fallback})`;
  return new Option(`--${setting.flag} <value>`, `${setting.help}; env ${setting.env}${fallback}`);
}

export function createProgram(): Command {
  const program = new Command("keyward")
    .description("Keyward: users and revocable NNSXS API keys with fine-grained rights")
    .version(packageVersion(), "-V, --version", "print the version of keyward")
    .configureOutput({ writeErr, writeOut: (text) => process.stdout.write(redact(text)) })
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError("(add --help for usage)")
    .exitOverride()
    .addHelpText(
      "after",
      examples(
        "keyward serve",
        "export KEYWARD_API_KEY=$(cat data/admin.key)",
        "keyward users create billing-gateway --name 'Billing gateway'",
        "keyward api-keys create --user-id billing-gateway --name prod --right-user-info --expires-in 90d",
        "keyward api-keys list --user-id billing-gateway",
      ) + "\nExit codes: 0 success, 1 the API refused or could not be reached, 2 bad usage.\n",
    );
  addGlobalOptions(program);
  // Subcommands are made with `.command()` so they inherit exitOverride, output and help settings.
  addAuthInfoCommand(program);
  addUsersCommand(program);
  addApiKeysCommand(program);
  addTenantsCommand(program);
  addWebhooksCommand(program);
  addEventsCommand(program);

  // serve and bootstrap do not call the API: the client flags are not theirs to show.
  const serve = program.command("serve").description("run the Keyward server (REST, Connect, gRPC-Web on --http-addr; gRPC on --grpc-addr)");
  for (const setting of Object.values(SETTINGS)) serve.addOption(settingOption(setting));
  serve.configureHelp({ showGlobalOptions: false });
  // serve and bootstrap load the server and the store drivers only when run, so API commands start fast.
  serve.action(async (flags: Record<string, string | undefined>) => (await import("./serve-command.js")).runServe(flagsByName(flags)));

  program
    .command("bootstrap")
    .description("create an admin user (or promote an existing one) with a new RIGHT_ALL key, printed once")
    .requiredOption("--user-id <id>", "the admin's user id")
    .addOption(settingOption(SETTINGS.dataDir))
    .addOption(settingOption(SETTINGS.store))
    .addOption(settingOption(SETTINGS.maxKeysPerUser))
    .configureHelp({ showGlobalOptions: false })
    .action(async (flags: Record<string, string | undefined>) => (await import("./bootstrap-command.js")).runBootstrap(flagsByName(flags)));

  return program;
}

/** Commander's camelCase option names back to flag names, as config.ts reads them. */
function flagsByName(flags: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(flags).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]));
}

async function main(argv: string[]): Promise<void> {
  registerSecretsFromArgv(argv, process.env);
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    writeErr(`keyward: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
