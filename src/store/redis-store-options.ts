import { type Clock, systemClock } from '../core/clock.js';
import { ConfigError } from '../core/errors.js';
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
  /** Time source of the local fallback and the store's breaker. @default systemClock */
  readonly clock?: Clock;
  /** Called by `close()`: for a client the store made itself (from a URL). @default none */
  readonly onClose?: () => void;
}

export interface ResolvedRedisStoreOptions {
  readonly client: RedisClientLike;
  readonly prefix: string;
  readonly localShare: number;
  readonly timeoutMs: number;
  readonly failureThreshold: number;
  readonly recoverAfterMs: number;
  readonly clock: Clock;
  readonly onClose: (() => void) | undefined;
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
  return {
    client: given.client,
    prefix,
    localShare: number('store.localShare', given.localShare, 1 / processes, Number.MIN_VALUE, false, 1),
    timeoutMs: number('store.timeoutMs', given.timeoutMs, 150, 1, false),
    failureThreshold: number('store.failureThreshold', given.failureThreshold, 2, 1, true),
    recoverAfterMs: number('store.recoverAfterMs', given.recoverAfterMs, 1000, 0, false),
    clock: given.clock ?? systemClock,
    onClose: given.onClose,
  };
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
    const range = max === Number.POSITIVE_INFINITY ? `from ${min} and up` : `in (0, ${max}]`;
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
