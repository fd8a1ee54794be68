/**
 * Text from the API shown in a terminal. Names, emails and messages are chosen by users, and a store may
 * hold values from before the API refused control characters; printed raw, an ESC sequence can retitle
 * or clear the reader's terminal and a bidi override can make a name read backwards. So every such
 * character is shown escaped, whatever the API returns.
 */

/** Control characters, Unicode bidi controls, line and paragraph separators: never printed raw. */
const UNPRINTABLE = /[\p{Cc}\p{Bidi_Control}\u2028\u2029]/gu;
/** What JSON.stringify leaves raw inside strings (it escapes control characters itself). */
const RAW_IN_JSON = /[\p{Bidi_Control}\u2028\u2029]/gu;

/** `text` with each unprintable character as `\xNN` (below U+0100) or `\uNNNN`. */
export function escapeText(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}

/**
 * JSON text with the characters JSON.stringify leaves raw (bidi controls, U+2028, U+2029) as `\uNNNN`
 * escapes; control characters are escaped by JSON.stringify already. The JSON means the same.
 */
export function escapeJsonText(json: string): string {
  return json.replace(RAW_IN_JSON, (c) => `\\u${hex(c, 4)}`);
}

function escapeOne(c: string): string {
  const code = c.codePointAt(0)!;
  return code < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`;
}

function hex(c: string, digits: number): string {
  return c.codePointAt(0)!.toString(16).toUpperCase().padStart(digits, "0");
}
