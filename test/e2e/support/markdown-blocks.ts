/** The fenced code blocks of a Markdown page, for tests that run a page's examples as pasted. */

/** One fenced block: its info string's language (`sh`, `js`, `text`, …), its text, and where it starts. */
export interface CodeBlock {
  readonly lang: string;
  readonly text: string;
  /** 1-based line of the opening fence, for messages. */
  readonly line: number;
}

/** The page's fenced blocks (```lang … ```), in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.startsWith("```"); i++) body.push(lines[i]!);
    blocks.push({ lang: open[1]!, text: `${body.join("\n")}\n`, line: start + 1 });
  }
  return blocks;
}
