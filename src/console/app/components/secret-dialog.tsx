/**
 * The one time a secret is shown (a new API key, a webhook's signing secret): the secret with a copy
 * button and a warning. The secret lives only in this dialog's props; closing it drops the last
 * reference, so the secret is nowhere in the page afterwards.
 */
import { useRef, useState, type ReactNode } from "react";
import { Dialog } from "./dialog.js";

/** Props of {@link SecretDialog}. */
export interface SecretDialogProps {
  readonly title: string;
  /** Test hook and styling: names the dialog. */
  readonly name: string;
  readonly secret: string;
  /** The warning, after "Copy this … now.": why it is never shown again. */
  readonly warning: ReactNode;
  /** What is copied, in the warning and the copy button: "key", "secret". */
  readonly noun: string;
  readonly note?: ReactNode;
  readonly onClose: () => void;
}

/** Shows a secret once. */
export function SecretDialog({ title, name, secret, warning, noun, note, onClose }: SecretDialogProps) {
  const [copied, setCopied] = useState<"" | "copied" | "select">("");
  const secretRef = useRef<HTMLElement>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("copied");
    } catch {
      // No clipboard permission: select the secret so Ctrl+C copies it.
      const range = document.createRange();
      if (secretRef.current) range.selectNodeContents(secretRef.current);
      window.getSelection()?.removeAllRanges();
      window.getSelection()?.addRange(range);
      setCopied("select");
    }
  };
  return (
    <Dialog title={title} name={name} onClose={onClose} wide>
      <p className="warning" role="note">
        <strong>Copy this {noun} now.</strong> {warning}
      </p>
      {note && <p>{note}</p>}
      <div className="secret-box">
        <code ref={secretRef} className="secret" data-secret="">
          {secret}
        </code>
      </div>
      <div className="dialog-actions">
        <span role="status" className="muted">
          {copied === "copied" ? "Copied to the clipboard." : copied === "select" ? "Selected: press Ctrl+C to copy." : ""}
        </span>
        <button type="button" className="button" onClick={() => void copy()}>
          Copy {noun}
        </button>
        <button type="button" className="button button-primary" onClick={onClose}>
          I have stored it
        </button>
      </div>
    </Dialog>
  );
}
