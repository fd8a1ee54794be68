/**
 * Writes a server stream's messages to a door's transport with back-pressure (both streaming doors use
 * it: grpc-service-definition.ts and the Connect route): the next message is asked of the producer only
 * once the transport has room for it, so a stream holds what its transport buffers and nothing more. A
 * reader that takes nothing for the stall time is marked on the stream's {@link StreamPace}; the producer
 * then ends the stream with its own refusal. A reader that went away ends the producer.
 */
import type { StreamPace } from "../stream-pace.js";

/** A door's transport for one stream's messages. */
export interface StreamSink<T> {
  /** Writes one message; false when the transport's buffer is full (the message is still queued). */
  write(message: T): boolean;
  /** Resolves true once the buffer has room again, false after `ms` without, or when the reader went away. */
  drained(ms: number): Promise<boolean>;
  /** Whether the reader went away. */
  readonly gone: boolean;
}

/** Pumps `messages` into `sink` until the producer ends (resolves) or fails (rejects with its error). */
export async function pumpStream<T>(messages: AsyncIterable<T>, sink: StreamSink<T>, pace: StreamPace, stallMs: number): Promise<void> {
  for await (const message of messages) {
    if (sink.gone) return; // leaving the loop ends the producer
    if (!sink.write(message) && !(await sink.drained(stallMs)) && !sink.gone) pace.stalledMs = stallMs;
  }
}

/** `emitter`'s `drain` within `ms`: true when it came, false on the timeout or `close`. */
export function drainedWithin(emitter: NodeJS.EventEmitter, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (drained: boolean) => {
      clearTimeout(timer);
      emitter.off("drain", onDrain);
      emitter.off("close", onClose);
      resolve(drained);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    const timer = setTimeout(() => done(false), ms);
    emitter.on("drain", onDrain);
    emitter.on("close", onClose);
  });
}
