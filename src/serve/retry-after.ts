import type { Multiplexer } from '../multiplexer.js';

/**
 * Seconds until the provider's earliest cooling key may serve again; 1 when none is cooling down
 * (the pool is merely busy, and a second is about what a queue needs to move).
 */
export function earliestRetrySeconds(mux: Multiplexer, provider: string): number {
  const stats = mux.getUsageStats();
  const now = Date.parse(stats.generatedAt);
  let earliest = Number.POSITIVE_INFINITY;
  for (const key of stats.providers[provider]?.keys ?? []) {
    if (key.state === 'healthy' || key.state === 'degraded') return 1;
    if (key.cooldownUntil !== null) earliest = Math.min(earliest, Date.parse(key.cooldownUntil) - now);
  }
  return Number.isFinite(earliest) ? Math.max(1, Math.ceil(earliest / 1000)) : 1;
}
