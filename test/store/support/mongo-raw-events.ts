// Straight access to a MongoDB store's events for the conformance suite (see RawEventAccess), through a
// client of its own, as another process has: the chain's head document made unwritable for appends, and
// plain updates and deletes of event documents.
import type { Db } from "mongodb";
import { CHAIN_HEAD_ID, type EventChainDocument, type EventDocument } from "../../../src/store/mongo/event-documents.js";
import { EVENTS, EVENT_CHAIN } from "../../../src/store/mongo/indexes.js";
import type { RawEventAccess } from "../conformance/store-under-test.js";

/**
 * Raw access to the database `db()` returns. An append starts by incrementing the head's `seq`, inside
 * the transaction that has already written the change; a `seq` that is no number makes that increment
 * fail (TypeMismatch), as a crash between the change and its event would, so the transaction rolls back.
 */
export function mongoRawEvents(db: () => Promise<Db>): RawEventAccess {
  const chain = async () => (await db()).collection<EventChainDocument>(EVENT_CHAIN);
  const events = async () => (await db()).collection<EventDocument>(EVENTS);
  return {
    async failAppends() {
      const head = await (await chain()).findOne({ _id: CHAIN_HEAD_ID });
      if (!head) throw new Error("the event chain's head document is missing");
      const broken = await (await chain()).updateOne({ _id: CHAIN_HEAD_ID, seq: head.seq }, { $set: { seq: "injected failure" as unknown as number } });
      if (broken.modifiedCount !== 1) throw new Error("the event chain moved while a failure was being injected");
      return async () => {
        await (await chain()).updateOne({ _id: CHAIN_HEAD_ID }, { $set: { seq: head.seq } });
      };
    },
    async editEventType(seq, type) {
      await (await events()).updateOne({ _id: seq }, { $set: { type } });
    },
    async deleteEvent(seq) {
      await (await events()).deleteOne({ _id: seq });
    },
  };
}
