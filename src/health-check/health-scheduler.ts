import type { Clock } from '../core/clock.js';
import type { CheckedState } from '../core/key-check.js';
import type { KeyPool } from '../dispatch/key-registry.js';
import type { CheckTarget, KeyChecker } from './check-keys.js';

/** Held out by a verdict only a check (or resetKey) can lift. Rate-limited keys come back by time alone. */
const RECHECKED: ReadonlySet<CheckedState> = new Set(['unavailable', 'exhausted', 'circuit-open']);
const IDLE_CHECKED: ReadonlySet<CheckedState> = new Set(['healthy', 'degraded']);

/**
 * `healthCheckInterval`: every `intervalMs` on the injected clock, re-checks the keys held out and the
 * healthy keys that saw no traffic since the last round, until `signal` aborts. Its timer is unref'd,
 * so it never keeps a process alive.
 */
export async function runHealthSchedule(
  intervalMs: number,
  clock: Clock,
  checker: KeyChecker,
  pools: () => Iterable<KeyPool>,
  signal: AbortSignal,
): Promise<void> {
  for (;;) {
    try {
      await clock.sleep(intervalMs, signal, { unref: true });
    } catch {
      return;
    }
    const now = clock.now();
    const due: CheckTarget[] = [];
    for (const pool of pools()) {
      for (const worker of pool.workers) {
        if (isDue({ pool, worker }, now, intervalMs, checker)) due.push({ pool, worker });
      }
    }
    // One round at a time: a slow provider delays the next round rather than piling checks up. A check
    // that throws (an adapter's bug) must not end the rounds, nor reject where nobody listens.
    await Promise.allSettled(due.map((target) => checker.check(target)));
  }
}

function isDue({ worker }: CheckTarget, now: number, intervalMs: number, checker: KeyChecker): boolean {
  const { state, inFlight, queued, lastUsedAt } = worker.stats(now);
  if (RECHECKED.has(state)) return true;
  if (!IDLE_CHECKED.has(state) || inFlight > 0 || queued > 0) return false;
  const lastSeen = Math.max(lastUsedAt, checker.lastCheckedAt(worker) ?? Number.NEGATIVE_INFINITY);
  return lastSeen <= now - intervalMs;
}
