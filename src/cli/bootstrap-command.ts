import { loadConfig } from "../server/config.js";
import { createAdmin } from "../server/bootstrap.js";
import { checkUserId, Violations } from "../services/validation.js";
import { openStore } from "../store/open-store.js";

/** `keyward bootstrap --user-id <id>`: opens the store directly (the one command that does). */
export async function runBootstrap(flags: Record<string, string | undefined>): Promise<void> {
  const loaded = loadConfig(flags, process.env);
  const userId = flags["user-id"] ?? "";
  const v = new Violations();
  checkUserId(v, "--user-id", userId);
  const problems = loaded.ok ? [] : loaded.problems;
  try {
    v.done();
  } catch (error) {
    problems.push((error as Error).message.replace(/^invalid request: /, ""));
  }
  if (!loaded.ok || problems.length > 0) {
    for (const problem of problems) process.stderr.write(`keyward bootstrap: ${problem}\n`);
    process.exitCode = 2;
    return;
  }
  const store = await openStore({ store: loaded.config.store, dataDir: loaded.config.dataDir });
  try {
    const { key, outcome } = await createAdmin(store, userId, loaded.config.maxKeysPerUser);
    // Say what happened: an operator locked out needs to know whether an existing account was changed.
    const what = outcome === "created" ? `Created admin user ${userId}` : `Promoted existing user ${userId} to an active admin`;
    process.stdout.write(`${what} and gave it a new RIGHT_ALL API key.\n`);
    process.stdout.write("Copy the key now: it will not be shown again.\n\n");
    process.stdout.write(`${key}\n`);
  } finally {
    await store.close();
  }
}
