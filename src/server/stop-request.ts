/**
 * When a running server stops: at the first SIGTERM or SIGINT, or, when npm started it, when the process
 * that launched it goes away. Later signals are logged and ignored, never fatal.
 *
 * Why a second signal does not hurry or kill the server: the same stop often arrives twice. Ctrl-C in a
 * terminal sends SIGINT to the whole process group, and `npm start` (or `npx`) also forwards the SIGINT it
 * got to its child, so the server sees two SIGINTs for one keypress; a process group SIGTERM (a service
 * manager, `kill -- -PGID`) plus npm's forwarding does the same. The drain is bounded anyway
 * (`--shutdown-timeout`), and SIGKILL remains for an immediate stop.
 *
 * Why the launcher is watched: `npx keyward serve` runs `sh -c keyward serve`, and npm forwards a signal
 * only to that shell. The shell dies on SIGTERM without passing it on, leaving the server re-parented to
 * init or a subreaper, serving with nobody left to stop it. Only a process npm started (npm sets
 * `npm_lifecycle_event` for `npm start`, `npm run` and `npx`) is tied to its parent this way: a server
 * started by hand with `nohup … &` must outlive the shell that started it.
 */
import type { Logger } from "../logger.js";

/** Why the server is stopping: the signal it got, or the launcher that went away. */
export type StopCause = { readonly signal: NodeJS.Signals } | { readonly launcherExited: number };

/** How a process listens for its stop. */
export interface StopListening {
  /** Signals that stop this process; every other of SIGTERM and SIGINT is ignored. */
  readonly signals: readonly NodeJS.Signals[];
  /** Stop when the parent process exits (see {@link launchedByNpm}). */
  readonly watchLauncher: boolean;
}

const STOP_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT"];
/** How often the parent's pid is compared; a getppid() call, so nearly free. */
const LAUNCHER_POLL_MS = 250;

/** Whether npm (`npm start`, `npm run`, `npx`) started this process, directly or through its shell. */
export function launchedByNpm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env["npm_lifecycle_event"] !== undefined;
}

/**
 * Installs the handlers now and resolves once with the first stop. The handlers stay for the life of the
 * process, so a signal during the drain (or after it) is logged and ignored instead of killing the
 * process with the signal's default action.
 */
export function untilStopRequested(logger: Logger, options: StopListening): Promise<StopCause> {
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (cause: StopCause) => {
      stopping = true;
      clearInterval(watch);
      resolve(cause);
    };
    for (const signal of STOP_SIGNALS) {
      const stops = options.signals.includes(signal);
      process.on(signal, () => {
        if (!stopping && stops) stop({ signal });
        else if (stopping) logger.info("already shutting down; ignoring the signal (the drain ends by --shutdown-timeout; SIGKILL stops at once)", { signal });
        else logger.debug("ignoring the signal: the cluster's primary stops this worker", { signal });
      });
    }
    const parent = process.ppid;
    const watch = options.watchLauncher
      ? setInterval(() => {
          if (!stopping && process.ppid !== parent) stop({ launcherExited: parent });
        }, LAUNCHER_POLL_MS).unref()
      : undefined;
  });
}

/** The fields that say why a stop began, for the "shutting down" log line. */
export function describeStopCause(cause: StopCause): Record<string, unknown> {
  return "signal" in cause ? { signal: cause.signal } : { launcherExited: cause.launcherExited, reason: "the process that started keyward (npm, or npm's shell) exited" };
}
