import type { Strategy } from '../config/options.js';
import type { PickState } from '../core/pick-state.js';
import type { EjectionGuard } from '../policy/health.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import type { KeyLane } from './key-lane.js';
import type { KeyCheck, KeyWorker } from './key-worker.js';

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
  wake(worker?: KeyLane): void;
  /** The keys changed (added, removed): what the backlog may hold must be counted again. */
  keysChanged(): void;
}

/** One provider's keys, in the order they were added, with the provider's strategy override. */
export class KeyPool {
  /** Each key's lane, in the order added: what the dispatcher schedules on. */
  readonly lanes: KeyLane[] = [];
  /** Each key's face, in the same order: what the layers above the dispatcher see. */
  readonly workers: KeyWorker[] = [];
  readonly #byName = new Map<string, KeyLane>();
  /** Kept after a key's removal: a check that was running on it ends as it would have. */
  readonly #checks = new WeakMap<KeyWorker, KeyCheck>();
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

  get(name: string): KeyLane | undefined {
    return this.#byName.get(name);
  }

  /** The key `name` as the layers above the dispatcher see it. */
  worker(name: string): KeyWorker | undefined {
    return this.#byName.get(name)?.worker;
  }

  /** A key of this pool (or one that was) as a health check uses it. */
  check(worker: KeyWorker): KeyCheck | undefined {
    return this.#checks.get(worker);
  }

  add(lane: KeyLane): void {
    this.lanes.push(lane);
    this.workers.push(lane.worker);
    this.#checks.set(lane.worker, lane);
    this.#byName.set(lane.ref.name, lane);
    this.backlog?.keysChanged();
    this.notify();
  }

  /** Takes a key out; its queued jobs go back to the dispatcher. */
  remove(name: string): KeyWorker | undefined {
    const lane = this.#byName.get(name);
    if (!lane) return undefined;
    this.#byName.delete(name);
    this.lanes.splice(this.lanes.indexOf(lane), 1);
    this.workers.splice(this.workers.indexOf(lane.worker), 1);
    lane.evictQueued();
    this.backlog?.keysChanged();
    this.notify();
    return lane.worker;
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
  notify(worker?: KeyLane): void {
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
