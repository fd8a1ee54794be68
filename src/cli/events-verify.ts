/**
 * `keyward events verify` (ARCHITECTURE.md, "Events"): walks the store's hash chain from its prune
 * anchor in pages, in bounded memory, and names the first broken link: an edited event (its content no
 * longer matches its hash), a deleted one (a gap in the seqs), a relinked one, or newest events deleted
 * (the chain's head names an event the walk never reached). Reads the store itself, as `keyward
 * bootstrap` does, so it checks what is stored, not what a server says.
 */
import { openStore } from "../store/open-store.js";
import { ChainVerifier } from "../store/event-chain.js";
import { eventIdOf } from "../services/convert.js";

/** How often progress is printed on a long chain, in events. */
const PROGRESS_EVERY = 100_000;

export async function runVerify(flags: { store: string; dataDir: string; pageSize: string }): Promise<void> {
  const pageSize = /^\d+$/.test(flags.pageSize) ? Number(flags.pageSize) : NaN;
  if (!(pageSize >= 1 && pageSize <= 10_000)) {
    process.stderr.write(`keyward events verify: --page-size "${flags.pageSize}" must be a whole number from 1 to 10000\n`);
    process.exitCode = 2;
    return;
  }
  let store;
  try {
    store = await openStore({ store: flags.store, dataDir: flags.dataDir });
  } catch (error) {
    process.stderr.write(`keyward events verify: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  try {
    const head = await store.eventChainHead();
    const verifier = new ChainVerifier(head.prunedThroughSeq, head.prunedThroughHash);
    const total = head.seq - head.prunedThroughSeq;
    const from = head.prunedThroughSeq === 0 ? "the first event" : `the prune anchor (event ${eventIdOf(head.prunedThroughSeq)})`;
    process.stdout.write(`Checking ${total} events from ${from} to the head (event ${eventIdOf(head.seq)})...\n`);
    let nextProgress = PROGRESS_EVERY;
    let after = head.prunedThroughSeq;
    while (after < head.seq) {
      // Only up to the head read first: a running server may append meanwhile.
      const page = (await store.readEvents(after, pageSize)).filter((event) => event.seq <= head.seq);
      if (page.length === 0) break;
      const broken = verifier.check(page);
      if (broken !== undefined) {
        process.stdout.write(`BROKEN at event ${eventIdOf(broken.seq)} (${broken.problem}): ${broken.detail}.\n`);
        process.stdout.write(`Events before it (${verifier.checked} checked) hold; from it on, the trail cannot be trusted.\n`);
        process.exitCode = 1;
        return;
      }
      after = page[page.length - 1]!.seq;
      if (verifier.checked >= nextProgress) {
        process.stderr.write(`... ${verifier.checked} of ${total} events checked\n`);
        nextProgress += PROGRESS_EVERY;
      }
    }
    const last = verifier.last;
    if (last.seq !== head.seq || (head.hash !== undefined && last.hash !== head.hash)) {
      const what = last.seq < head.seq ? `events ${eventIdOf(last.seq + 1)} to ${eventIdOf(head.seq)} are missing: the newest events were deleted` : "the newest event does not match the chain's head";
      process.stdout.write(`BROKEN at event ${eventIdOf(Math.min(last.seq + 1, head.seq))} (head): ${what}.\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.write(`OK: ${verifier.checked} events, chain intact up to event ${eventIdOf(head.seq)}.\n`);
  } catch (error) {
    process.stderr.write(`keyward events verify: ${(error as Error).message}\n`);
    process.exitCode = 1;
  } finally {
    await store.close();
  }
}
