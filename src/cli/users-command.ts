/** `keyward users create|get|list|update|set-password|delete`: UserRegistry from the terminal. */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Option, type Command } from "commander";
import {
  CreateUserResponseSchema,
  DeleteUserResponseSchema,
  GetUserResponseSchema,
  ListUsersResponseSchema,
  UpdatePasswordResponseSchema,
  UpdateUserResponseSchema,
  type UserSchema,
} from "../../gen/keyward/v1/user_pb.js";
import { addPageOptions, handle, printList, registerSecret } from "./client.js";
import { userStates } from "./enum-flags.js";
import { examples } from "./help.js";
import { jsonText, userBlock, usersTable } from "./output.js";
import { readPasswordInput } from "./password-input.js";
import { UsageError } from "./usage.js";

/** The update mask paths and values of `users update`, from the flags given. */
export function userUpdate(options: Record<string, unknown>): { user: MessageInitShape<typeof UserSchema>; paths: string[] } {
  const state = options["state"] === undefined ? undefined : userStates.parse(String(options["state"]));
  const given = Object.entries({ name: options["name"], email: options["email"], admin: options["admin"], state }).filter(([, value]) => value !== undefined);
  if (given.length === 0) throw new UsageError("nothing to update: give at least one of --name, --email, --admin/--no-admin, --state");
  return { user: Object.fromEntries(given) as MessageInitShape<typeof UserSchema>, paths: given.map(([path]) => path) };
}

export function addUsersCommand(program: Command): Command {
  const users = program.command("users").alias("user").description("manage users (admins manage anyone; a user may read and change their own)");

  handle(
    users
      .command("create <user-id>")
      .alias("add")
      .description("create a user")
      .option("--name <name>", "display name")
      .option("--email <email>", "contact email")
      .option("--admin", "make the user an admin (may hold RIGHT_ADMIN_* rights); with --tenant, an admin of that tenant's users only")
      .option("--tenant <tenant-id>", "create the user in this tenant, where it stays (system admins; a tenant admin's users land in its own tenant)")
      .addHelpText(
        "after",
        examples(
          "keyward users create billing-gateway --name 'Billing gateway' --email ops@example.com",
          "keyward users create ops-alice --admin",
          "keyward users create acme-admin --tenant acme --admin",
        ),
      ),
    async (ctx, userId) => {
      const { name, email, admin, tenant } = ctx.options as { name?: string; email?: string; admin?: boolean; tenant?: string };
      const response = await ctx.api.users.createUser({ user: { userId, name: name ?? "", email: email ?? "", admin: admin === true, tenantId: tenant ?? "" } });
      ctx.print(ctx.json ? jsonText(CreateUserResponseSchema, response) : userBlock(response.user!));
    },
  );

  handle(
    users
      .command("get <user-id>")
      .alias("info")
      .description("show a user")
      .addHelpText("after", examples("keyward users get billing-gateway", "keyward users get billing-gateway --json")),
    async (ctx, userId) => {
      const response = await ctx.api.users.getUser({ userId });
      ctx.print(ctx.json ? jsonText(GetUserResponseSchema, response) : userBlock(response.user!));
    },
  );

  handle(
    addPageOptions(
      users
        .command("list")
        .alias("ls")
        .description("list users, newest first (admins only; a tenant admin sees its own tenant's users)")
        .option("--tenant <tenant-id>", "only the users of this tenant"),
    ).addHelpText("after", examples("keyward users list", "keyward users list --tenant acme", "keyward users list --page-size 100 --all --json")),
    (ctx) =>
      printList(
        ctx,
        async (pageSize, pageToken) => {
          const response = await ctx.api.users.listUsers({ pageSize, pageToken, tenantId: (ctx.options["tenant"] as string | undefined) ?? "" });
          return { items: response.users, nextPageToken: response.nextPageToken, totalSize: response.totalSize };
        },
        {
          json: (page) => jsonText(ListUsersResponseSchema, create(ListUsersResponseSchema, { users: page.items, nextPageToken: page.nextPageToken, totalSize: page.totalSize })),
          table: usersTable,
        },
      ),
  );

  handle(
    users
      .command("update <user-id>")
      .alias("set")
      .description("change a user: only the fields given are changed (admin and state need an admin)")
      .option("--name <name>", "new display name")
      .option("--email <email>", "new contact email (empty to remove)")
      .option("--admin", "make the user an admin")
      .option("--no-admin", "make the user a regular user")
      .addOption(new Option("--state <state>", "suspended: the user's keys stop working (kept); active: they work again").choices(userStates.words))
      .addHelpText("after", examples("keyward users update billing-gateway --name 'Billing (prod)'", "keyward users update billing-gateway --state suspended", "keyward users update ops-alice --no-admin")),
    async (ctx, userId) => {
      const { user, paths } = userUpdate(ctx.options);
      const response = await ctx.api.users.updateUser({ user: { ...user, userId }, updateMask: { paths } });
      ctx.print(ctx.json ? jsonText(UpdateUserResponseSchema, response) : userBlock(response.user!));
    },
  );

  handle(
    users
      .command("set-password <user-id>")
      .alias("passwd")
      .description(
        "set or change the password a user signs in with (the console, SessionRegistry.CreateSession); asked twice without echo, or read from stdin",
      )
      .option("--current", "also ask for the current password: needed on your own user once it has one")
      .option("--password-stdin", "read the new password from stdin's first line (with --current: the current one first, the new one second)")
      .option("--revoke-sessions", "end every other session of the user at once")
      .addHelpText(
        "after",
        examples(
          "keyward users set-password admin --api-key-file data/admin.key   # a fresh install's first password",
          "keyward users set-password ops-alice --revoke-sessions",
          "printf '%s\\n' \"$NEW_PASSWORD\" | keyward users set-password ci-bot --password-stdin",
        ),
      ),
    async (ctx, userId) => {
      const { current, passwordStdin, revokeSessions } = ctx.options as { current?: boolean; passwordStdin?: boolean; revokeSessions?: boolean };
      const input = await readPasswordInput({ fromStdin: passwordStdin === true, withCurrent: current === true, userId });
      registerSecret(input.next);
      registerSecret(input.current);
      const response = await ctx.api.users.updatePassword({
        userId,
        newPassword: input.next,
        currentPassword: input.current ?? "",
        revokeAllSessions: revokeSessions === true,
      });
      ctx.print(
        ctx.json
          ? jsonText(UpdatePasswordResponseSchema, response)
          : `Password of ${userId} set${revokeSessions === true ? "; its other sessions ended" : ""}. Sign in with it in the console or with SessionRegistry.CreateSession.\n`,
      );
    },
  );

  handle(
    users
      .command("delete <user-id>")
      .aliases(["rm", "remove"])
      .description("delete a user and every API key of that user")
      .addHelpText("after", examples("keyward users delete billing-gateway")),
    async (ctx, userId) => {
      const response = await ctx.api.users.deleteUser({ userId });
      ctx.print(ctx.json ? jsonText(DeleteUserResponseSchema, response) : `Deleted user ${userId} and all of its API keys.\n`);
    },
  );

  return users;
}
