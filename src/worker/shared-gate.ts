import type { RateLimitInfo } from '../providers/adapter.js';
import type { HealthChange } from './health.js';

/**
 * A key's state shared with other processes (the Redis store), next to its in-process limiter and health.
 * Absent in a process alone (the default memory store): the worker then never awaits anything here.
 */
export interface SharedGate {
  /** Takes one call of `tokens` from the shared buckets: 0 when taken, else the ms to wait (nothing taken). */
  take(tokens: number): Promise<number>;
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
