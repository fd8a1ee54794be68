import { expect } from "chai";
import { PasswordHasher, Slots } from "../../src/passwords/password-hasher.js";
import { KeywardError } from "../../src/errors/errors.js";
import { outcomeOf } from "../support/error-reasons.js";

describe("auth/password-hasher", () => {
  it("hashes as argon2id with OWASP's parameters and verifies only the right password", async () => {
    const hasher = new PasswordHasher();
    const stored = await hasher.hash("correct horse battery staple");
    expect(stored).to.match(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect(await hasher.verify("correct horse battery staple", stored)).to.equal(true);
    expect(await hasher.verify("correct horse battery stable", stored)).to.equal(false);
    expect(await hasher.verify("correct horse battery staple", undefined), "no stored hash never matches").to.equal(false);
    expect(await hasher.verify("anything", "not a PHC string")).to.equal(false);
  });

  it("runs at most `size` jobs at once, the rest in arrival order (hashing must leave the event loop a core)", async () => {
    const slots = new Slots(2);
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const release: (() => void)[] = [];
    const jobs = [0, 1, 2, 3, 4].map((n) =>
      slots.run(async () => {
        started.push(n);
        most = Math.max(most, ++running);
        await new Promise<void>((resolve) => release.push(resolve));
        running--;
        return n;
      }),
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).to.deep.equal([0, 1]);
    while (release.length > 0) {
      release.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(await Promise.all(jobs)).to.deep.equal([0, 1, 2, 3, 4]);
    expect(started).to.deep.equal([0, 1, 2, 3, 4]);
    expect(most).to.equal(2);
  });

  it("frees the slot of a job that fails", async () => {
    const slots = new Slots(1);
    await slots.run(() => Promise.reject(new Error("boom"))).catch(() => undefined);
    expect(await slots.run(async () => "next")).to.equal("next");
  });

  it("refuses at once with PASSWORD_QUEUE_FULL when the queue is full, and takes work again once it drains", async () => {
    const slots = new Slots(1, 1);
    let release!: () => void;
    const first = slots.run(() => new Promise<string>((resolve) => (release = () => resolve("first"))));
    const queued = slots.run(async () => "queued");
    const refused = await slots.run(async () => "never").catch((error: unknown) => error);
    expect(refused).to.be.instanceOf(KeywardError);
    expect((refused as KeywardError).reason).to.equal("PASSWORD_QUEUE_FULL");
    expect((refused as KeywardError).retryDelayMs).to.equal(1_000);
    release();
    expect(await Promise.all([first, queued])).to.deep.equal(["first", "queued"]);
    expect(await slots.run(async () => "again")).to.equal("again");
  });

  /** Jobs that start when the slots say and end when the test releases them. */
  function gatedJobs(slots: Slots) {
    const started: string[] = [];
    const release = new Map<string, () => void>();
    const run = (name: string, lane?: string) =>
      slots.run(async () => {
        started.push(name);
        await new Promise<void>((resolve) => release.set(name, resolve));
        return name;
      }, lane);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    return { started, release, run, settle };
  }

  it("gives each freed slot to the next client's lane in turn (round robin), each lane in arrival order", async () => {
    const slots = new Slots(1);
    const { started, release, run, settle } = gatedJobs(slots);
    const jobs = [run("x", "flooder"), run("a1", "flooder"), run("a2", "flooder"), run("a3", "flooder"), run("b1", "other"), run("c1", "third"), run("c2", "third")];
    await settle();
    while (release.size > 0) {
      for (const [name, done] of release) {
        release.delete(name);
        done();
      }
      await settle();
    }
    expect(await Promise.all(jobs)).to.have.length(7);
    expect(started).to.deep.equal(["x", "a1", "b1", "c1", "a2", "c2", "a3"]);
  });

  it("refuses a client past its share of the queue while other clients still get in; the shared lane has only the total cap", async () => {
    const slots = new Slots(1, 5, 2);
    const { release, run, settle } = gatedJobs(slots);
    const running = run("x", "flooder");
    const queued = [run("a1", "flooder"), run("a2", "flooder")];
    expect(await outcomeOf(run("a3", "flooder"))).to.equal("PASSWORD_QUEUE_FULL");
    queued.push(run("b1", "other"), run("u1"), run("u2"));
    // Five waiting in all: the whole queue is full now, for every lane.
    expect(await outcomeOf(run("u3"))).to.equal("PASSWORD_QUEUE_FULL");
    expect(await outcomeOf(run("c1", "third"))).to.equal("PASSWORD_QUEUE_FULL");
    await settle();
    for (let i = 0; i < 6; i++) {
      for (const [name, done] of release) {
        release.delete(name);
        done();
      }
      await settle();
    }
    expect(await Promise.all([running, ...queued])).to.deep.equal(["x", "a1", "a2", "b1", "u1", "u2"]);
  });
});
