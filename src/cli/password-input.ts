/**
 * Reading passwords for `keyward users set-password`: from the terminal without echo (asked twice, so a
 * typo does not lock anyone out), or from stdin with `--password-stdin` for scripts. Never from a flag:
 * command lines end up in shell history and process lists.
 */
import { UsageError } from "./usage.js";

/** What `set-password` sends: the new password and, when asked for, the current one. */
export interface PasswordInput {
  readonly current: string | undefined;
  readonly next: string;
}

/**
 * Reads the passwords. From stdin: the first line is the new password, or, with `withCurrent`, the first
 * line the current password and the second the new one (a trailing newline is not part of either).
 */
export async function readPasswordInput(options: { fromStdin: boolean; withCurrent: boolean; userId: string }): Promise<PasswordInput> {
  if (options.fromStdin) {
    const lines = (await readAll(process.stdin)).split(/\r?\n/);
    const wanted = options.withCurrent ? 2 : 1;
    const given = lines.slice(0, wanted);
    if (given.length < wanted || given.some((line) => line === "")) {
      throw new UsageError(
        options.withCurrent
          ? "--password-stdin with --current: stdin must hold the current password on its first line and the new one on its second"
          : "--password-stdin: stdin must hold the new password on its first line",
      );
    }
    return options.withCurrent ? { current: given[0], next: given[1]! } : { current: undefined, next: given[0]! };
  }
  if (!process.stdin.isTTY) throw new UsageError("stdin is not a terminal, so there is nowhere to ask for the password: pipe it in with --password-stdin");
  const current = options.withCurrent ? await askHidden("Current password: ") : undefined;
  const next = await askHidden(`New password for ${options.userId}: `);
  if ((await askHidden("Repeat the new password: ")) !== next) throw new UsageError("the two new passwords differ; nothing was changed");
  return { current, next };
}

function readAll(stream: NodeJS.ReadStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => (text += chunk));
    stream.once("end", () => resolve(text));
    stream.once("error", reject);
  });
}

const ENTER = new Set(["\r", "\n", "\u0004"]);
const BACKSPACE = new Set(["\u007f", "\b"]);

/** One line from the terminal in raw mode, echoing nothing; the prompt goes to stderr, as stdout may be piped. */
function askHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  return new Promise((resolve, reject) => {
    let typed = "";
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === "\u0003") return finish(new UsageError("cancelled; nothing was changed"));
        if (ENTER.has(char)) return finish();
        if (BACKSPACE.has(char)) typed = [...typed].slice(0, -1).join("");
        else if (char >= " ") typed += char;
      }
    };
    input.setEncoding("utf8");
    // Echo off before the prompt shows: whatever is typed once it is visible is never echoed.
    input.setRawMode(true);
    process.stderr.write(prompt);
    input.resume();
    input.on("data", onData);
  });
}
