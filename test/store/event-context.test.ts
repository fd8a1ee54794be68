import { expect } from "chai";
import { currentEventContext, withEventContext } from "../../src/store/event-context.js";
import type { EventContext } from "../../src/store/store.js";

const context = (userId: string): EventContext => ({ actor: { userId }, client: {} });
const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("event context", () => {
  it("is seen through awaits until what the function returns settles, then is gone", async () => {
    const seen: (string | undefined)[] = [];
    const done = withEventContext(context("ann"), async () => {
      seen.push(currentEventContext()?.actor.userId);
      await tick();
      seen.push(currentEventContext()?.actor.userId);
      return 42;
    });
    expect(currentEventContext()).to.equal(undefined);
    expect(await done).to.equal(42);
    expect(seen).to.deep.equal(["ann", "ann"]);
    expect(currentEventContext()).to.equal(undefined);
  });

  it("keeps overlapping calls apart, and each is whole while the other ends first", async () => {
    const seen: string[] = [];
    const call = (userId: string, waits: number) =>
      withEventContext(context(userId), async () => {
        for (let i = 0; i < waits; i++) {
          await tick();
          seen.push(`${userId}:${currentEventContext()?.actor.userId}`);
        }
      });
    await Promise.all([call("ann", 1), call("bob", 4)]);
    expect(seen.sort()).to.deep.equal(["ann:ann", "bob:bob", "bob:bob", "bob:bob", "bob:bob"]);
    // A context entered after every earlier one ended (the storage was disabled in between) is seen again.
    expect(await withEventContext(context("cy"), async () => (await tick(), currentEventContext()?.actor.userId))).to.equal("cy");
  });

  it("ends on a throw and on a rejection, and a synchronous function's result passes through", async () => {
    expect(() => withEventContext(context("ann"), () => { throw new Error("sync"); })).to.throw("sync");
    await withEventContext(context("ann"), async () => { await tick(); throw new Error("async"); }).then(
      () => expect.fail("rejects"),
      (error: Error) => expect(error.message).to.equal("async"),
    );
    expect(withEventContext(context("ann"), () => currentEventContext()?.actor.userId)).to.equal("ann");
    expect(currentEventContext()).to.equal(undefined);
    expect(await withEventContext(context("dan"), async () => (await tick(), currentEventContext()?.actor.userId))).to.equal("dan");
  });
});
