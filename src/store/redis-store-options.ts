import { type Clock, systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
import type { SliceSettings } from '../core/shared-budgets.js';
import { isRedisClient, type RedisClientLike } from './redis-client.js';

export interface RedisStoreOptions {
  /**
   * Your own connected client: node-redis (`createClient()`/`createCluster()`) or ioredis (`new Redis()`/
   * `new Cluster()`). Without an offline queue (`disableOfflineQueue: true` / `enableOfflineQueue: false`)
   * a call made while Redis is away fails at once instead of running late, when Redis returns.
   */
  readonly client: RedisClientLike;
  /** Names this deployment's keys: `keymux:{<prefix>:<provider>}:…`. @default 'keymux' */
  readonly prefix?: string;
  /** How many processes share the keys; sets the default `localShare`. @default 1 */
  readonly processes?: number;
  /** Fraction of each limit one process may use while Redis is away. @default 1 / processes */
  readonly localShare?: number;
  /** Deadline of every Redis call, in ms; past it the call is answered locally. @default 150 */
  readonly timeoutMs?: number;
  /** Failures in a row (errors or missed deadlines) that put the store in degraded mode. @default 2 */
  readonly failureThreshold?: number;
  /** How long the store stays local before trying Redis again, in ms. @default 1000 */
  readonly recoverAfterMs?: number;
  /**
   * How long connecting and loading the scripts may take at start, in ms. Until then every call waits for
   * Redis (nothing is sent on a key without a slot taken through Redis); past it, or at once when Redis
   * refuses the credentials, the store falls back to its local share and says why (`store-degraded`).
   * @default 5000
   */
  readonly startupTimeoutMs?: number;
  /**
   * This process's number among `processes` (0 to processes − 1): while Redis is away, its local
   * schedules send at `(k + processIndex × localShare) × interval` on the clock, so the processes' local
   * shares take turns instead of meeting at the provider, whenever each fell back. (With a `localShare` of
   * 1 they send at once.) @default none (a phase drawn once from `random`)
   */
  readonly processIndex?: number;
  /** Source of the random phase of local schedules when `processIndex` is not given. @default Math.random */
  readonly random?: () => number;
  /** Time source of the local fallback and the store's breaker. @default systemClock */
  readonly clock?: Clock;
  /** Called by `close()`: for a client the store made itself (from a URL). @default none */
  readonly onClose?: () => void;
  /** Called when the store starts: for a client the store made itself, connected only then. @default none */
  readonly onStart?: () => void;
  /**
   * The client's last connection error, for a client the store made itself (its calls only say "offline";
   * this says why: refused, wrong password). @default none
   */
  readonly clientError?: () => unknown;
  /**
   * Budgets in slices (docs/spend.md, "Many processes"): each process reserves a slice of a budget in one
   * script and spends it locally. `syncMs`: how often it flushes spend and renews its slice (@default 200);
   * `ttlMs`: a slice not renewed for this long is reclaimed, counted as spent (@default 30000);
   * `maxCalls`: headroom asked for at most, in calls' worth (@default 128). `false`: every call reserves
   * and settles in Redis (two scripts per call). @default {}
   */
  readonly budgetSlices?:
    | false
    | { readonly syncMs?: number; readonly ttlMs?: number; readonly maxCalls?: number };
}

export interface ResolvedRedisStoreOptions {
  readonly client: RedisClientLike;
  readonly budgetSlices: SliceSettings;
  readonly prefix: string;
  readonly localShare: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly recoverAfterMs: number;
  readonly startupTimeoutMs: number;
  /** This process's phase on the grid of its local schedules, as a fraction of their interval in [0, 1). */
  readonly stagger: (() => number) | undefined;
  readonly clock: Clock;
  readonly onClose: (() => void) | undefined;
  readonly onStart: (() => void) | undefined;
  readonly clientError: (() => unknown) | undefined;
}

export function resolveRedisStoreOptions(options: RedisStoreOptions): ResolvedRedisStoreOptions {
  const given = options as Partial<RedisStoreOptions> | undefined;
  if (!given || !isRedisClient(given.client)) {
    throw new ConfigError(
      'store.client',
      `Expected a node-redis or ioredis client (with evalSha or evalsha), got ${describe(given?.client)}`,
    );
  }
  const prefix = given.prefix ?? 'keymux';
  if (typeof prefix !== 'string' || prefix === '' || /[{}]/.test(prefix)) {
    throw new ConfigError(
      'store.prefix',
      `Expected a non-empty string without braces, got ${describe(prefix)}`,
    );
  }
  const processes = number('store.processes', given.processes, 1, 1, true);
  const localShare = number('store.localShare', given.localShare, 1 / processes, Number.MIN_VALUE, false, 1);
  const index =
    given.processIndex === undefined
      ? undefined
      : number('store.processIndex', given.processIndex, 0, 0, true, processes - 1);
  const random = given.random ?? Math.random;
  if (typeof random !== 'function')
    throw new ConfigError('store.random', `Expected a function, got ${describe(random)}`);
  return {
    client: given.client,
    prefix,
    localShare,
    timeoutMs: number('store.timeoutMs', given.timeoutMs, 150, 1, false),
    failureThreshold: number('store.failureThreshold', given.failureThreshold, 2, 1, true),
    recoverAfterMs: number('store.recoverAfterMs', given.recoverAfterMs, 1000, 0, false),
    startupTimeoutMs: number('store.startupTimeoutMs', given.startupTimeoutMs, 5000, 1, false),
    stagger: staggerOf(localShare, index, random),
    clock: given.clock ?? systemClock,
    onClose: given.onClose,
    onStart: given.onStart,
    clientError: given.clientError,
    budgetSlices: slicesOf(given.budgetSlices),
  };
}

function slicesOf(given: RedisStoreOptions['budgetSlices']): SliceSettings {
  if (given !== undefined && given !== false && (given === null || typeof given !== 'object')) {
    throw new ConfigError(
      'store.budgetSlices',
      `Expected false or { syncMs?, ttlMs?, maxCalls? }, got ${describe(given)}`,
    );
  }
  const s = given || {};
  const syncMs = number('store.budgetSlices.syncMs', s.syncMs, 200, 1, false);
  return {
    syncMs,
    ttlMs: number('store.budgetSlices.ttlMs', s.ttlMs, 30_000, syncMs, false),
    maxCalls: given === false ? 0 : number('store.budgetSlices.maxCalls', s.maxCalls, 128, 0, true),
  };
}

/** One phase per process, drawn once: every local schedule of the process runs on the same grid. */
function staggerOf(
  localShare: number,
  index: number | undefined,
  random: () => number,
): (() => number) | undefined {
  // A process that paces at the whole limit while Redis is away is alone by its own account: no grid.
  if (localShare >= 1) return undefined;
  const phase = index === undefined ? random() : (index * localShare) % 1;
  return () => phase;
}

function number(
  path: string,
  value: unknown,
  fallback: number,
  min: number,
  integer: boolean,
  max = Number.POSITIVE_INFINITY,
): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    value >= min &&
    value <= max &&
    (!integer || Number.isInteger(value));
  if (!ok) {
    const range =
      max === Number.POSITIVE_INFINITY
        ? `from ${min} and up`
        : min === Number.MIN_VALUE
          ? `in (0, ${max}]`
          : `from ${min} to ${max}`;
    throw new ConfigError(
      path,
      `Expected ${integer ? 'an integer' : 'a number'} ${range}, got ${describe(value)}`,
    );
  }
  return value;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `\`${value}\` (string)`;
  if (typeof value === 'object') return value === null ? '`null`' : 'an object of another shape';
  return `\`${String(value)}\` (${typeof value})`;
}
