/**
 * `keyward tenants create|get|list|update|delete`: TenantRegistry from the terminal, for system admins
 * (ARCHITECTURE.md, "Tenants"). A tenant's users are created with `keyward users create --tenant`.
 */
import { create } from "@bufbuild/protobuf";
import type { Command } from "commander";
import {
  CreateTenantResponseSchema,
  DeleteTenantResponseSchema,
  GetTenantResponseSchema,
  ListTenantsResponseSchema,
  UpdateTenantResponseSchema,
} from "../../gen/keyward/v1/tenant_pb.js";
import { addPageOptions, handle, printList } from "./client.js";
import { examples } from "./help.js";
import { jsonText, tenantBlock, tenantsTable } from "./output.js";
import { UsageError } from "./usage.js";

export function addTenantsCommand(program: Command): Command {
  const tenants = program
    .command("tenants")
    .alias("tenant")
    .description("manage tenants: groups of users with admins of their own (system admins only)");

  handle(
    tenants
      .command("create <tenant-id>")
      .alias("add")
      .description("create a tenant; then create its users (and its admins) with `keyward users create --tenant`")
      .option("--name <name>", "display name")
      .addHelpText(
        "after",
        examples("keyward tenants create acme --name 'Acme Corp'", "keyward users create acme-admin --tenant acme --admin", "keyward users create acme-billing --tenant acme"),
      ),
    async (ctx, tenantId) => {
      const { name } = ctx.options as { name?: string };
      const response = await ctx.api.tenants.createTenant({ tenant: { tenantId, name: name ?? "" } });
      ctx.print(ctx.json ? jsonText(CreateTenantResponseSchema, response) : tenantBlock(response.tenant!));
    },
  );

  handle(
    tenants
      .command("get <tenant-id>")
      .alias("info")
      .description("show a tenant")
      .addHelpText("after", examples("keyward tenants get acme", "keyward tenants get acme --json")),
    async (ctx, tenantId) => {
      const response = await ctx.api.tenants.getTenant({ tenantId });
      ctx.print(ctx.json ? jsonText(GetTenantResponseSchema, response) : tenantBlock(response.tenant!));
    },
  );

  handle(
    addPageOptions(tenants.command("list").alias("ls").description("list tenants, newest first")).addHelpText(
      "after",
      examples("keyward tenants list", "keyward tenants list --page-size 100 --all --json"),
    ),
    (ctx) =>
      printList(
        ctx,
        async (pageSize, pageToken) => {
          const response = await ctx.api.tenants.listTenants({ pageSize, pageToken });
          return { items: response.tenants, nextPageToken: response.nextPageToken, totalSize: response.totalSize };
        },
        {
          json: (page) => jsonText(ListTenantsResponseSchema, create(ListTenantsResponseSchema, { tenants: page.items, nextPageToken: page.nextPageToken, totalSize: page.totalSize })),
          table: tenantsTable,
        },
      ),
  );

  handle(
    tenants
      .command("update <tenant-id>")
      .alias("set")
      .description("change a tenant: only the fields given are changed")
      .option("--name <name>", "new display name")
      .addHelpText("after", examples("keyward tenants update acme --name 'Acme Inc.'")),
    async (ctx, tenantId) => {
      const { name } = ctx.options as { name?: string };
      if (name === undefined) throw new UsageError("nothing to update: give --name");
      const response = await ctx.api.tenants.updateTenant({ tenant: { tenantId, name }, updateMask: { paths: ["name"] } });
      ctx.print(ctx.json ? jsonText(UpdateTenantResponseSchema, response) : tenantBlock(response.tenant!));
    },
  );

  handle(
    tenants
      .command("delete <tenant-id>")
      .aliases(["rm", "remove"])
      .description("delete a tenant; refused (TENANT_NOT_EMPTY) while it has users: delete them first")
      .addHelpText("after", examples("keyward tenants delete acme")),
    async (ctx, tenantId) => {
      const response = await ctx.api.tenants.deleteTenant({ tenantId });
      ctx.print(ctx.json ? jsonText(DeleteTenantResponseSchema, response) : `Deleted tenant ${tenantId}.\n`);
    },
  );

  return tenants;
}
