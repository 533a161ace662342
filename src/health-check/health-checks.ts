import type { HealthCheckOptions } from '../config/options.js';
import { ShutdownError } from '../core/errors.js';
import type { EventBus } from '../core/events.js';
import type { KeyCheckResult } from '../core/key-check.js';
import type { KeyPool } from '../dispatch/key-registry.js';
import { KeyChecker } from './check-keys.js';
import { runHealthSchedule } from './health-scheduler.js';

/** A multiplexer's health checks: `checkKeys` on demand, and the `healthCheckInterval` rounds. */
export class HealthChecks {
  readonly #closing = new AbortController();
  readonly #checker: KeyChecker;

  constructor(options: HealthCheckOptions, events: EventBus, pools: () => Iterable<KeyPool>) {
    this.#checker = new KeyChecker(options.clock, events, this.#closing.signal);
    const interval = options.healthCheckInterval ?? 0;
    if (interval > 0)
      void runHealthSchedule(interval, options.clock, this.#checker, pools, this.#closing.signal);
  }

  /** Checks every key of the pools, in their order; resolves with one result per key. */
  check(pools: Iterable<KeyPool>): Promise<KeyCheckResult[]> {
    if (this.#closing.signal.aborted) return Promise.reject(new ShutdownError());
    const checks: Array<Promise<KeyCheckResult>> = [];
    for (const pool of pools)
      for (const worker of pool.workers) checks.push(this.#checker.check({ pool, worker }));
    return Promise.all(checks);
  }

  /** Stops the rounds and every check in flight (`close()`). */
  stop(): void {
    this.#closing.abort(new ShutdownError());
  }
}
