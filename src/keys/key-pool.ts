import type { Strategy } from '../config/options.js';
import type { PickState } from '../core/pick-state.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { KeyWorker } from '../worker/key-worker.js';

/** One provider's keys, in the order they were added, with the provider's strategy override. */
export class KeyPool {
  readonly workers: KeyWorker[] = [];
  readonly #byName = new Map<string, KeyWorker>();
  readonly pickState: PickState = { cursor: 0 };
  strategy: Strategy | undefined;
  #waiters: Array<() => void> = [];

  constructor(
    readonly adapter: ProviderAdapter,
    readonly random: () => number,
  ) {}

  get provider(): string {
    return this.adapter.name;
  }

  get(name: string): KeyWorker | undefined {
    return this.#byName.get(name);
  }

  add(worker: KeyWorker): void {
    this.workers.push(worker);
    this.#byName.set(worker.ref.name, worker);
    this.notify();
  }

  remove(name: string): KeyWorker | undefined {
    const worker = this.#byName.get(name);
    if (!worker) return undefined;
    this.#byName.delete(name);
    this.workers.splice(this.workers.indexOf(worker), 1);
    this.notify();
    return worker;
  }

  /** Resolves at the next change that may make a key eligible: a slot freed, a key added or reset. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  notify(): void {
    if (this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
