// The store contract as one executable suite: every adapter runs exactly these assertions.
// Each test gets a fresh, empty store from the factory and releases it afterwards (Dex's pattern).
import { describeApiKeys } from "./conformance/api-keys.js";
import { describeAttemptCounters } from "./conformance/attempt-counters.js";
import { describeConcurrency } from "./conformance/concurrency.js";
import { describeDeliveries } from "./conformance/deliveries.js";
import { describeEvents } from "./conformance/events.js";
import { describeExpiryWarnings } from "./conformance/expiry-warnings.js";
import { describeGuards } from "./conformance/guards.js";
import { describeLifecycle } from "./conformance/lifecycle.js";
import { describeListing } from "./conformance/listing.js";
import { describeRecords } from "./conformance/records.js";
import { describeRevocations } from "./conformance/revocations.js";
import { describeSessions } from "./conformance/sessions.js";
import { describeTenants } from "./conformance/tenants.js";
import { describeTotals } from "./conformance/totals.js";
import { StoreUnderTest, type StoreFactory } from "./conformance/store-under-test.js";
import { describeUsageCredits } from "./conformance/usage-credits.js";
import { describeUsers } from "./conformance/users.js";
import { describeWebhooks } from "./conformance/webhooks.js";

export type { RawEventAccess, StoreFactory, StoreHarness } from "./conformance/store-under-test.js";

/** Options for {@link describeStoreConformance}. */
export interface ConformanceOptions {
  /** The backend keeps data across close/reopen; the factory's harness must then provide `reopen`. */
  persistent: boolean;
}

/**
 * Declares the conformance suite for one store backend.
 * @param name the backend, as the suite title shows it
 * @param factory opens a fresh, empty store for each test
 */
export function describeStoreConformance(name: string, factory: StoreFactory, options: ConformanceOptions): void {
  describe(`store conformance: ${name}`, function () {
    const subject = new StoreUnderTest(factory);
    beforeEach(() => subject.open());
    afterEach(() => subject.release());

    describeUsers(subject);
    describeApiKeys(subject);
    describeUsageCredits(subject);
    describeListing(subject);
    describeTotals(subject);
    describeConcurrency(subject);
    describeGuards(subject);
    describeRecords(subject);
    describeRevocations(subject);
    describeSessions(subject);
    describeTenants(subject);
    describeAttemptCounters(subject);
    describeEvents(subject);
    describeWebhooks(subject);
    describeDeliveries(subject);
    describeExpiryWarnings(subject);
    describeLifecycle(subject, options.persistent);
  });
}
