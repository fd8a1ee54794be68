/**
 * The one time a key's secret is shown (after Generate or Regenerate): the full key with a copy button
 * and a warning. The key lives only in this dialog's props; closing it drops the last reference, so the
 * secret is nowhere in the page afterwards.
 */
import { useRef, useState } from "react";
import { Dialog } from "../components/dialog.js";

/** Props of {@link NewKeyDialog}. */
export interface NewKeyDialogProps {
  readonly title: string;
  readonly fullKey: string;
  readonly note?: string;
  readonly onClose: () => void;
}

/** Shows a new key once. */
export function NewKeyDialog({ title, fullKey, note, onClose }: NewKeyDialogProps) {
  const [copied, setCopied] = useState<"" | "copied" | "select">("");
  const keyRef = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(fullKey);
      setCopied("copied");
    } catch {
      // No clipboard permission: select the key so Ctrl+C copies it.
      const range = document.createRange();
      if (keyRef.current) range.selectNodeContents(keyRef.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied("select");
    }
  };
  return (
    <Dialog title={title} name="new-key" onClose={onClose} wide>
      <p className="warning" role="note">
        <strong>Copy this key now.</strong> It will not be shown again: Keyward keeps only a hash of it.
      </p>
      {note && <p>{note}</p>}
      <div className="secret-box">
        <code ref={keyRef} className="secret" data-secret="">
          {fullKey}
        </code>
      </div>
      <div className="dialog-actions">
        <span role="status" className="muted">
          {copied === "copied" ? "Copied to the clipboard." : copied === "select" ? "Selected: press Ctrl+C to copy." : ""}
        </span>
        <button type="button" className="button" onClick={() => void copy()}>
          Copy key
        </button>
        <button type="button" className="button button-primary" onClick={onClose}>
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
