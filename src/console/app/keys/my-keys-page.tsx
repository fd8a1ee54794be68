/** "My API keys": the signed-in user's keys. */
import { useCaller } from "../caller.js";
import { KeysPanel } from "./keys-panel.js";

/** The keys screen of the signed-in user. */
export function MyKeysPage() {
  const caller = useCaller();
  return (
    <>
      <div className="page-head">
        <h1>My API keys</h1>
        <p className="muted">
          Keys let programs call the Keyward API as you, with the rights you give them. See the <a href="/docs">API docs</a>.
        </p>
      </div>
      <KeysPanel userId={caller.user.userId} owner={caller.user} title="My API keys" />
    </>
  );
}
