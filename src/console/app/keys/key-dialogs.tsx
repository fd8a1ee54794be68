/**
 * Generate, edit, regenerate and delete a key: each a dialog whose refusals show the API's message and
 * which, on success, refreshes every key list.
 */
import { useMemo, useState, type FormEvent } from "react";
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { useMutation } from "@connectrpc/connect-query";
import { ApiKeyRegistry, type ApiKey } from "../../../../gen/keyward/v1/api_key_pb.js";
import { Dialog, DialogActions } from "../components/dialog.js";
import { fieldProblemsOf } from "../api-error.js";
import { ErrorText } from "../components/error-text.js";
import { formatTime } from "../format.js";
import { expiryTimestamp, type ExpiryChoice } from "./expiry.js";
import { ExpiryField, grantedRights, networkEntries, NetworksField, RightsField } from "./key-fields.js";
import { changedLimitPaths, duplicateMetadataRows, limitsFields, limitsInput, type LimitsInput } from "./key-limits.js";
import { LimitsFields } from "./limits-fields.js";
import { NewKeyDialog } from "./new-key-dialog.js";
import { useRefresh } from "../refresh.js";
import type { KeyOwner } from "../rights.js";

/** Props shared by the key dialogs. */
interface KeyDialogProps {
  readonly onClose: () => void;
}

/** "Generate API key": name, rights, expiry, networks, limits and metadata; then the key, once. */
export function GenerateKeyDialog({ userId, owner, onClose }: KeyDialogProps & { readonly userId: string; readonly owner: KeyOwner }) {
  const [name, setName] = useState("");
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [expiry, setExpiry] = useState<ExpiryChoice>({ kind: "never" });
  const [networks, setNetworks] = useState("");
  const [limits, setLimits] = useState<LimitsInput>(() => limitsInput());
  const [fullKey, setFullKey] = useState<string | undefined>(undefined);
  const refresh = useRefresh(ApiKeyRegistry);
  const create = useMutation(ApiKeyRegistry.method.createApiKey);
  const problems = useMemo(() => fieldProblemsOf(create.error), [create.error]);
  if (fullKey !== undefined) return <NewKeyDialog title="Your new API key" fullKey={fullKey} onClose={onClose} />;
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (duplicateMetadataRows(limits.metadata).size > 0) return;
    const expiresAt = expiryTimestamp(expiry) ?? undefined;
    const answer = await create
      .mutateAsync({ userId, name: name.trim(), rights: grantedRights(selected), expiresAt, allowedIps: networkEntries(networks), ...limitsFields(limits) })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      setFullKey(answer.key);
    }
  };
  return (
    <Dialog title="Generate API key" name="generate-key" onClose={onClose} wide>
      <form className="form" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={50} placeholder="What the key is for" autoFocus />
        </label>
        <RightsField owner={owner} selected={selected} onChange={setSelected} />
        <div className="fields-row">
          <ExpiryField value={expiry} onChange={setExpiry} />
          <NetworksField value={networks} onChange={setNetworks} />
          <LimitsFields value={limits} onChange={setLimits} problems={problems} startOpen={false} />
        </div>
        <ErrorText error={create.error} />
        <DialogActions onCancel={onClose} label="Generate key" pending={create.isPending} />
      </form>
    </Dialog>
  );
}

/**
 * "Edit API key": name, rights, expiry, networks, limits and metadata, sent with an update mask naming only
 * what changed.
 */
export function EditKeyDialog({ apiKey, owner, onClose }: KeyDialogProps & { readonly apiKey: ApiKey; readonly owner: KeyOwner }) {
  const [name, setName] = useState(apiKey.name);
  const [selected, setSelected] = useState<Set<number>>(new Set(apiKey.rights));
  const [expiry, setExpiry] = useState<ExpiryChoice>({ kind: "keep" });
  const [networks, setNetworks] = useState(apiKey.allowedIps.join("\n"));
  const [initialLimits] = useState<LimitsInput>(() => limitsInput(apiKey));
  const [limits, setLimits] = useState<LimitsInput>(initialLimits);
  const refresh = useRefresh(ApiKeyRegistry);
  const update = useMutation(ApiKeyRegistry.method.updateApiKey);
  const problems = useMemo(() => fieldProblemsOf(update.error), [update.error]);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const paths: string[] = [];
    const newRights = grantedRights(selected);
    if (name.trim() !== apiKey.name) paths.push("name");
    if (newRights.join() !== [...apiKey.rights].sort((a, b) => a - b).join()) paths.push("rights");
    const expiresAt = expiryTimestamp(expiry);
    if (expiresAt !== null) paths.push("expires_at");
    const allowedIps = networkEntries(networks);
    if (allowedIps.join() !== apiKey.allowedIps.join()) paths.push("allowed_ips");
    if (duplicateMetadataRows(limits.metadata).size > 0) return;
    paths.push(...changedLimitPaths(apiKey, initialLimits, limits));
    if (paths.length === 0) {
      onClose();
      return;
    }
    const answer = await update
      .mutateAsync({
        apiKey: { userId: apiKey.userId, id: apiKey.id, name: name.trim(), rights: newRights, expiresAt: expiresAt ?? undefined, allowedIps, ...limitsFields(limits) },
        updateMask: { paths },
      })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      onClose();
    }
  };
  return (
    <Dialog title={`Edit API key ${apiKey.name || apiKey.id}`} name="edit-key" onClose={onClose} wide>
      <form className="form" onSubmit={submit}>
        <label>
          Name
          <input value={name} onChange={(event) => setName(event.target.value)} maxLength={50} autoFocus />
        </label>
        <RightsField owner={owner} selected={selected} onChange={setSelected} />
        <div className="fields-row">
          <ExpiryField value={expiry} onChange={setExpiry} current={formatTime(apiKey.expiresAt, "never").text} />
          <NetworksField value={networks} onChange={setNetworks} />
          <LimitsFields value={limits} onChange={setLimits} problems={problems} startOpen={hasLimitsOrMetadata(initialLimits)} />
        </div>
        <ErrorText error={update.error} />
        <DialogActions onCancel={onClose} label="Save changes" pending={update.isPending} />
      </form>
    </Dialog>
  );
}

/** Whether a key has anything the limits part of the dialog shows, so the dialog opens it. */
function hasLimitsOrMetadata(limits: LimitsInput): boolean {
  return limits.rateLimit.amount !== "" || limits.remainingUses !== "" || limits.refill.amount !== "" || limits.metadata.length > 0;
}

/** Grace periods offered on regenerate (the API allows up to 7 days). */
const GRACE_CHOICES: ReadonlyArray<{ readonly label: string; readonly ms: number }> = [
  { label: "None: the old secret stops working now", ms: 0 },
  { label: "1 hour", ms: 3_600_000 },
  { label: "24 hours", ms: 86_400_000 },
  { label: "7 days", ms: 7 * 86_400_000 },
];

/** "Regenerate" (TrueNAS's Reset): a new secret for the same key, with an optional grace period. */
export function RegenerateKeyDialog({ apiKey, onClose }: KeyDialogProps & { readonly apiKey: ApiKey }) {
  const [graceMs, setGraceMs] = useState(0);
  const [fullKey, setFullKey] = useState<string | undefined>(undefined);
  const refresh = useRefresh(ApiKeyRegistry);
  const regenerate = useMutation(ApiKeyRegistry.method.regenerateApiKey);
  if (fullKey !== undefined) {
    const note =
      graceMs > 0 ? `The old secret keeps working for ${GRACE_CHOICES.find((c) => c.ms === graceMs)?.label}, then stops.` : "The old secret no longer works.";
    return <NewKeyDialog title={`New secret for ${apiKey.name || apiKey.id}`} fullKey={fullKey} note={note} onClose={onClose} />;
  }
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const answer = await regenerate
      .mutateAsync({ userId: apiKey.userId, keyId: apiKey.id, gracePeriod: graceMs > 0 ? durationFromMs(graceMs) : undefined })
      .catch(() => undefined);
    if (answer) {
      void refresh();
      setFullKey(answer.key);
    }
  };
  return (
    <Dialog title={`Regenerate ${apiKey.name || apiKey.id}`} name="regenerate-key" onClose={onClose}>
      <form className="form" onSubmit={submit}>
        <p>The key keeps its id, name, rights, expiry, limits, remaining uses and metadata and gets a new secret. Clients must switch to the new key.</p>
        <label>
          Grace period for the old secret
          <select value={graceMs} onChange={(event) => setGraceMs(Number(event.target.value))}>
            {GRACE_CHOICES.map((choice) => (
              <option key={choice.ms} value={choice.ms}>
                {choice.label}
              </option>
            ))}
          </select>
        </label>
        <ErrorText error={regenerate.error} />
        <DialogActions onCancel={onClose} label="Regenerate" pending={regenerate.isPending} />
      </form>
    </Dialog>
  );
}

/** "Delete API key", behind a confirmation. */
export function DeleteKeyDialog({ apiKey, onClose }: KeyDialogProps & { readonly apiKey: ApiKey }) {
  const refresh = useRefresh(ApiKeyRegistry);
  const remove = useMutation(ApiKeyRegistry.method.deleteApiKey);
  const confirm = async () => {
    const answer = await remove.mutateAsync({ userId: apiKey.userId, keyId: apiKey.id }).catch(() => undefined);
    if (answer) {
      void refresh();
      onClose();
    }
  };
  return (
    <Dialog title="Delete API key?" name="delete-key" onClose={onClose}>
      <p>
        Delete <strong>{apiKey.name || apiKey.id}</strong>? Every client using it is refused from its next call. This cannot be undone.
      </p>
      <ErrorText error={remove.error} />
      <DialogActions onCancel={onClose} label="Delete key" pending={remove.isPending} onConfirm={() => void confirm()} />
    </Dialog>
  );
}
