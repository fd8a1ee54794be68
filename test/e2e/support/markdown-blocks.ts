/** The fenced code blocks of a Markdown page, for tests that run a page's examples as pasted. */

/** One fenced block: its info string's language (`sh`, `js`, `text`, …), its text, and where it starts. */
export interface CodeBlock {
  readonly lang: string;
  /** The info string's words after the language, e.g. `["no-run"]` for ```` ```sh no-run ````. */
  readonly tags: readonly string[];
  readonly text: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

/**
 * The page's fenced blocks (```lang … ```), in order. Fences indented inside list items count too (their
 * indentation is taken off the block's lines), so no block escapes a test that accounts for every one.
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^( *)```(.*)$/.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const [lang = "", ...tags] = open[2]!.trim().split(/\s+/).filter((word) => word !== "");
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^ *```\s*$/.test(lines[i]!); i++) body.push(lines[i]!.slice(Math.min(indent, /^ */.exec(lines[i]!)![0].length)));
    blocks.push({ lang, tags, text: `${body.join("\n")}\n`, line: start + 1 });
  }
  return blocks;
}
