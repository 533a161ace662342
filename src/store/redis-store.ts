import type { OffloadJournal } from '../core/offload-journal.js';
import type { SharedBudgets, SliceResult } from '../core/shared-budgets.js';
import { withDeadline } from './deadline.js';
import { MemoryStore } from './memory-store.js';
import { newProbeToken } from './probe-token.js';
import { RedisBackend } from './redis-backend.js';
import { countingRunner, scriptRunner } from './redis-client.js';
import { describeRedisError, withClientError } from './redis-fault.js';
import { handBack } from './redis-hand-back.js';
import { RedisLayout } from './redis-layout.js';
import { redisOffloadJournal } from './redis-offload-journal.js';
import { type RedisReadiness, startRedis } from './redis-startup.js';
import {
  type RedisStoreOptions,
  type ResolvedRedisStoreOptions,
  resolveRedisStoreOptions,
} from './redis-store-options.js';
import type {
  DeadlineKind,
  KeyAddress,
  KeySnapshot,
  KeyStateStore,
  SettleRequest,
  StoreEvent,
  StoreListener,
  StoreMode,
  TakeRequest,
  TakeResult,
  TightenRequest,
} from './store.js';
import { StoreBreaker, type StoreGate } from './store-breaker.js';

/**
 * The store shared by every process on one Redis. Each operation is one Lua script (one round trip) with
 * a deadline; while Redis is slow or away the store answers from a local memory store that paces at
 * `localShare` of each limit, says so with `store-degraded`, and hands what it did locally back to Redis
 * (`store-recovered`) once Redis answers again.
 *
 * Construction sends nothing. The first call (or `ready()`) starts the store: connecting and loading the
 * scripts have an allowance of their own (`startupTimeoutMs`), and calls wait for it, so a process that
 * starts on a busy machine neither reports an outage nor sends on its own before Redis has answered.
 */
export class RedisStore implements KeyStateStore {
  readonly #options: ResolvedRedisStoreOptions;
  readonly #backend: RedisBackend;
  readonly #local: MemoryStore;
  readonly #breaker: StoreBreaker;
  readonly #listeners = new Set<StoreListener>();
  readonly #stop = new AbortController();
  #startup: Promise<RedisReadiness> | undefined;
  #started = false;
  /** Until when (store clock) takes stay on the local schedule after an outage, charged to Redis as they go. */
  #handoverUntil = 0;
  #downSince = 0;
  #reason: string | undefined;
  #closed = false;
  #roundTrips = 0;
  #faults = 0;
  /** Batch offload's open batches, shared: a restarted process collects them instead of resubmitting. */
  readonly offloadJournal: OffloadJournal;
  /**
   * Budgets in Redis, in slices (store/lua/budget.ts), one script per step. While Redis is away a step
   * answers `unavailable`: a budgeted call is refused (budgets never overspend) and what a step released
   * stays counted in Redis (its slice) until the slice is given back or reclaimed.
   */
  readonly budgets: SharedBudgets;

  constructor(options: RedisStoreOptions) {
    this.#options = resolveRedisStoreOptions(options);
    const { client, prefix, clock, localShare, stagger } = this.#options;
    const runner = countingRunner(scriptRunner(client), () => {
      this.#roundTrips += 1;
    });
    this.#backend = new RedisBackend(runner, new RedisLayout(prefix));
    this.offloadJournal = redisOffloadJournal(runner, prefix);
    this.#local = new MemoryStore({ clock, share: localShare, ...(stagger ? { stagger } : {}) });
    this.#breaker = new StoreBreaker(this.#options.failureThreshold, this.#options.recoverAfterMs);
    const settings = this.#options.budgetSlices;
    this.budgets = {
      settings,
      available: () => !this.#breaker.isOpen,
      step: (owner, now, moves, final) =>
        this.#run(
          () => this.#backend.sliceBudgets(owner, now, settings.ttlMs, moves, final),
          (): SliceResult => ({ status: 'unavailable' }),
        ),
    };
  }

  /**
   * Starts the store if no call has yet, and resolves once the start has ended: `ok` on Redis, else the
   * reason it runs on its local share (also given by a `store-degraded` event). Never rejects.
   */
  ready(): Promise<RedisReadiness> {
    this.#startup ??= this.#start();
    return this.#startup;
  }

  get mode(): StoreMode {
    return this.#breaker.isOpen ? 'degraded' : 'redis';
  }

  /** Why the store is degraded (the last `store-degraded` reason); undefined while on Redis. */
  get reason(): string | undefined {
    return this.#breaker.isOpen ? this.#reason : undefined;
  }

  /** Calls to Redis that failed or missed their deadline so far. */
  get faults(): number {
    return this.#faults;
  }

  /** Commands this store has sent to Redis (each one round trip), the start's script loads included. */
  get roundTrips(): number {
    return this.#roundTrips;
  }

  /** Fraction of each limit this process uses while Redis is away. */
  get localShare(): number {
    return this.#options.localShare;
  }

  async take(request: TakeRequest): Promise<TakeResult> {
    if (!this.#started) await this.ready();
    const now = this.#options.clock.now();
    if (this.#handoverUntil > 0 && !this.#closed) {
      if (now < this.#handoverUntil) return this.#takeLocally(request, 'send');
      this.#handoverUntil = 0;
      this.#local.clear();
    }
    const gate = this.#breaker.gate(now);
    // The trial after an outage asks Redis nothing of its schedules, which went stale while every process
    // paced alone: it reads, and the take stays on the local schedule.
    if (gate === 'trial' && !this.#closed) return this.#takeLocally(request, gate);
    const token = newProbeToken();
    const local = (): TakeResult => this.#local.take(request);
    return this.#run(
      () => this.#backend.take(request, token),
      local,
      gate,
      // This failure began an outage: every process is going local, each on its own slots of the grid. One
      // call failed or was late while Redis is not away by the breaker's count: the other processes go on
      // taking from Redis, so a send on the local schedule (fresh, at a grid slot shared by every key of
      // this process) would come on top of theirs. The take is refused for a moment and asks Redis again.
      () =>
        this.#breaker.isOpen
          ? local()
          : { ok: false, waitMs: this.#options.timeoutMs, reason: 'rate', learned: {} },
    );
  }

  /**
   * A take on the local schedule, just after an outage. Redis's schedules hold nothing of what the
   * processes sent alone, and the processes come back one by one (each after its own `recoverAfterMs`):
   * one taking from Redis at once would send at the full rate while the others still send at their shares.
   * So each stays on its local schedule, charging every send to Redis, until an end agreed through Redis
   * (the first process back sets it, 2 × `recoverAfterMs` ahead): by then every process is back, Redis's
   * schedules hold what was sent, and all leave their local schedules at once.
   */
  #takeLocally(request: TakeRequest, gate: StoreGate): TakeResult {
    const result = this.#local.take(request);
    if (gate === 'trial') {
      const { provider, key, scope } = request;
      void this.#call(gate, () => this.#backend.snapshot({ provider, key }, scope));
    } else if (result.ok) {
      const { provider, scope, limits } = request;
      // At the booked send's time: Redis's schedules must hold it where it will be, for the takes after the end.
      void this.#call(gate, () => this.#backend.charge({ provider, scope, limits }, result.delayMs));
    }
    return result;
  }

  settle(request: SettleRequest): Promise<void> {
    return this.#run(
      () => this.#backend.settle(request),
      () => this.#local.settle(request),
    );
  }

  tighten(request: TightenRequest): Promise<void> {
    return this.#run(
      () => this.#backend.tighten(request),
      () => this.#local.tighten(request),
    );
  }

  extendDeadline(address: KeyAddress, kind: DeadlineKind, ms: number): Promise<number> {
    return this.#run(
      () => this.#backend.extendDeadline(address, kind, ms),
      () => this.#local.extendDeadline(address, kind, ms),
    );
  }

  openBreaker(address: KeyAddress, ms: number): Promise<void> {
    return this.#run(
      () => this.#backend.openBreaker(address, ms),
      () => this.#local.openBreaker(address, ms),
    );
  }

  closeBreaker(address: KeyAddress): Promise<void> {
    return this.#run(
      () => this.#backend.closeBreaker(address),
      () => this.#local.closeBreaker(address),
    );
  }

  releaseProbe(address: KeyAddress, token: string): Promise<void> {
    return this.#run(
      () => this.#backend.releaseProbe(address, token),
      () => this.#local.releaseProbe(address, token),
    );
  }

  clearKey(address: KeyAddress): Promise<void> {
    // The local copy goes too, or a re-sync would bring back what the user cleared.
    this.#local.clearKey(address);
    return this.#run(
      () => this.#backend.clearKey(address),
      () => undefined,
    );
  }

  snapshot(address: KeyAddress, scope: string): Promise<KeySnapshot> {
    return this.#run(
      () => this.#backend.snapshot(address, scope),
      () => this.#local.snapshot(address, scope),
    );
  }

  on(listener: StoreListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops listening and answers locally from then on; the client stays the caller's to close. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stop.abort();
    this.#listeners.clear();
    this.#options.onClose?.();
  }

  async #start(): Promise<RedisReadiness> {
    const { clock, startupTimeoutMs, clientError, onStart } = this.#options;
    if (!this.#closed) onStart?.();
    const readiness = await startRedis({
      probe: () => this.#backend.load(),
      clock,
      timeoutMs: startupTimeoutMs,
      clientError,
      signal: this.#stop.signal,
    });
    this.#started = true;
    if (!readiness.ok) {
      const now = clock.now();
      this.#breaker.trip(now);
      this.#degraded(now, readiness.reason);
    }
    return readiness;
  }

  /** `remote` on Redis, `local` while the store is local, `failed` (by default `local`) when `remote` fails. */
  async #run<T>(remote: () => Promise<T>, local: () => T, given?: StoreGate, failed = local): Promise<T> {
    if (!this.#started) await this.ready();
    const gate = given ?? this.#breaker.gate(this.#options.clock.now());
    if (gate === 'local' || this.#closed) return local();
    const value = await this.#call(gate, remote);
    return value.ok ? value.value : failed();
  }

  /** One Redis call within its deadline, counted by the store's breaker; never rejects. */
  async #call<T>(gate: StoreGate, remote: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false }> {
    const startedAt = this.#options.clock.now();
    try {
      const value = await withDeadline(remote(), this.#options.timeoutMs);
      if (this.#breaker.onSuccess(gate)) this.#recovered();
      return { ok: true, value };
    } catch (error) {
      this.#failed(gate, error, startedAt);
      return { ok: false };
    }
  }

  #failed(gate: StoreGate, error: unknown, startedAt?: number): void {
    const now = this.#options.clock.now();
    this.#faults += 1;
    if (!this.#breaker.onFailure(gate, now, startedAt)) return;
    this.#degraded(now, describeRedisError(withClientError(error, this.#options.clientError)));
  }

  #degraded(now: number, reason: string): void {
    this.#downSince = now;
    this.#reason = reason;
    this.#handoverUntil = 0;
    this.#emit({ type: 'store-degraded', at: now, reason });
  }

  #recovered(): void {
    const now = this.#options.clock.now();
    this.#emit({ type: 'store-recovered', at: now, downMs: now - this.#downSince });
    // Every process is back within recoverAfterMs of the first (each tries Redis that often): the first
    // sets the hand-over's end twice that far, and all leave their local schedules then, together.
    const { recoverAfterMs, clock } = this.#options;
    this.#handoverUntil = now + recoverAfterMs;
    void this.#call('send', () => this.#backend.handover(2 * recoverAfterMs, recoverAfterMs)).then((left) => {
      if (left.ok && this.#handoverUntil > 0) this.#handoverUntil = clock.now() + left.value;
    });
    void this.#resync();
  }

  /** Hands what this process did alone back to Redis; the local schedules stay for the hand-over. */
  async #resync(): Promise<void> {
    try {
      await withDeadline(handBack(this.#backend, this.#local.pending()), this.#options.timeoutMs);
    } catch (error) {
      this.#failed('send', error);
    }
  }

  #emit(event: StoreEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch {
        // A listener's bug must not take the store down with it.
      }
    }
  }
}

/** A store shared through Redis, on the user's own node-redis or ioredis client. */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
