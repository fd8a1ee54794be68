// What the test lane's MongoDB stand-in (jongodb 0.1.6) cannot do, as the names of the tests that need it.
// These are skipped only when the server reports a version ending in `-jongodb`; against a real MongoDB
// (MONGODB_URL) every test runs. The list must stay exact: a name that matches no test fails the run.
import { MongoClient } from "mongodb";

const NO_WRITE_CONFLICTS =
  "transactions never conflict on the stand-in (the later commit wins), so a concurrent check-then-write is not atomic";

/** Full mocha titles of the tests the stand-in cannot pass, with the reason. */
export const STAND_IN_GAPS: ReadonlyMap<string, string> = new Map([
  ["MongoDB store conformance: MongoDB concurrency lets exactly 10 of 50 concurrent creates through a cap of 10", NO_WRITE_CONFLICTS],
  [
    "MongoDB store conformance: MongoDB concurrency never leaves keys behind when a user is deleted during concurrent creates",
    NO_WRITE_CONFLICTS,
  ],
  ...[
    "demote each other at once",
    "suspend each other at once",
    "delete each other at once",
    "each demote itself at once",
  ].map((race): [string, string] => [
    `MongoDB store conformance: MongoDB last active admin keeps an active admin when the last two ${race} (10 rounds)`,
    `${NO_WRITE_CONFLICTS}: both guard writes commit`,
  ]),
  [
    "MongoDB store conformance: MongoDB tenants never leaves a user in a deleted tenant when a create races the delete (8 rounds)",
    `${NO_WRITE_CONFLICTS}: the delete and the creates all commit`,
  ],
  // Every user and key update is a transaction (it appends a revocation-feed entry); on the stand-in
  // concurrent ones do not conflict, so the version check and the feed counter lose updates.
  ...[
    "concurrency loses no user update among 20 concurrent read-modify-writes",
    "concurrency loses no API key update among 20 concurrent read-modify-writes",
    "revocation feed numbers concurrent changes uniquely, and a second connection reads them all",
  ].map((name): [string, string] => [`MongoDB store conformance: MongoDB ${name}`, `${NO_WRITE_CONFLICTS}: concurrent updates overwrite each other`]),
  // Every change appends an event, and every append writes the chain's head document: concurrent ones
  // conflict on MongoDB (and one runs again), while on the stand-in both read the same head.
  [
    "MongoDB store conformance: MongoDB events hash chain keeps one chain when two connections append at once",
    `${NO_WRITE_CONFLICTS}: two appends take the same seq`,
  ],
  [
    "MongoDB store conformance: MongoDB events pruning prunes every event once when two connections prune at once",
    `${NO_WRITE_CONFLICTS}: two prunes delete the same events and both count them`,
  ],
  [
    "MongoDB store conformance: MongoDB webhooks holds the cap when many creates race",
    `${NO_WRITE_CONFLICTS}: every create counts the scope before the others commit`,
  ],
  [
    "MongoDB store conformance: MongoDB expiry warnings warns each key once per point when two connections sweep at once",
    `${NO_WRITE_CONFLICTS}: two sweeps both insert one warning's marker`,
  ],
  // A take is a conditional write outside any transaction; a key's update is a transaction. On MongoDB the
  // take conflicts with the transaction (which runs again and reads the new count); on the stand-in the
  // transaction's commit writes back the whole document it read, count included.
  [
    "MongoDB store conformance: MongoDB rate limits, usage credits and metadata loses no take to concurrent updates of the key, and no update to concurrent takes",
    `${NO_WRITE_CONFLICTS}: an update's commit writes back the count it read over the takes made meanwhile`,
  ],

  ["MongoDB store: MongoDB adapter serves the by-id lookup and the key list from indexes", "the stand-in has no explain command"],
  [
    "MongoDB store: MongoDB adapter serves every event filter, the outbox's claim and the expiry sweep from indexes, in order",
    "the stand-in has no explain command",
  ],
]);

/** The server's version string, e.g. `8.0.2` or `8.0.0-jongodb`. */
export async function serverVersion(url: string): Promise<string> {
  const client = await new MongoClient(url, { serverSelectionTimeoutMS: 5_000 }).connect();
  try {
    return String((await client.db("admin").command({ buildInfo: 1 }))["version"]);
  } finally {
    await client.close();
  }
}

/** Whether `version` is the stand-in's. */
export function isStandIn(version: string): boolean {
  return version.endsWith("-jongodb");
}

/**
 * In the enclosing suite: asks the server at `url()` for its version first; on the stand-in, prints
 * {@link STAND_IN_GAPS} and skips those tests by name. Fails at once if a listed name is no test of the
 * suite (renamed or removed), so the list cannot silently skip nothing or drift.
 */
export function skipStandInGaps(url: () => string): void {
  let standIn = false;
  before(async function () {
    const suite = this.test?.parent;
    const titles = new Set(suite ? allTests(suite).map((test) => test.fullTitle()) : []);
    const unknown = [...STAND_IN_GAPS.keys()].filter((title) => !titles.has(title));
    if (unknown.length > 0) throw new Error(`the stand-in gap list names tests that do not exist: ${unknown.join("; ")}`);
    const version = await serverVersion(url());
    standIn = isStandIn(version);
    if (!standIn) return;
    const lines = [...STAND_IN_GAPS].map(([title, reason]) => `    - ${title}\n      (${reason})`);
    console.log(`  MongoDB stand-in ${version}: skipping ${STAND_IN_GAPS.size} tests it cannot pass:\n${lines.join("\n")}`);
  });
  beforeEach(function () {
    if (standIn && STAND_IN_GAPS.has(this.currentTest?.fullTitle() ?? "")) this.skip();
  });
}

function allTests(suite: Mocha.Suite): Mocha.Test[] {
  return [...suite.tests, ...suite.suites.flatMap(allTests)];
}
