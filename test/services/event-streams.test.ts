/**
 * Event tails over a real SQLite store: from the next event or after an id, woken by writes, never
 * skipping (a stalled reader and a resume past retention are told, naming where to resume), bounded per
 * process and per client, ended cleanly on close; and the pump that marks a stalled reader.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { KeywardError } from "../../src/errors/errors.js";
import { DEFAULT_EVENT_STREAM_OPTIONS, EventStreams, wakingStore, type TailRequest } from "../../src/services/event-streams.js";
import { openSqliteStore, type SqliteStore } from "../../src/store/sqlite/sqlite-store.js";
import type { NewEvent } from "../../src/store/store.js";
import { StreamPace } from "../../src/stream-pace.js";
import { pumpStream } from "../../src/transport/stream-pump.js";

const event = (type: string, time = new Date()): NewEvent => ({ time, type, actor: {}, subject: { userId: "dana" }, client: {}, changed: [], count: 1 });
const options = { ...DEFAULT_EVENT_STREAM_OPTIONS, pollIntervalMs: 50, batchSize: 3, wakeDelayMs: 1 };

async function refusal(promise: Promise<unknown>): Promise<KeywardError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof KeywardError) return error;
    throw error;
  }
  return expect.fail("expected a refusal");
}

describe("EventStreams", () => {
  let dir: string;
  let store: SqliteStore;
  let streams: EventStreams;
  const abort = new AbortController();
  const request = (over: Partial<TailRequest> = {}): TailRequest => ({ filter: {}, afterSeq: undefined, address: "192.0.2.1", signal: abort.signal, pace: undefined, ...over });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "keyward-streams-"));
    store = openSqliteStore(join(dir, "keyward.db"));
    streams = new EventStreams(store, options);
  });
  afterEach(async () => {
    streams.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("tails from the next event written, woken by a write of this process, and resumes after an id in batches", async () => {
    await store.appendEvents([event("user.create")]);
    const waking = wakingStore(store, streams.wake);
    const tail = streams.tail(request({ filter: { typePrefix: "api_key." } }));
    const first = tail.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await waking.appendEvents([event("user.update"), event("api_key.create")]);
    expect((await first).value!.type).to.equal("api_key.create");
    await tail.return(undefined);
    expect(streams.open).to.equal(0);
    for (let i = 0; i < 7; i++) await store.appendEvents([event("api_key.update")]);
    const resumed = streams.tail(request({ afterSeq: 3 }));
    const seqs: number[] = [];
    for (let i = 0; i < 7; i++) seqs.push((await resumed.next()).value!.seq);
    expect(seqs).to.deep.equal([4, 5, 6, 7, 8, 9, 10]);
    await resumed.return(undefined);
  });

  it("ends a stream whose reader stalled with EVENTS_STREAM_BEHIND, naming the last event written", async () => {
    for (let i = 0; i < 5; i++) await store.appendEvents([event("user.update")]);
    const pace = new StreamPace();
    const tail = streams.tail(request({ afterSeq: 0, pace }));
    expect((await tail.next()).value!.seq).to.equal(1);
    expect((await tail.next()).value!.seq).to.equal(2);
    pace.stalledMs = 30_000;
    const error = await refusal(tail.next());
    expect(error.reason).to.equal("EVENTS_STREAM_BEHIND");
    expect(error.code).to.equal("resource_exhausted");
    expect(error.metadata.last_id).to.equal("0000000000000002");
    expect(streams.open).to.equal(0);
  });

  it("refuses a resume from before the prune anchor with OUT_OF_RANGE / EVENTS_PRUNED, and a future id as invalid", async () => {
    const old = new Date(Date.now() - 100 * 86_400_000);
    await store.appendEvents([event("user.create", old), event("user.update", old), event("user.update")]);
    expect(await store.pruneEvents(new Date(Date.now() - 86_400_000), 100)).to.equal(2);
    const error = await refusal(streams.tail(request({ afterSeq: 1 })).next());
    expect([error.code, error.reason, error.metadata.pruned_through]).to.deep.equal(["out_of_range", "EVENTS_PRUNED", "0000000000000002"]);
    const fromAnchor = streams.tail(request({ afterSeq: 2 }));
    expect((await fromAnchor.next()).value!.seq).to.equal(3);
    await fromAnchor.return(undefined);
    const future = await refusal(streams.tail(request({ afterSeq: 99 })).next());
    expect(future.reason).to.equal("VALIDATION_FAILED");
  });

  it("caps streams per client address and per process", async () => {
    const small = new EventStreams(store, { ...options, maxStreams: 3, maxStreamsPerClient: 2 });
    const open = [small.tail(request()), small.tail(request())];
    for (const tail of open) void tail.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const perClient = await refusal(small.tail(request()).next());
    expect([perClient.reason, perClient.message]).to.deep.equal(["EVENTS_STREAMS_EXHAUSTED", "this client address already holds 2 open event streams; close one, or page with ListEvents"]);
    const other = small.tail(request({ address: "192.0.2.9" }));
    void other.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const perProcess = await refusal(small.tail(request({ address: "192.0.2.10" })).next());
    expect(perProcess.message).to.contain("this server already holds 3");
    small.close();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(small.open).to.equal(0);
  });

  it("ends every stream cleanly on close", async () => {
    const tail = streams.tail(request());
    const next = tail.next();
    await new Promise((resolve) => setTimeout(resolve, 20));
    streams.close();
    expect(await next).to.deep.equal({ done: true, value: undefined });
  });
});

describe("pumpStream", () => {
  it("marks the pace stalled when the sink stays full for the stall time, and asks for nothing more until then", async () => {
    const pace = new StreamPace();
    let asked = 0;
    async function* messages() {
      for (;;) {
        asked++;
        yield asked;
        if (pace.stalledMs !== undefined) throw new Error(`stalled after ${asked}`);
      }
    }
    const written: number[] = [];
    const sink = { write: (m: number) => (written.push(m), m < 3), drained: async () => false, gone: false };
    try {
      await pumpStream(messages(), sink, pace, 10);
      expect.fail("the producer should have ended the stream");
    } catch (error) {
      expect((error as Error).message).to.equal("stalled after 3");
    }
    expect(written).to.deep.equal([1, 2, 3]);
    expect(pace.stalledMs).to.equal(10);
  });
});
