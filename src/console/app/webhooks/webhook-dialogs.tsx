/**
 * Create, edit, delete and test a webhook: each a dialog whose refusals show the API's message and which,
 * on success, refreshes the webhooks list. A new webhook's signing secret is shown once, as a new key is.
 */
import { useId, useState, type FormEvent } from "react";
import { useMutation } from "@connectrpc/connect-query";
import type { ConnectError } from "@connectrpc/connect";
import type { UseMutationResult } from "@tanstack/react-query";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { WebhookRegistry, type TestWebhookRequestSchema, type TestWebhookResponse, type Webhook } from "../../../../gen/keyward/v1/webhook_pb.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { ErrorText } from "../components/error-text.js";
import { SecretDialog } from "../components/secret-dialog.js";
import { useRefresh } from "../refresh.js";
import { attemptWords } from "./delivery-words.js";

/** The fields a person edits: as typed. */
interface WebhookForm {
  readonly url: string;
  /** Type prefixes, one per line or comma-separated. */
  readonly eventTypes: string;
  readonly enabled: boolean;
}

/** The prefixes of a form's "Event types" text. */
function eventTypesOf(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** URL, event types and enabled, the same in Create and Edit. */
function WebhookFields({ value, onChange }: { readonly value: WebhookForm; readonly onChange: (value: WebhookForm) => void }) {
  const typesId = useId();
  const typesHelpId = useId();
  const urlHelpId = useId();
  return (
    <>
      <label>
        URL
        <input
          type="url"
          required
          autoFocus
          value={value.url}
          onChange={(event) => onChange({ ...value, url: event.target.value })}
          maxLength={2048}
          spellCheck={false}
          placeholder="https://example.com/keyward-events"
          aria-describedby={urlHelpId}
        />
      </label>
      <p className="hint" id={urlHelpId}>
        An https:// address, or http:// to this machine (127.0.0.1, ::1) for testing.
      </p>
      <div className="field">
        <label htmlFor={typesId}>Event types</label>
        <textarea
          id={typesId}
          rows={2}
          value={value.eventTypes}
          onChange={(event) => onChange({ ...value, eventTypes: event.target.value })}
          placeholder="Every event"
          spellCheck={false}
          aria-describedby={typesHelpId}
        />
        <span id={typesHelpId} className="check-help">
          Beginnings of event types, one per line: api_key. sends every API key event, auth.fail every refused credential. Empty: every event.
        </span>
      </div>
      <label className="check">
        <input type="checkbox" checked={value.enabled} onChange={(event) => onChange({ ...value, enabled: event.target.checked })} />
        <span>
          <span className="check-label">Enabled</span>
          <span className="check-help">While disabled, no event is queued for this webhook.</span>
        </span>
      </label>
    </>
  );
}

/** Props shared by the webhook dialogs. */
interface WebhookDialogProps {
  readonly onClose: () => void;
}

/** "Create webhook": URL, event types, enabled; then the signing secret, once. */
export function CreateWebhookDialog({ onClose }: WebhookDialogProps) {
  const [form, setForm] = useState<WebhookForm>({ url: "", eventTypes: "", enabled: true });
  const [secret, setSecret] = useState<string | undefined>(undefined);
  const refresh = useRefresh(WebhookRegistry);
  const create = useMutation(WebhookRegistry.method.createWebhook);
  if (secret !== undefined) {
    return (
      <SecretDialog
        title="Your webhook's signing secret"
        name="webhook-secret"
        secret={secret}
        noun="secret"
        warning="It will not be shown again, and Keyward cannot show it later."
        note={
          <>
            The receiver checks each delivery's <code>X-Keyward-Signature</code> header with it (an HMAC-SHA256 of the timestamp and the body). Lost, it
            cannot be recovered: delete the webhook and create a new one.
          </>
        }
        onClose={onClose}
      />
    );
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await create
      .mutateAsync({ webhook: { url: form.url.trim(), eventTypes: eventTypesOf(form.eventTypes), enabled: form.enabled } })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      setSecret(answer.secret);
    }
  };
  return (
    <Dialog title="Create webhook" name="create-webhook" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <WebhookFields value={form} onChange={setForm} />
        <ErrorText error={create.error} />
        <DialogActions onCancel={onClose} label="Create webhook" pending={create.isPending} />
      </form>
    </Dialog>
  );
}

/** "Edit webhook": URL, event types and enabled, sent with an update mask naming only what changed. */
export function EditWebhookDialog({ webhook, onClose }: WebhookDialogProps & { readonly webhook: Webhook }) {
  const [form, setForm] = useState<WebhookForm>({ url: webhook.url, eventTypes: webhook.eventTypes.join("\n"), enabled: webhook.enabled });
  const refresh = useRefresh(WebhookRegistry);
  const update = useMutation(WebhookRegistry.method.updateWebhook);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const url = form.url.trim();
    const eventTypes = eventTypesOf(form.eventTypes);
    const paths: string[] = [];
    if (url !== webhook.url) paths.push("url");
    if (eventTypes.join("\n") !== webhook.eventTypes.join("\n")) paths.push("event_types");
    if (form.enabled !== webhook.enabled) paths.push("enabled");
    if (paths.length === 0) {
      onClose();
      return;
    }
    const answer = await update
      .mutateAsync({ webhook: { webhookId: webhook.webhookId, url, eventTypes, enabled: form.enabled }, updateMask: { paths } })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      onClose();
    }
  };
  return (
    <Dialog title="Edit webhook" name="edit-webhook" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <WebhookFields value={form} onChange={setForm} />
        <p className="muted">The signing secret stays the same.</p>
        <ErrorText error={update.error} />
        <DialogActions onCancel={onClose} label="Save changes" pending={update.isPending} />
      </form>
    </Dialog>
  );
}

/** "Delete webhook", behind a confirmation. */
export function DeleteWebhookDialog({ webhook, onClose }: WebhookDialogProps & { readonly webhook: Webhook }) {
  const refresh = useRefresh(WebhookRegistry);
  const remove = useMutation(WebhookRegistry.method.deleteWebhook);
  const confirm = async () => {
    const answer = await remove.mutateAsync({ webhookId: webhook.webhookId }).catch(() => undefined);
    if (answer) {
      void refresh();
      onClose();
    }
  };
  const pending = webhook.delivery?.pending ?? 0n;
  return (
    <Dialog title="Delete webhook?" name="delete-webhook" onClose={onClose}>
      <p>
        Delete the webhook to <strong className="mono">{webhook.url}</strong>? It receives no more events
        {pending > 0n ? `, and its ${pending} pending ${pending === 1n ? "delivery is" : "deliveries are"} dropped` : ""}. This cannot be undone.
      </p>
      <ErrorText error={remove.error} />
      <DialogActions onCancel={onClose} label="Delete webhook" pending={remove.isPending} onConfirm={() => void confirm()} />
    </Dialog>
  );
}

/** Props of {@link TestWebhookDialog}. */
export interface TestWebhookDialogProps extends WebhookDialogProps {
  readonly webhook: Webhook;
  /** The test call, started by the row's button (so a re-render never sends a second test). */
  readonly test: UseMutationResult<TestWebhookResponse, ConnectError, MessageInitShape<typeof TestWebhookRequestSchema>>;
}

/** "Send test": what the receiver answered to a signed `webhook.test` event. */
export function TestWebhookDialog({ webhook, test, onClose }: TestWebhookDialogProps) {
  const answer = test.data;
  const ok = answer !== undefined && answer.error === "";
  return (
    <Dialog title="Test delivery" name="test-webhook" onClose={onClose}>
      <p>
        A signed test event, sent once to <strong className="mono">{webhook.url}</strong>. It is not part of the activity and is not retried.
      </p>
      <ErrorText error={test.error} />
      <p role="status" className={answer === undefined ? "muted" : ok ? "status-active test-result" : "status-disabled test-result"}>
        {test.isPending
          ? "Sending…"
          : answer === undefined
            ? ""
            : ok
              ? `Delivered: the receiver answered HTTP ${answer.status}.`
              : `Not delivered: ${attemptWords(answer.status, answer.error)}.`}
      </p>
      {answer?.event && (
        <p className="small muted">
          Event id <span className="mono">{answer.event.id}</span>, type <span className="mono">{answer.event.type}</span>.
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" disabled={test.isPending} onClick={() => test.mutate({ webhookId: webhook.webhookId })}>
          Send again
        </button>
        <button type="button" className="button button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
