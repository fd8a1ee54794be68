/** A refusal of the API, in its own words, announced to screen readers. */
import { messageOf, reasonOf, retryAfterSecondsOf } from "../api-error.js";

/** Shows `error`'s message, or nothing; for a refusal a person can act on, also what to do next. */
export function ErrorText({ error }: { readonly error: unknown }) {
  if (error === null || error === undefined) return null;
  const hint = hintFor(error);
  return (
    <p className="error" role="alert">
      <MessageText text={messageOf(error)} />
      {hint !== undefined && <span className="error-hint">{hint}</span>}
    </p>
  );
}

/**
 * What a person can do about a metering refusal (ARCHITECTURE.md, "Keys"), which the API words for every
 * client: it names the key and the limit, but not where in the console to change it.
 */
function hintFor(error: unknown): string | undefined {
  switch (reasonOf(error)) {
    case "API_KEY_RATE_LIMITED": {
      const seconds = retryAfterSecondsOf(error);
      const wait = seconds === undefined ? "a moment" : seconds === 1 ? "a second" : `${seconds} seconds`;
      return `This key has made all the calls its rate limit allows for now. Wait ${wait} and try again, or raise its limit in Edit (signed in with a password or a key without limits).`;
    }
    case "API_KEY_USAGE_EXHAUSTED":
      return "This key has used all its calls. Its owner can give it more uses in Edit, signed in with a password or a key without limits.";
    case "API_KEY_METERED":
      return "A key with a rate limit or usage credits cannot create keys, set passwords or loosen any key's limits. Sign in with a password, or with a key without limits, to do this.";
    default:
      return undefined;
  }
}

/**
 * The API writes its messages for every client, quoting ids and names in Markdown backticks
 * (``user `dana` not found``): the quoted parts are shown as code, without the backticks. An unpaired
 * last backtick is shown as it is.
 */
export function MessageText({ text }: { readonly text: string }) {
  const parts = text.split("`");
  const paired = parts.length % 2 === 1;
  return (
    <>
      {parts.map((part, i) => (i % 2 === 0 ? part : paired || i < parts.length - 1 ? <code key={i}>{part}</code> : `\`${part}`))}
    </>
  );
}
