import type { OffloadJournal } from './offload-journal.js';
import type { SharedBudgets } from './shared-budgets.js';
/**
 * The per-key state that several processes on one set of keys must share: rate schedules (one theoretical
 * arrival time per limit, per key or quota group), learned limits, cooldown deadlines, and the breaker's
 * open deadline with its half-open probe. Queues, concurrency slots and the choice of key stay in each
 * process.
 *
 * Every duration crosses this interface relative to "now" (waits, floors, cooldowns in ms from now), never
 * as a timestamp: each store reads its own clock (the injected one in memory, Redis `TIME` in Redis), so
 * machines' clocks never have to agree.
 */

export type LimitName = 'rpm' | 'tpm' | 'rpd' | 'tpd';

/** A store's methods answer at once (memory) or later (Redis); callers await only what is a Promise. */
export type Awaitable<T> = T | Promise<T>;

/** `memory`: one process; `redis`: shared; `degraded`: Redis is away and each process paces at its share. */
export type StoreMode = 'memory' | 'redis' | 'degraded';

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** The window of each limit: per minute or per day. */
export const WINDOW_MS: Readonly<Record<LimitName, number>> = {
  rpm: MINUTE_MS,
  tpm: MINUTE_MS,
  rpd: DAY_MS,
  tpd: DAY_MS,
};

export const LIMIT_NAMES: readonly LimitName[] = ['rpm', 'tpm', 'rpd', 'tpd'];

/** How late a paced send may be and still keep its schedule; after a longer gap the schedule restarts. */
export const PACE_SLACK_MS = 100;

/** One limit of a take or a settle. */
export interface LimitCharge {
  readonly name: LimitName;
  /** The configured limit; undefined to use the one learned for this scope, if any (else the limit is skipped). */
  readonly limit: number | undefined;
  /** Units: 1 for request limits, the estimated tokens for token limits; in a settle, actual − estimated. */
  readonly units: number;
}

/** Which key a call is about: its provider (the pool) and its name. */
export interface KeyAddress {
  readonly provider: string;
  readonly key: string;
}

export interface TakeRequest extends KeyAddress {
  /** Whose rate schedules this take moves: the key's name, or its quota group. */
  readonly scope: string;
  readonly limits: readonly LimitCharge[];
  /** How long a half-open probe lease lasts when this take becomes the probe, so a crashed holder frees it. */
  readonly probeTtlMs: number;
  /**
   * A rate wait up to this long is booked rather than refused: the take succeeds with `delayMs`, and the
   * caller sends after that delay. Waiters of several processes then ask once each, instead of all asking
   * again whenever the schedule frees a slot. A refusal's `waitMs` then runs until the next free slot is
   * this close. Never for a breaker's probe, a cooldown or a first contact. @default 0
   */
  readonly reserveMs?: number;
  /**
   * How far ahead the caller's latest booked send runs (from earlier answers). A store answering alone
   * (Redis away) starts a fresh local schedule no sooner, so the calls booked in Redis before the outage
   * and the local ones do not go out together. @default 0
   */
  readonly bookedMs?: number;
}

export type RefusalReason = 'rate' | 'cooldown' | 'breaker';

export type TakeResult =
  | {
      readonly ok: true;
      /** The lease token when this call is the breaker's half-open probe; give it back with `releaseProbe`. */
      readonly probe: string | undefined;
      /** Limits this take used that were learned (possibly by another process). */
      readonly learned: Partial<Record<LimitName, number>>;
      /** The send was booked this many ms ahead (see `reserveMs`): wait as long before sending; 0: now. */
      readonly delayMs: number;
    }
  | {
      readonly ok: false;
      /** Milliseconds until a take may succeed: nothing was written. */
      readonly waitMs: number;
      readonly reason: RefusalReason;
      readonly learned: Partial<Record<LimitName, number>>;
    };

export interface SettleRequest {
  readonly provider: string;
  readonly scope: string;
  /** Per token limit: `units` is actual − estimated tokens (negative: a refund, never below now). */
  readonly limits: readonly LimitCharge[];
  /** The call's readings, applied first as `tighten` would: one round trip for the call's whole aftermath. */
  readonly readings?: readonly Reading[];
}

/** One limit's reading, as `tighten` takes it (without the address). */
export type Reading = Pick<TightenRequest, 'name' | 'floorMs' | 'learn'>;

export interface TightenRequest {
  readonly provider: string;
  readonly scope: string;
  readonly name: LimitName;
  /** Nothing may be sent on this limit before now + floorMs (see `floorOfReading` in policy/gcra.ts); the schedule stays. */
  readonly floorMs: number;
  /** A limit learned from the reading, stored for this scope and name; omit for configured limits. */
  readonly learn?: number;
}

/** A key's deadlines: `cooldown` (429, backoff) and `exhausted` (quota) are only ever extended. */
export type DeadlineKind = 'cooldown' | 'exhausted';

export type SharedBreakerState = 'closed' | 'open' | 'half-open';

/** What the store knows of one key and its scope, for eligibility and stats. */
export interface KeySnapshot {
  readonly cooldownMs: number;
  readonly exhaustedMs: number;
  readonly breaker: SharedBreakerState;
  /** Until the breaker lets a probe through (open), or until the probe's lease ends (half-open, held). */
  readonly breakerMs: number;
  readonly probeHeld: boolean;
  /** Per limit: how far its schedule runs ahead of now, its floor from readings, the learned limit if any. */
  readonly limits: Partial<Record<LimitName, LimitSnapshot>>;
}

export interface LimitSnapshot {
  /** The committed schedule (tat) ahead of now: units sent or owed × window / limit. */
  readonly aheadMs: number;
  /** Nothing may go on this limit before now + notBeforeMs (a provider's reading). */
  readonly notBeforeMs: number;
  readonly learned: number | undefined;
}

export type StoreEvent =
  | { readonly type: 'store-degraded'; readonly at: number; readonly reason: string }
  | { readonly type: 'store-recovered'; readonly at: number; readonly downMs: number };

export type StoreListener = (event: StoreEvent) => void;

/** The shared state of keys. Implementations: `memoryStore()` (default) and `redisStore()`. */
export interface KeyStateStore {
  readonly mode: StoreMode;
  /** Budgets shared by every process on this store (Redis); absent: each process keeps its own. */
  readonly budgets?: SharedBudgets;
  /** Where batch offload writes its open batches down (Redis: shared, survives a restart); absent: memory. */
  readonly offloadJournal?: OffloadJournal;
  /**
   * Calls to the shared backend that failed so far (a Redis store; absent or 0 for memory). A send booked
   * in the shared schedule before a failure is given up: the other processes may be pacing alone by then.
   */
  readonly faults?: number;
  /**
   * All or nothing across the scope's limits, after the key's cooldown and breaker: on refusal nothing is
   * written and the wait is returned. In half-open state the one successful take holds the probe lease.
   */
  take(request: TakeRequest): Awaitable<TakeResult>;
  /** Reconciles token estimates after the call: an overage becomes debt, a refund never reaches before now. */
  settle(request: SettleRequest): Awaitable<void>;
  /** A provider's reading only ever pushes a schedule later; it may also record a learned limit. */
  tighten(request: TightenRequest): Awaitable<void>;
  /** Extends a deadline to now + ms unless it already runs later; returns the ms left on it. */
  extendDeadline(address: KeyAddress, kind: DeadlineKind, ms: number): Awaitable<number>;
  /** Opens the breaker for `ms` (never shortening an open one) and drops any probe lease. */
  openBreaker(address: KeyAddress, ms: number): Awaitable<void>;
  /** Closes the breaker (a call succeeded) and drops any probe lease. */
  closeBreaker(address: KeyAddress): Awaitable<void>;
  /** Gives back a probe lease whose call ended without a verdict (abort, bad request). */
  releaseProbe(address: KeyAddress, token: string): Awaitable<void>;
  /** Clears the key's deadlines and breaker (`resetKey`); its scope's rate schedules stay. */
  clearKey(address: KeyAddress): Awaitable<void>;
  snapshot(address: KeyAddress, scope: string): Awaitable<KeySnapshot>;
  /** Listens for `store-degraded` / `store-recovered`; returns the unsubscribe function. */
  on(listener: StoreListener): () => void;
  close(): Awaitable<void>;
}

const STORE_METHODS = [
  'take',
  'settle',
  'tighten',
  'extendDeadline',
  'openBreaker',
  'closeBreaker',
  'releaseProbe',
  'on',
];

/** True for a value with a store's methods and mode. */
export function isKeyStateStore(value: unknown): value is KeyStateStore {
  if (typeof value !== 'object' || value === null) return false;
  const store = value as Record<string, unknown>;
  return (
    ['memory', 'redis', 'degraded'].includes(String(store.mode)) &&
    STORE_METHODS.every((m) => typeof store[m] === 'function')
  );
}
