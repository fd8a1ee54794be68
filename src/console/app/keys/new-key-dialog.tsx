/** The one time a key's secret is shown (after Generate or Regenerate): the full key, once. */
import { SecretDialog } from "../components/secret-dialog.js";

/** Props of {@link NewKeyDialog}. */
export interface NewKeyDialogProps {
  readonly title: string;
  readonly fullKey: string;
  readonly note?: string;
  readonly onClose: () => void;
}

/** Shows a new key once. */
export function NewKeyDialog({ title, fullKey, note, onClose }: NewKeyDialogProps) {
  return (
    <SecretDialog
      title={title}
      name="new-key"
      secret={fullKey}
      noun="key"
      warning="It will not be shown again: Keyward keeps only a hash of it."
      note={note}
      onClose={onClose}
    />
  );
}
