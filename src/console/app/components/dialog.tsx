/**
 * A modal dialog on the native `<dialog>` element: `showModal()` makes the rest of the page inert, keeps
 * keyboard focus inside, closes on Escape and returns focus to where it was, which screen readers and
 * keyboard users rely on.
 */
import { useEffect, useId, useRef, type ReactNode } from "react";

/** Props of {@link Dialog}. */
export interface DialogProps {
  readonly title: string;
  /** Called on Escape or the close button; the parent unmounts the dialog. */
  readonly onClose: () => void;
  readonly children: ReactNode;
  /** Test hook and styling: names the dialog. */
  readonly name: string;
  readonly wide?: boolean;
}

/** Renders `children` in a modal dialog while mounted. */
export function Dialog({ title, onClose, children, name, wide }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);
  return (
    <dialog
      ref={ref}
      className={wide ? "dialog dialog-wide" : "dialog"}
      aria-labelledby={titleId}
      data-dialog={name}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <div className="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="button-icon" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {children}
    </dialog>
  );
}

/** Props of {@link DialogActions}. */
export interface DialogActionsProps {
  readonly onCancel: () => void;
  /** The action button's text, e.g. "Generate key". */
  readonly label: string;
  readonly pending: boolean;
  /**
   * A destructive confirmation: the button is red and runs `onConfirm`, and Cancel has the focus, so
   * Enter does not delete. Without it the button submits the dialog's form.
   */
  readonly onConfirm?: () => void;
}

/** The row of Cancel and the dialog's action, the same in every dialog. */
export function DialogActions({ onCancel, label, pending, onConfirm }: DialogActionsProps) {
  const destructive = onConfirm !== undefined;
  return (
    <div className="dialog-actions">
      <button type="button" className="button" onClick={onCancel} autoFocus={destructive}>
        Cancel
      </button>
      <button
        type={destructive ? "button" : "submit"}
        className={destructive ? "button button-danger" : "button button-primary"}
        onClick={onConfirm}
        disabled={pending}
      >
        {label}
      </button>
    </div>
  );
}
