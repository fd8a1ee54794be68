/**
 * Admins holding `RIGHT_ADMIN_WEBHOOKS`: the webhooks of their scope (newest first, paged by the API) with
 * how their deliveries are going (pending, delivered, failed, the last attempt's status or error, the
 * last success), refreshed while the page is open; Create (the signing secret shown once), Edit, Delete
 * and Send test, which shows what the receiver answered.
 */
import { useState } from "react";
import { useMutation, useQuery } from "@connectrpc/connect-query";
import { keepPreviousData } from "@tanstack/react-query";
import { WebhookRegistry, type Webhook } from "../../../../gen/keyward/v1/webhook_pb.js";
import { useCaller } from "../caller.js";
import { DataTable } from "../components/data-table.js";
import { ErrorText } from "../components/error-text.js";
import { Pager, usePaging } from "../components/pager.js";
import { TimeText } from "../components/time-text.js";
import { attemptWords } from "./delivery-words.js";
import { CreateWebhookDialog, DeleteWebhookDialog, EditWebhookDialog, TestWebhookDialog } from "./webhook-dialogs.js";

const WEBHOOKS_PAGE_SIZE = 50;

/** How often the delivery state is asked again while the page is open. */
const DELIVERY_REFRESH_MS = 5_000;

type OpenDialog = { readonly kind: "create" } | { readonly kind: "edit" | "delete"; readonly webhook: Webhook } | { readonly kind: "test"; readonly webhook: Webhook } | undefined;

/** The Webhooks screen. */
export function WebhooksPage() {
  const caller = useCaller();
  const paging = usePaging();
  const [dialog, setDialog] = useState<OpenDialog>(undefined);
  const list = useQuery(
    WebhookRegistry.method.listWebhooks,
    { pageSize: WEBHOOKS_PAGE_SIZE, pageToken: paging.token },
    // A refusal is not asked again every few seconds.
    { placeholderData: keepPreviousData, refetchInterval: (query) => (query.state.status === "error" ? false : DELIVERY_REFRESH_MS) },
  );
  const test = useMutation(WebhookRegistry.method.testWebhook);
  const head = (
    <div className="page-head">
      <h1>Webhooks</h1>
      <p className="muted">
        Addresses that receive {caller.tenant ? `the activity of ${caller.tenant.name || caller.tenant.tenantId}` : "all activity"} as it happens: each event is
        POSTed as JSON, signed with the webhook's secret, and retried for 24 hours until the receiver answers 2xx.
      </p>
    </div>
  );
  // A caller who may not manage webhooks gets the API's refusal as the whole page.
  if (!caller.canAdminWebhooks || (list.isError && list.data === undefined)) {
    return (
      <>
        {head}
        <ErrorText error={list.error} />
      </>
    );
  }
  const webhooks = list.data?.webhooks ?? [];
  return (
    <>
      {head}
      <section className="panel" aria-label="Webhooks">
        <div className="toolbar">
          <span className="grow" />
          <button type="button" className="button button-primary" onClick={() => setDialog({ kind: "create" })}>
            Create webhook
          </button>
        </div>
        <ErrorText error={list.error} />
        <DataTable
          name="Webhooks"
          columns={["URL", "Status", "Deliveries", "Last attempt", "Last success"]}
          actions
          message={list.isPending ? "Loading…" : list.isSuccess && webhooks.length === 0 ? "No webhooks yet. Create one to send activity to another system." : undefined}
        >
          {webhooks.map((webhook) => (
            <WebhookRow
              key={webhook.webhookId}
              webhook={webhook}
              onOpen={(kind) => {
                if (kind === "test") {
                  test.reset();
                  test.mutate({ webhookId: webhook.webhookId });
                }
                setDialog({ kind, webhook });
              }}
            />
          ))}
        </DataTable>
        <Pager paging={paging} nextToken={list.data?.nextPageToken} total={list.data?.totalSize} pageSize={WEBHOOKS_PAGE_SIZE} shown={webhooks.length} noun={["webhook", "webhooks"]} />
      </section>
      {dialog?.kind === "create" && <CreateWebhookDialog onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "edit" && <EditWebhookDialog webhook={dialog.webhook} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "delete" && <DeleteWebhookDialog webhook={dialog.webhook} onClose={() => setDialog(undefined)} />}
      {dialog?.kind === "test" && <TestWebhookDialog webhook={dialog.webhook} test={test} onClose={() => setDialog(undefined)} />}
    </>
  );
}

/** Props of {@link WebhookRow}. */
interface WebhookRowProps {
  readonly webhook: Webhook;
  readonly onOpen: (kind: "test" | "edit" | "delete") => void;
}

function WebhookRow({ webhook, onOpen }: WebhookRowProps) {
  const delivery = webhook.delivery;
  const lastFailed = delivery?.lastError !== undefined && delivery.lastError !== "";
  return (
    <tr data-webhook-id={webhook.webhookId}>
      <td data-label="URL">
        <div>
          <span className="webhook-url mono">{webhook.url}</span>
          <span className="small muted webhook-types">
            {webhook.eventTypes.length === 0 ? "Every event" : `Only ${webhook.eventTypes.join(", ")}`}
            {webhook.tenantId !== "" && ` of ${webhook.tenantId}`}
          </span>
        </div>
      </td>
      <td data-label="Status">
        <span className={webhook.enabled ? "status status-active" : "status status-disabled"}>{webhook.enabled ? "Enabled" : "Disabled"}</span>
      </td>
      <td data-label="Deliveries">
        <dl className="delivery-counts">
          <dt>Pending</dt>
          <dd data-count="pending">{String(delivery?.pending ?? 0n)}</dd>
          <dt>Delivered</dt>
          <dd data-count="delivered">{String(delivery?.delivered ?? 0n)}</dd>
          <dt>Failed</dt>
          <dd data-count="failed" className={delivery && delivery.failed > 0n ? "status-disabled" : undefined}>
            {String(delivery?.failed ?? 0n)}
          </dd>
        </dl>
      </td>
      <td data-label="Last attempt">
        <div>
          <TimeText value={delivery?.lastAttemptAt} fallback="Never" />
          {delivery?.lastAttemptAt && (
            <span className={lastFailed ? "small status-disabled last-attempt" : "small muted last-attempt"}>
              {attemptWords(delivery.lastStatus, delivery.lastError)}
            </span>
          )}
        </div>
      </td>
      <td data-label="Last success">
        <TimeText value={delivery?.lastSuccessAt} fallback="Never" />
      </td>
      <td className="actions">
        <button type="button" className="button button-small" aria-label={`Send test to ${webhook.url}`} onClick={() => onOpen("test")}>
          Send test
        </button>
        <button type="button" className="button button-small" aria-label={`Edit ${webhook.url}`} onClick={() => onOpen("edit")}>
          Edit
        </button>
        <button type="button" className="button button-small button-danger-quiet" aria-label={`Delete ${webhook.url}`} onClick={() => onOpen("delete")}>
          Delete
        </button>
      </td>
    </tr>
  );
}
