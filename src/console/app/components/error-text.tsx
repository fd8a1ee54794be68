/** A refusal of the API, in its own words, announced to screen readers. */
import { messageOf } from "../api-error.js";

/** Shows `error`'s message, or nothing. */
export function ErrorText({ error }: { readonly error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      {messageOf(error)}
    </p>
  );
}
