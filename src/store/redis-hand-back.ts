import type { PendingState } from './memory-state.js';
import type { RedisBackend } from './redis-backend.js';

/**
 * Hands what a process did alone back to Redis, which only ever moves later: the units it sent (added to
 * the shared schedules), the floors it read, its cooldowns and open breakers. One call per item, together.
 */
export function handBack(backend: RedisBackend, pending: PendingState): Promise<unknown[]> {
  const calls: Array<Promise<unknown>> = [];
  for (const s of pending.schedules) {
    const { provider, scope, name } = s;
    if (s.units > 0)
      calls.push(backend.charge({ provider, scope, limits: [{ name, limit: s.limit, units: s.units }] }));
    if (s.notBeforeMs > 0) calls.push(backend.tighten({ provider, scope, name, floorMs: s.notBeforeMs }));
  }
  for (const d of pending.deadlines) {
    if (d.cooldownMs > 0) calls.push(backend.extendDeadline(d, 'cooldown', d.cooldownMs));
    if (d.exhaustedMs > 0) calls.push(backend.extendDeadline(d, 'exhausted', d.exhaustedMs));
    if (d.openMs > 0) calls.push(backend.openBreaker(d, d.openMs));
  }
  return Promise.all(calls);
}
