// Literal matching with $regex, for the key list's name search and the event list's type prefix.

/** A regular expression source matching `text` literally (every metacharacter escaped). */
export function literalPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|\-/]/g, "\\$&");
}
