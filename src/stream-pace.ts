/**
 * How a server stream's reader keeps up, as the door writing the stream sees it (leaf module). The door
 * (transport/stream-pump.ts) marks the pace stalled when its reader took nothing for the stall time; the
 * producer, which knows what its messages mean, ends the stream at its next message with its own
 * refusal (the event tail's `EVENTS_STREAM_BEHIND`, naming the last event written).
 */
import { createContextKey } from "@connectrpc/connect";

/** One stream's pace. */
export class StreamPace {
  /** Set by the door when the reader stalled: for how long it took nothing, in ms. */
  stalledMs: number | undefined = undefined;
}

/** The pace of the server-streaming call in progress; undefined for unary calls. */
export const kStreamPace = createContextKey<StreamPace | undefined>(undefined, { description: "a server stream's pace" });

/** How long a stream's reader may take nothing while messages wait before the stream is ended. */
export const DEFAULT_STREAM_STALL_MS = 30_000;
