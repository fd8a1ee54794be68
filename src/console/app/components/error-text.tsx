/** A refusal of the API, in its own words, announced to screen readers. */
import { messageOf } from "../api-error.js";

/** Shows `error`'s message, or nothing. */
export function ErrorText({ error }: { readonly error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="error" role="alert">
      <MessageText text={messageOf(error)} />
    </p>
  );
}

/**
 * The API writes its messages for every client, quoting ids and names in Markdown backticks
 * (``user `dana` not found``): the quoted parts are shown as code, without the backticks. An unpaired
 * last backtick is shown as it is.
 */
function MessageText({ text }: { readonly text: string }) {
  const parts = text.split("`");
  const paired = parts.length % 2 === 1;
  return (
    <>
      {parts.map((part, i) => (i % 2 === 0 ? part : paired || i < parts.length - 1 ? <code key={i}>{part}</code> : `\`${part}`))}
    </>
  );
}
