import type { RateLimitInfo } from '../core/rate-limit-info.js';
import type { HealthChange } from './health.js';
import type { RateLimiter } from './rate-limiter.js';

/**
 * A key's state shared with other processes (the Redis store), next to its in-process limiter and health.
 * Absent in a process alone (the default memory store): the worker then never awaits anything here.
 */
export interface SharedGate {
  /** Takes one call of `tokens` from the shared buckets: 0 when taken, else the ms to wait (nothing taken). */
  take(tokens: number): Promise<number>;
  /**
   * How long, as of the last take's answer, the shared state keeps the key from starting a call (another
   * process's cooldown, an open breaker, the shared schedule): a cached figure, no round trip. 0 when the
   * last take went through, or none was refused yet.
   */
  waitMs(now: number): number;
  /** After the call: an estimate of `estimated` tokens turned out `actual`. */
  settle(estimated: number, actual: number): void;
  /** A provider's reading of the key's limits. */
  observe(info: RateLimitInfo): void;
  /** The call succeeded; `closedBreaker` when that closed the key's breaker. */
  onSuccess(closedBreaker: boolean): void;
  /** The call failed; `change` is what the failure did to the key (cooldown, quota, breaker), if anything. */
  onFailure(change: HealthChange | undefined): void;
  /** The call ended (any outcome): a probe lease still held is given back. */
  release(): void;
}

/** Builds a key's gate to the state it shares with other processes; undefined in a process alone. */
export type SharedGateFactory = (key: {
  readonly provider: string;
  readonly key: string;
  readonly scope: string;
  readonly limiter: RateLimiter;
}) => SharedGate | undefined;
