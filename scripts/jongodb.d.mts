// Types of scripts/jongodb.mjs, for the TypeScript tests that start and stop the stand-in themselves.
import type { ProcessEnv } from "node:process";

/** A running stand-in. */
export interface RunningJongodb {
  readonly url: string;
  readonly port: number;
  readonly logFile: string;
  stop(): Promise<void>;
}

export function jongodbBinary(): string | undefined;
export function startJongodb(options?: { port?: number }): Promise<RunningJongodb>;
export function mongoLaneUrl(env: ProcessEnv): Promise<{ url: string | undefined; description: string; stop: () => Promise<void> }>;
