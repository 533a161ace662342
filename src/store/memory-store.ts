import { type Clock, systemClock } from '../core/clock.js';
import { adjustTat, aheadOf, isPaced, takeTat, waitOf } from '../policy/gcra.js';
import {
  charge as chargeScope,
  type KeyState,
  keyId,
  keyRefusal,
  keySnapshotOf,
  learnedOf,
  newKeyState,
  newScopeState,
  type PendingState,
  pendingOf,
  type ScopeState,
  scopeId,
} from './memory-state.js';
import { newProbeToken } from './probe-token.js';
import type {
  DeadlineKind,
  KeyAddress,
  KeySnapshot,
  KeyStateStore,
  LimitName,
  LimitSnapshot,
  SettleRequest,
  StoreListener,
  TakeRequest,
  TakeResult,
  TightenRequest,
} from './store.js';
import { PACE_SLACK_MS, WINDOW_MS } from './store.js';

export interface MemoryStoreOptions {
  /** Time source; the multiplexer passes its own. @default systemClock */
  readonly clock?: Clock;
  /**
   * Fraction of every limit this store paces to: 1 alone, 1/N as the fallback of one of N processes.
   * @default 1
   */
  readonly share?: number;
  /**
   * This store's phase, as a fraction in [0, 1) of each paced limit's interval: its schedules send at
   * `(k + stagger) × interval` on the clock, so processes on their local shares with different phases take
   * turns instead of sending together, whenever each fell back. @default none (a fresh schedule sends at once)
   */
  readonly stagger?: () => number;
}

/** The store's state in this process: synchronous, no allocation on a take beyond its result. */
export class MemoryStore implements KeyStateStore {
  readonly mode = 'memory' as const;
  readonly #clock: Clock;
  readonly #share: number;
  readonly #stagger: (() => number) | undefined;
  readonly #scopes = new Map<string, ScopeState>();
  readonly #keys = new Map<string, KeyState>();

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#share = options.share ?? 1;
    this.#stagger = options.stagger;
  }

  take(request: TakeRequest): TakeResult {
    const now = this.#clock.now();
    const key = this.#keys.get(keyId(request));
    const scope = this.#scope(request.provider, request.scope);
    const learned = learnedOf(request, scope);
    const refusal = keyRefusal(key, now);
    if (refusal) return { ok: false, ...refusal, learned };
    let wait = 0;
    for (const charge of request.limits) {
      const limit = this.#limitOf(charge.name, charge.limit, scope);
      if (limit === undefined) continue;
      const { name } = charge;
      wait = Math.max(
        wait,
        waitOf(
          this.#tatOf(scope, name, request, now, limit),
          scope.notBefore.get(name),
          now,
          limit,
          WINDOW_MS[name],
        ),
      );
    }
    // A short wait is booked (see `reserveMs`), except for a breaker's probe, which goes now or not at all.
    const reserve = key?.open === undefined ? (request.reserveMs ?? 0) : 0;
    if (wait > reserve) return { ok: false, waitMs: wait - reserve, reason: 'rate', learned };
    const at = now + wait;
    for (const charge of request.limits) {
      const limit = this.#limitOf(charge.name, charge.limit, scope);
      if (limit === undefined) continue;
      const tat = takeTat(
        this.#tatOf(scope, charge.name, request, now, limit),
        at,
        charge.units,
        limit,
        WINDOW_MS[charge.name],
      );
      scope.tat.set(charge.name, tat);
      chargeScope(scope, charge.name, Math.min(charge.units, limit / this.#share), charge.limit);
    }
    let probe: string | undefined;
    if (key?.open !== undefined) {
      probe = newProbeToken();
      key.probe = { token: probe, until: now + request.probeTtlMs };
    }
    return { ok: true, probe, learned, delayMs: wait };
  }

  settle(request: SettleRequest): void {
    for (const reading of request.readings ?? [])
      this.tighten({ provider: request.provider, scope: request.scope, ...reading });
    const now = this.#clock.now();
    const scope = this.#scope(request.provider, request.scope);
    for (const charge of request.limits) {
      const limit = this.#limitOf(charge.name, charge.limit, scope);
      if (limit === undefined) continue;
      const tat = adjustTat(scope.tat.get(charge.name), now, charge.units, limit, WINDOW_MS[charge.name]);
      if (tat === undefined) continue;
      scope.tat.set(charge.name, tat);
      chargeScope(scope, charge.name, charge.units, charge.limit);
    }
  }

  tighten(request: TightenRequest): void {
    const scope = this.#scope(request.provider, request.scope);
    if (request.learn !== undefined && request.learn > 0) scope.learned.set(request.name, request.learn);
    const at = this.#clock.now() + request.floorMs;
    if (at > (scope.notBefore.get(request.name) ?? Number.NEGATIVE_INFINITY))
      scope.notBefore.set(request.name, at);
  }

  extendDeadline(address: KeyAddress, kind: DeadlineKind, ms: number): number {
    const now = this.#clock.now();
    const key = this.#key(address);
    key[kind] = Math.max(key[kind], now + ms);
    return key[kind] - now;
  }

  openBreaker(address: KeyAddress, ms: number): void {
    const key = this.#key(address);
    key.open = Math.max(key.open ?? Number.NEGATIVE_INFINITY, this.#clock.now() + ms);
    key.probe = undefined;
  }

  closeBreaker(address: KeyAddress): void {
    const key = this.#keys.get(keyId(address));
    if (!key) return;
    key.open = undefined;
    key.probe = undefined;
  }

  releaseProbe(address: KeyAddress, token: string): void {
    const key = this.#keys.get(keyId(address));
    if (key?.probe?.token === token) key.probe = undefined;
  }

  clearKey(address: KeyAddress): void {
    this.#keys.delete(keyId(address));
  }

  snapshot(address: KeyAddress, scopeName: string): KeySnapshot {
    const now = this.#clock.now();
    const key = this.#keys.get(keyId(address));
    const scope = this.#scopes.get(scopeId(address.provider, scopeName));
    const limits: Partial<Record<LimitName, LimitSnapshot>> = {};
    if (scope) {
      for (const name of new Set([...scope.tat.keys(), ...scope.notBefore.keys(), ...scope.learned.keys()])) {
        limits[name] = {
          aheadMs: aheadOf(scope.tat.get(name), now),
          notBeforeMs: aheadOf(scope.notBefore.get(name), now),
          learned: scope.learned.get(name),
        };
      }
    }
    return { ...keySnapshotOf(key, now), limits };
  }

  on(_listener: StoreListener): () => void {
    return () => undefined;
  }

  close(): void {}

  /** Hands over what runs ahead of now (for the Redis store's re-sync when Redis returns) and forgets all. */
  drainPending(): PendingState {
    const pending = this.pending();
    this.clear();
    return pending;
  }

  /** What runs ahead of now, to hand over; the schedules stay, and count units afresh from here. */
  pending(): PendingState {
    const pending = pendingOf(this.#scopes, this.#keys, this.#clock.now(), this.#share);
    for (const scope of this.#scopes.values()) scope.charged.clear();
    return pending;
  }

  /** Forgets every schedule and deadline. */
  clear(): void {
    this.#scopes.clear();
    this.#keys.clear();
  }

  /**
   * A limit's schedule. A fresh one continues the caller's sends already booked elsewhere (`bookedMs`): the
   * first local send goes one interval after the last booked one (with `stagger`, one interval of the whole
   * limit: the processes' grids take the slots after it in turn). With `stagger`, a fresh schedule (or one
   * restarting after an idle spell) starts on this store's own grid: times `(k + stagger) × interval` on the
   * clock, so processes that fall back at different moments still take turns, each on its own slots.
   */
  #tatOf(
    scope: ScopeState,
    name: LimitName,
    request: TakeRequest,
    now: number,
    limit: number,
  ): number | undefined {
    const tat = scope.tat.get(name);
    const window = WINDOW_MS[name];
    if (!isPaced(window)) return tat;
    const booked = request.bookedMs ?? 0;
    const interval = window / limit;
    if (this.#stagger === undefined) {
      if (tat !== undefined) return tat;
      return booked > 0 ? now + booked + interval : undefined;
    }
    if (tat !== undefined && tat >= now - PACE_SLACK_MS) return tat;
    // After the booked sends, the next slot of the whole limit (every process's grid together has one
    // each `interval × share`) is the first this store may take, if its phase falls there.
    const earliest = booked > 0 ? now + booked + interval * this.#share : now;
    const offset = Math.min(0.999, Math.max(0, this.#stagger())) * interval;
    const at = Math.ceil((earliest - offset) / interval) * interval + offset;
    // Kept, so every take until the first send waits for the same slot.
    scope.tat.set(name, at);
    return at;
  }

  /** The limit this store paces to: configured, else learned; scaled by this store's share. */
  #limitOf(name: LimitName, configured: number | undefined, scope: ScopeState): number | undefined {
    const limit = configured ?? scope.learned.get(name);
    return limit === undefined || limit <= 0 ? undefined : limit * this.#share;
  }

  #scope(provider: string, name: string): ScopeState {
    const id = scopeId(provider, name);
    let scope = this.#scopes.get(id);
    if (!scope) {
      scope = newScopeState();
      this.#scopes.set(id, scope);
    }
    return scope;
  }

  #key(address: KeyAddress): KeyState {
    const id = keyId(address);
    let key = this.#keys.get(id);
    if (!key) {
      key = newKeyState();
      this.#keys.set(id, key);
    }
    return key;
  }
}

/** The default store: this process's memory, with the semantics of the shared one. */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}
