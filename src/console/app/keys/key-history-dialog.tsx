/** A key's history: the events of one API key (created, changed, disabled, refused, deleted), newest first. */
import type { ApiKey } from "../../../../gen/keyward/v1/api_key_pb.js";
import { Dialog } from "../components/dialog.js";
import { EventsTable } from "../events/events-table.js";

/** Props of {@link KeyHistoryDialog}. */
export interface KeyHistoryDialogProps {
  readonly apiKey: ApiKey;
  readonly onClose: () => void;
}

/** Shows the events of `apiKey` in a wide dialog. */
export function KeyHistoryDialog({ apiKey, onClose }: KeyHistoryDialogProps) {
  const label = apiKey.name || apiKey.id;
  return (
    <Dialog title={`History of ${label}`} name="key-history" onClose={onClose} wide>
      <p className="muted">
        Everything done to the key <span className="mono">{apiKey.id}</span> and every refused use of it, newest first.
      </p>
      <EventsTable filters={{ userId: apiKey.userId, apiKeyId: apiKey.id }} name={`History of ${label}`} emptyText="No events for this key yet." />
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          Close
        </button>
      </div>
    </Dialog>
  );
}
