/**
 * `keyward events list|tail|verify` (ARCHITECTURE.md, "Events"): the audit trail from the terminal.
 * `list` pages `ListEvents`; `tail` follows `StreamEvents` over Connect (or gRPC with `--grpc`),
 * resuming after the last event it printed whenever the stream ends or breaks; `verify` opens the store
 * itself, like `keyward bootstrap`, and walks the hash chain.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { Command } from "commander";
import { Option } from "commander";
import { EventRegistry, ListEventsResponseSchema, type Event, EventSchema } from "../../gen/keyward/v1/event_pb.js";
import { errorReason } from "../client/keyward-client.js";
import { SETTINGS } from "../server/config.js";
import { addPageOptions, formatApiError, handle, printList, writeErr } from "./client.js";
import { examples } from "./help.js";
import { EVENT_COLUMNS, eventRow, eventsTable, formatTable, jsonText } from "./output.js";
import { parseRfc3339, UsageError } from "./usage.js";

/** How long `tail` waits before it resumes a stream that ended or broke. */
const RESUME_DELAY_MS = 1_000;

export function addEventsCommand(program: Command): Command {
  const events = program
    .command("events")
    .alias("event")
    .description("read the audit trail: what was done to users, keys, sessions and tenants, by whom and from where, and refused credentials");

  handle(
    addFilterOptions(addPageOptions(events.command("list").alias("ls").description("list events, newest first")))
      .option("--before-id <id>", "only events before this event id")
      .option("--since <time>", "only events at or after this RFC 3339 time, e.g. 2027-01-31T00:00:00Z")
      .addHelpText(
        "after",
        examples(
          "keyward events list --user-id billing-gateway",
          "keyward events list --type api_key. --since 2027-01-31T00:00:00Z",
          "keyward events list --type auth.fail --all --json",
        ) + "\nWithout --user-id, every user's events in the caller's scope (needs RIGHT_ADMIN_EVENTS_READ).\n",
      ),
    (ctx) => {
      const { beforeId, since } = ctx.options as { beforeId?: string; since?: string };
      const sinceMs = since === undefined ? undefined : parseRfc3339(since);
      if (since !== undefined && sinceMs === undefined) throw new UsageError(`--since \`${since}\` is not an RFC 3339 time such as 2027-01-31T00:00:00Z`);
      const filter = filterOf(ctx.options);
      return printList(
        ctx,
        async (pageSize, pageToken) => {
          const response = await ctx.api.events.listEvents({
            ...filter,
            beforeId: beforeId ?? "",
            since: sinceMs === undefined ? undefined : timestampFromMs(sinceMs),
            pageSize,
            pageToken,
          });
          // ListEvents counts no total: a trail can be long and counting it costs more than the page.
          return { items: response.events, nextPageToken: response.nextPageToken, totalSize: response.events.length };
        },
        {
          json: (page) => jsonText(ListEventsResponseSchema, create(ListEventsResponseSchema, { events: page.items, nextPageToken: page.nextPageToken })),
          table: eventsTable,
        },
      );
    },
  );

  handle(
    addFilterOptions(events.command("tail").alias("follow").description("print events as they are written, until Ctrl-C"))
      .addOption(new Option("--grpc <host:port>", "stream over gRPC from Keyward's gRPC listener instead of Connect on --url"))
      .addHelpText(
        "after",
        examples("keyward events tail", "keyward events tail --type auth.fail --json", "keyward events tail --user-id billing-gateway --after-id 0000000000000042") +
          "\nA stream that ends or breaks is resumed after the last event printed, so none is missed or printed twice.\n",
      ),
    (ctx) => tail(ctx),
  );

  events
    .command("verify")
    .description("check the events' hash chain in the store itself (like `keyward bootstrap`): names the first edited, deleted or relinked event")
    .addOption(new Option(`--store <store>`, "the store to check: sqlite (<data dir>/keyward.db), sqlite:<path to a .db file>, or a mongodb:// URL").env(SETTINGS.store.env).default(SETTINGS.store.fallback))
    .addOption(new Option(`--data-dir <dir>`, "directory of keyward.db with --store sqlite").env(SETTINGS.dataDir.env).default(SETTINGS.dataDir.fallback))
    .option("--page-size <n>", "events read per page (1 to 10000)", "1000")
    .configureHelp({ showGlobalOptions: false })
    .addHelpText(
      "after",
      examples("keyward events verify", "keyward events verify --store sqlite:/var/lib/keyward/keyward.db", "keyward events verify --store mongodb://db.internal:27017/keyward") +
        "\nExit codes: 0 the chain holds, 1 a broken link (named) or the store could not be read, 2 bad usage.\n",
    )
    .action(async (flags: { store: string; dataDir: string; pageSize: string }) => (await import("./events-verify.js")).runVerify(flags));

  return events;
}

/** The filter flags of `list` and `tail`. */
function addFilterOptions(command: Command): Command {
  return command
    .option("--user-id <id>", "only events whose subject or actor is this user (without it: everyone in scope, RIGHT_ADMIN_EVENTS_READ)")
    .option("--api-key-id <id>", "only events about this API key")
    .option("--type <prefix>", "only events whose type starts with this, e.g. api_key. or auth.fail")
    .option("--after-id <id>", "only events after this event id (tail: resume after it)");
}

function filterOf(options: Record<string, unknown>): { userId: string; apiKeyId: string; type: string; afterId: string } {
  const { userId, apiKeyId, type, afterId } = options as { userId?: string; apiKeyId?: string; type?: string; afterId?: string };
  return { userId: userId ?? "", apiKeyId: apiKeyId ?? "", type: type ?? "", afterId: afterId ?? "" };
}

/** Errors after which the stream is resumed: the server went away, stopped, or ended a slow stream. */
function resumable(error: ConnectError): boolean {
  return error.code === Code.Unavailable || error.code === Code.Canceled || error.code === Code.Internal || errorReason(error) === "EVENTS_STREAM_BEHIND";
}

async function tail(ctx: Parameters<Parameters<typeof handle>[1]>[0]): Promise<void> {
  const { grpc } = ctx.options as { grpc?: string };
  const filter = filterOf(ctx.options);
  const bearer: Interceptor = (next) => (request) => {
    if (ctx.apiKey !== undefined) request.header.set("Authorization", `Bearer ${ctx.apiKey}`);
    return next(request);
  };
  // No deadline: a tail stays open until Ctrl-C.
  const transport: Transport =
    grpc === undefined
      ? createConnectTransport({ baseUrl: ctx.url, httpVersion: "1.1", interceptors: [bearer] })
      : createGrpcTransport({ baseUrl: `http://${grpc}`, interceptors: [bearer] });
  const client = createClient(EventRegistry, transport);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let afterId = filter.afterId;
  let headerPrinted = false;
  const print = (event: Event) => {
    if (ctx.json) {
      ctx.print(jsonText(EventSchema, event).replace(/\n\s*/g, " ").trim() + "\n");
      return;
    }
    // Rows are aligned one at a time: a tail cannot wait to measure every row.
    if (!headerPrinted) ctx.print(formatTable(EVENT_COLUMNS, []).trimEnd() + "\n");
    headerPrinted = true;
    ctx.print(formatTable(EVENT_COLUMNS, [eventRow(event)]).split("\n")[1]! + "\n");
  };
  try {
    while (!stop.signal.aborted) {
      try {
        for await (const response of client.streamEvents({ ...filter, afterId }, { signal: stop.signal })) {
          print(response.event!);
          afterId = response.event!.id;
        }
      } catch (error) {
        if (stop.signal.aborted) break;
        const failure = ConnectError.from(error);
        if (!resumable(failure)) throw failure;
        writeErr(formatApiError(failure, grpc ?? ctx.url).replace(/^error: /, "note: ").trimEnd() + `; resuming${afterId ? ` after ${afterId}` : ""}\n`);
      }
      if (!stop.signal.aborted) await new Promise((resolve) => setTimeout(resolve, RESUME_DELAY_MS));
    }
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
