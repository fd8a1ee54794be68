/** Help text shared by the commands. */

/** An `Examples:` section for `addHelpText("after", …)`. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((line) => `  $ ${line}\n`).join("")}`;
}
