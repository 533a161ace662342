import type { ProviderAdapter } from '../providers/adapter.js';
import type { KeyWorker } from './key-worker.js';

/**
 * Feeds one response's headers to the key (see KeyWorker.observe). The key's SDK client does this for
 * every response through its observing fetch (build-worker.ts); a raw HTTP call on the key (the
 * gateway's) does it here.
 */
export function observeLimitHeaders(worker: KeyWorker, adapter: ProviderAdapter, headers: Headers): void {
  const readLimits = adapter.readRateLimits;
  if (readLimits) worker.observe(readLimits(headers));
}
