import type { Multiplexer } from '../../multiplexer.js';
import type { UsageStats } from '../../stats/usage-stats.js';

/**
 * "waiting for provider, next probe in 8s" while jobs wait and no key of the provider can serve (every key
 * cooling down, backing off or ejected); '' otherwise. A long run then says why it is quiet.
 */
export function describeProviderWait(stats: UsageStats, provider: string, now: number): string {
  const pool = stats.providers[provider];
  if (!pool || pool.waiting === 0 || pool.nextProbeAt === null) return '';
  if (pool.keys.some((k) => k.state === 'healthy' || k.state === 'degraded')) return '';
  const seconds = Math.max(0, Math.ceil((Date.parse(pool.nextProbeAt) - now) / 1000));
  return `waiting for provider, next probe in ${seconds}s`;
}

/** Calls `onChange` with the wait's description whenever it changes, once a second; returns the stop. */
export function watchProviderWait(
  mux: Multiplexer,
  provider: string,
  onChange: (text: string) => void,
): () => void {
  let last = '';
  const timer = setInterval(() => {
    const text = describeProviderWait(mux.getUsageStats(), provider, Date.now());
    if (text === last) return;
    last = text;
    onChange(text);
  }, 1000);
  timer.unref();
  return () => clearInterval(timer);
}
