// The store a conformance test runs against: opened before each test, released after it.
import type { Store } from "../../../src/store/store.js";

/** A freshly opened, empty store and how to reopen and finally dispose of it. */
export interface StoreHarness {
  store: Store;
  /** Opens the same data again after `store` was closed (persistent backends only). */
  reopen?: () => Promise<Store>;
  /** Opens a second connection to the same data, as another process would (shared backends only). */
  openPeer?: () => Promise<Store>;
  /** Removes what the harness created (files, databases). Stores are closed before it runs. */
  cleanup: () => Promise<void>;
  /** Straight access to the stored events, past the store. */
  rawEvents: RawEventAccess;
}

/**
 * What someone with the backend's files or credentials can do to the stored events, past the store: how
 * the conformance suite injects a failure between a change and its event, and tampers with the chain.
 */
export interface RawEventAccess {
  /**
   * From now on, every event append fails inside its write (after the change it records was written in
   * the same transaction), as a crash between the two would; returns how to undo that.
   */
  failAppends(): Promise<() => Promise<void>>;
  /** Rewrites the stored `type` of event `seq`, leaving everything else (its hash too). */
  editEventType(seq: number, type: string): Promise<void>;
  /** Deletes the stored event `seq`. */
  deleteEvent(seq: number): Promise<void>;
}

/** Opens a fresh, empty store for one test. */
export type StoreFactory = () => Promise<StoreHarness>;

/** Holds the current test's store; sections read `store` inside their tests. */
export class StoreUnderTest {
  readonly #factory: StoreFactory;
  #harness: StoreHarness | undefined;
  #current: Store | undefined;

  constructor(factory: StoreFactory) {
    this.#factory = factory;
  }

  /** The current test's store. */
  get store(): Store {
    if (!this.#current) throw new Error("no store: used outside a test");
    return this.#current;
  }

  /** Whether the factory can reopen its data. */
  get canReopen(): boolean {
    return this.#harness?.reopen !== undefined;
  }

  /** Straight access to the current test's stored events. */
  get rawEvents(): RawEventAccess {
    if (!this.#harness) throw new Error("no store: used outside a test");
    return this.#harness.rawEvents;
  }

  /** A second connection to the current test's data, or undefined when the backend has none; the caller closes it. */
  async openPeer(): Promise<Store | undefined> {
    return this.#harness?.openPeer?.();
  }

  async open(): Promise<void> {
    this.#harness = await this.#factory();
    this.#current = this.#harness.store;
  }

  /** Closes the current store and opens the same data again; later `store` reads see the new one. */
  async reopen(): Promise<Store> {
    const reopen = this.#harness?.reopen;
    if (!reopen) throw new Error("this store factory cannot reopen");
    await this.store.close();
    this.#current = await reopen();
    return this.#current;
  }

  async release(): Promise<void> {
    const harness = this.#harness;
    this.#harness = undefined;
    await this.#current?.close();
    this.#current = undefined;
    if (harness) {
      await harness.store.close();
      await harness.cleanup();
    }
  }
}
