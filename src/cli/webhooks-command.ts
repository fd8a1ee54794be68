/**
 * `keyward webhooks create|list|get|update|delete|test`: WebhookRegistry from the terminal, for admins
 * with `RIGHT_ADMIN_WEBHOOKS` (ARCHITECTURE.md, "Events"; docs/webhooks.md). The signing secret is
 * printed once, by `create`.
 */
import { create } from "@bufbuild/protobuf";
import type { Command } from "commander";
import {
  CreateWebhookResponseSchema,
  DeleteWebhookResponseSchema,
  GetWebhookResponseSchema,
  ListWebhooksResponseSchema,
  TestWebhookResponseSchema,
  UpdateWebhookResponseSchema,
} from "../../gen/keyward/v1/webhook_pb.js";
import { addPageOptions, handle, printList } from "./client.js";
import { examples } from "./help.js";
import { jsonText, newWebhookText, webhookBlock, webhooksTable, webhookTestText } from "./output.js";
import { UsageError } from "./usage.js";

const EVENT_HELP = "send only events whose type starts with this (repeatable): e.g. api_key. or auth.fail; default: every event in your scope";

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function addWebhooksCommand(program: Command): Command {
  const webhooks = program
    .command("webhooks")
    .alias("webhook")
    .description("manage webhooks: URLs that receive Keyward's events, signed (admins with RIGHT_ADMIN_WEBHOOKS)");

  handle(
    webhooks
      .command("create")
      .alias("add")
      .description("create a webhook; its signing secret is printed once")
      // Not --url: that global flag names Keyward itself.
      .requiredOption("--webhook-url <url>", "the receiver: https://, or http:// to a loopback address (at most 2048 characters, no user or password); the server delivers only to public addresses and the networks of its --webhook-target-networks")
      .option("--event <type>", EVENT_HELP, collect)
      .addHelpText(
        "after",
        examples(
          "keyward webhooks create --webhook-url https://hooks.example.com/keyward",
          "keyward webhooks create --webhook-url https://hooks.example.com/keys --event api_key. --event auth.fail",
          "SECRET=$(keyward webhooks create --webhook-url http://127.0.0.1:3000/hook --json | jq -r .secret)",
        ) + '\nThe secret is printed once, with the notice "Copy the signing secret now: it will not be shown again."\n',
      ),
    async (ctx) => {
      const { webhookUrl, event } = ctx.options as { webhookUrl: string; event?: string[] };
      const response = await ctx.api.webhooks.createWebhook({ webhook: { url: webhookUrl, eventTypes: event ?? [] } });
      ctx.print(ctx.json ? jsonText(CreateWebhookResponseSchema, response) : newWebhookText(response.webhook, response.secret));
    },
  );

  handle(
    addPageOptions(webhooks.command("list").alias("ls").description("list the webhooks in your scope, newest first, with their delivery state")).addHelpText(
      "after",
      examples("keyward webhooks list", "keyward webhooks list --all --json"),
    ),
    (ctx) =>
      printList(
        ctx,
        async (pageSize, pageToken) => {
          const response = await ctx.api.webhooks.listWebhooks({ pageSize, pageToken });
          return { items: response.webhooks, nextPageToken: response.nextPageToken, totalSize: response.totalSize };
        },
        {
          json: (page) => jsonText(ListWebhooksResponseSchema, create(ListWebhooksResponseSchema, { webhooks: page.items, nextPageToken: page.nextPageToken, totalSize: page.totalSize })),
          table: webhooksTable,
        },
      ),
  );

  handle(
    webhooks
      .command("get <webhook-id>")
      .alias("info")
      .description("show a webhook and how its deliveries are going (never its secret)")
      .addHelpText("after", examples("keyward webhooks get <webhook-id>", "keyward webhooks get <webhook-id> --json")),
    async (ctx, webhookId) => {
      const response = await ctx.api.webhooks.getWebhook({ webhookId });
      ctx.print(ctx.json ? jsonText(GetWebhookResponseSchema, response) : webhookBlock(response.webhook!));
    },
  );

  handle(
    webhooks
      .command("update <webhook-id>")
      .alias("set")
      .description("change a webhook: only the fields given are changed (the secret stays)")
      .option("--webhook-url <url>", "new receiver URL")
      .option("--event <type>", "replace the event filter with these prefixes (repeatable)", collect)
      .option("--all-events", "send every event in your scope (clears the filter)")
      .option("--enable", "send events again")
      .option("--disable", "stop sending: nothing is queued while disabled")
      .addHelpText("after", examples("keyward webhooks update <webhook-id> --disable", "keyward webhooks update <webhook-id> --event api_key. --enable")),
    async (ctx, webhookId) => {
      const options = ctx.options as { webhookUrl?: string; event?: string[]; allEvents?: boolean; enable?: boolean; disable?: boolean };
      if (options.enable && options.disable) throw new UsageError("--enable and --disable contradict each other; give one of them");
      if (options.event && options.allEvents) throw new UsageError("--event and --all-events contradict each other; give one of them");
      const paths: string[] = [];
      if (options.webhookUrl !== undefined) paths.push("url");
      if (options.event !== undefined || options.allEvents) paths.push("event_types");
      if (options.enable || options.disable) paths.push("enabled");
      if (paths.length === 0) throw new UsageError("nothing to update: give at least one of --webhook-url, --event, --all-events, --enable, --disable");
      const response = await ctx.api.webhooks.updateWebhook({
        webhook: { webhookId, url: options.webhookUrl ?? "", eventTypes: options.event ?? [], enabled: options.enable === true },
        updateMask: { paths },
      });
      ctx.print(ctx.json ? jsonText(UpdateWebhookResponseSchema, response) : webhookBlock(response.webhook!));
    },
  );

  handle(
    webhooks
      .command("delete <webhook-id>")
      .aliases(["rm", "remove"])
      .description("delete a webhook and the deliveries still queued for it")
      .addHelpText("after", examples("keyward webhooks delete <webhook-id>")),
    async (ctx, webhookId) => {
      const response = await ctx.api.webhooks.deleteWebhook({ webhookId });
      ctx.print(ctx.json ? jsonText(DeleteWebhookResponseSchema, response) : `Deleted webhook ${webhookId}.\n`);
    },
  );

  handle(
    webhooks
      .command("test <webhook-id>")
      .description("send a signed webhook.test event now, once, and show what the receiver answered (exit 1 unless 2xx)")
      .addHelpText("after", examples("keyward webhooks test <webhook-id>")),
    async (ctx, webhookId) => {
      const response = await ctx.api.webhooks.testWebhook({ webhookId });
      ctx.print(ctx.json ? jsonText(TestWebhookResponseSchema, response) : webhookTestText(response));
      if (response.error !== "") process.exitCode = 1;
    },
  );

  return webhooks;
}
