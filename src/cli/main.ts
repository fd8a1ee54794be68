#!/usr/bin/env node
/**
 * The `keyward` command. `serve` runs the server; `bootstrap` creates an admin directly in the store;
 * every other command is a client of the API. Exit codes: 0 success, 1 API or runtime error, 2 usage.
 */
import { Command, CommanderError, Option } from "commander";
import { SETTINGS, type Setting } from "../server/config.js";
import { runBootstrap } from "./bootstrap-command.js";
import { runServe } from "./serve-command.js";

/** Exit code for bad flags or config. */
export const EXIT_USAGE = 2;

function settingOption(setting: Setting): Option {
  const fallback = setting.fallback === "" ? "" : ` (default: ${setting.fallback})`;
  return new Option(`--${setting.flag} <value>`, `${setting.help}; env ${setting.env}${fallback}`);
}

export function createProgram(): Command {
  const program = new Command("keyward")
    .description("Keyward: users and revocable NNSXS API keys with fine-grained rights")
    .showHelpAfterError()
    .exitOverride();

  const serve = program.command("serve").description("run the Keyward server (REST, Connect, gRPC-Web on --http-addr; gRPC on --grpc-addr)");
  for (const setting of Object.values(SETTINGS)) serve.addOption(settingOption(setting));
  serve.action((flags: Record<string, string | undefined>) => runServe(flagsByName(flags)));

  program
    .command("bootstrap")
    .description("create an admin user (or promote an existing one) with a new RIGHT_ALL key, printed once")
    .requiredOption("--user-id <id>", "the admin's user id")
    .addOption(settingOption(SETTINGS.dataDir))
    .addOption(settingOption(SETTINGS.store))
    .addOption(settingOption(SETTINGS.maxKeysPerUser))
    .action((flags: Record<string, string | undefined>) => runBootstrap(flagsByName(flags)));

  return program;
}

/** Commander's camelCase option names back to flag names, as config.ts reads them. */
function flagsByName(flags: Record<string, string | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(flags).map(([name, value]) => [name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), value]));
}

async function main(argv: string[]): Promise<void> {
  try {
    await createProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.stderr.write(`keyward: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
