import type { ProviderAdapter } from '../providers/adapter.js';
import type { KeyWorker } from './key-worker.js';

/**
 * Feeds one response's headers to the key's buckets: the limits it learns, the state it shares with
 * other processes, and the end of its slow start. The key's SDK client does this for every response
 * through its observing fetch (build-worker.ts); a raw HTTP call on the key (the gateway's) does it here.
 */
export function observeLimitHeaders(worker: KeyWorker, adapter: ProviderAdapter, headers: Headers): void {
  const readLimits = adapter.readRateLimits;
  if (!readLimits) return;
  const { limiter, clock, shared, events, ref, notify } = worker.deps;
  const now = clock.now();
  const wasLearning = limiter.learning;
  const info = readLimits(headers);
  const learned = limiter.observe(info, now);
  if (info) shared?.observe(info);
  if (learned) events.emit({ type: 'limits-learned', at: now, key: ref, limits: learned });
  // The first response ends a key's slow start: its queue opens up at once.
  if (wasLearning && !limiter.learning) {
    worker.refreshSlots();
    notify();
  }
}
