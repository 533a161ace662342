import type { Strategy } from '../config/options.js';
import type { PickState } from '../core/pick-state.js';
import type { EjectionGuard } from '../policy/health.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { KeyWorker } from './key-worker.js';

/**
 * The jobs of a pool that wait for a key (late binding: a job is bound to a key only when that key can
 * start it at once). The dispatcher provides it; the pool only wakes it.
 */
export interface PoolBacklog {
  /** Jobs waiting. */
  readonly size: number;
  /**
   * Something changed that may let a key start a job: a slot freed or limits moved on `worker` (only that
   * key need be looked at), or, without a worker, the pool changed (a key added, reset or enabled).
   */
  wake(worker?: KeyWorker): void;
  /** The keys changed (added, removed): what the backlog may hold must be counted again. */
  keysChanged(): void;
}

/** One provider's keys, in the order they were added, with the provider's strategy override. */
export class KeyPool {
  readonly workers: KeyWorker[] = [];
  readonly #byName = new Map<string, KeyWorker>();
  readonly pickState: PickState = { cursor: 0 };
  strategy: Strategy | undefined;
  /** Set once by the registry: the pool's ceiling on ejected keys. */
  guard: EjectionGuard | undefined;
  /** Jobs of `specific` calls waiting for their key, and jobs pausing between attempts. */
  waiting = 0;
  /** Set by the dispatcher on the pool's first job. */
  backlog: PoolBacklog | undefined;
  #waiters = new Set<() => void>();

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
    this.backlog?.keysChanged();
    this.notify();
  }

  /** Takes a key out; its queued jobs go back to the dispatcher. */
  remove(name: string): KeyWorker | undefined {
    const worker = this.#byName.get(name);
    if (!worker) return undefined;
    this.#byName.delete(name);
    this.workers.splice(this.workers.indexOf(worker), 1);
    worker.evictQueued();
    this.backlog?.keysChanged();
    this.notify();
    return worker;
  }

  /**
   * Calls `wake` once, at the next change that may make a key eligible (a slot freed, a key added, reset
   * or enabled). Returns what cancels it, so a job that stops waiting leaves nothing behind.
   */
  onChange(wake: () => void): () => void {
    this.#waiters.add(wake);
    return () => this.#waiters.delete(wake);
  }

  /** A change that may let a key take a job: of `worker` alone, or of the pool when none is given. */
  notify(worker?: KeyWorker): void {
    this.backlog?.wake(worker);
    if (this.#waiters.size === 0) return;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Jobs waiting in the pool for a key. */
  get backlogSize(): number {
    return this.backlog?.size ?? 0;
  }
}
