import { withDeadline } from './deadline.js';
import { MemoryStore } from './memory-store.js';
import { newProbeToken } from './probe-token.js';
import { RedisBackend } from './redis-backend.js';
import { scriptRunner } from './redis-client.js';
import { RedisLayout } from './redis-layout.js';
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
 * (`store-recovered`) once Redis answers again. Construction sends nothing: start-up never waits for Redis.
 */
export class RedisStore implements KeyStateStore {
  readonly #options: ResolvedRedisStoreOptions;
  readonly #backend: RedisBackend;
  readonly #local: MemoryStore;
  readonly #breaker: StoreBreaker;
  readonly #listeners = new Set<StoreListener>();
  #downSince = 0;
  #closed = false;

  constructor(options: RedisStoreOptions) {
    this.#options = resolveRedisStoreOptions(options);
    const { client, prefix, clock, localShare } = this.#options;
    this.#backend = new RedisBackend(scriptRunner(client), new RedisLayout(prefix));
    this.#local = new MemoryStore({ clock, share: localShare });
    this.#breaker = new StoreBreaker(this.#options.failureThreshold, this.#options.recoverAfterMs);
  }

  get mode(): StoreMode {
    return this.#breaker.isOpen ? 'degraded' : 'redis';
  }

  /** Fraction of each limit this process uses while Redis is away. */
  get localShare(): number {
    return this.#options.localShare;
  }

  take(request: TakeRequest): Promise<TakeResult> {
    const token = newProbeToken();
    return this.#run(
      () => this.#backend.take(request, token),
      () => this.#local.take(request),
    );
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
    this.#listeners.clear();
    this.#options.onClose?.();
  }

  async #run<T>(remote: () => Promise<T>, local: () => T): Promise<T> {
    const gate = this.#breaker.gate(this.#options.clock.now());
    if (gate === 'local' || this.#closed) return local();
    try {
      const value = await withDeadline(remote(), this.#options.timeoutMs);
      if (this.#breaker.onSuccess(gate)) this.#recovered();
      return value;
    } catch (error) {
      this.#failed(gate, error);
      return local();
    }
  }

  #failed(gate: StoreGate, error: unknown): void {
    const now = this.#options.clock.now();
    if (!this.#breaker.onFailure(gate, now)) return;
    this.#downSince = now;
    this.#emit({
      type: 'store-degraded',
      at: now,
      reason: error instanceof Error ? error.message : String(error),
    });
  }

  #recovered(): void {
    const now = this.#options.clock.now();
    this.#emit({ type: 'store-recovered', at: now, downMs: now - this.#downSince });
    void this.#resync();
  }

  /**
   * Hands what this process did alone back to Redis, which only ever moves later: the units it sent (added
   * to the shared schedules), the floors it read, its cooldowns and open breakers. Then the local copy goes.
   */
  async #resync(): Promise<void> {
    const { schedules, deadlines } = this.#local.drainPending();
    const calls: Array<Promise<unknown>> = [];
    for (const s of schedules) {
      const { provider, scope, name } = s;
      if (s.units > 0)
        calls.push(
          this.#backend.charge({ provider, scope, limits: [{ name, limit: s.limit, units: s.units }] }),
        );
      if (s.notBeforeMs > 0)
        calls.push(this.#backend.tighten({ provider, scope, name, floorMs: s.notBeforeMs }));
    }
    for (const d of deadlines) {
      if (d.cooldownMs > 0) calls.push(this.#backend.extendDeadline(d, 'cooldown', d.cooldownMs));
      if (d.exhaustedMs > 0) calls.push(this.#backend.extendDeadline(d, 'exhausted', d.exhaustedMs));
      if (d.openMs > 0) calls.push(this.#backend.openBreaker(d, d.openMs));
    }
    try {
      await withDeadline(Promise.all(calls), this.#options.timeoutMs);
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
