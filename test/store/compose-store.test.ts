// The composed facade: every part's methods reach the caller bound to their part, and a name two parts
// offer is refused rather than silently shadowed.
import { expect } from "chai";
import { composeStore } from "../../src/store/compose-store.js";

class Counter {
  #count = 0;
  increment(): number {
    return ++this.#count;
  }
}

class Greeter {
  readonly #name: string;
  constructor(name: string) {
    this.#name = name;
  }
  greet(): string {
    return `hello ${this.#name}`;
  }
}

describe("composeStore", () => {
  it("offers every part's methods, bound to the part, and the own members", async () => {
    let closed = false;
    const composed = composeStore([new Counter(), new Greeter("ada")], {
      label: "test",
      async close() {
        closed = true;
      },
    });
    const { increment, greet } = composed; // detached: still bound to their parts' private state
    expect(increment()).to.equal(1);
    expect(composed.increment()).to.equal(2);
    expect(greet()).to.equal("hello ada");
    expect(composed.label).to.equal("test");
    await composed.close();
    expect(closed).to.equal(true);
    expect(Object.keys(composed).sort()).to.deep.equal(["close", "greet", "increment", "label"]);
  });

  it("refuses two parts offering the same method", () => {
    expect(() => composeStore([new Counter(), new Counter()], {})).to.throw("two store parts offer increment");
  });

  it("refuses an own member that a part already offers", () => {
    expect(() => composeStore([new Counter()], { increment: () => 0 })).to.throw("two store parts offer increment");
  });
});
