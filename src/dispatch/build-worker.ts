import type { KeyOptions, WorkerOptions } from '../config/options.js';
import type { ApiKey } from '../core/api-key.js';
import type { EventBus, KeyRef } from '../core/events.js';
import { AdaptiveConcurrency } from '../policy/adaptive-concurrency.js';
import { type EjectionGuard, KeyHealth } from '../policy/health.js';
import type { RateLimiter } from '../policy/rate-limiter.js';
import type { SharedGate } from '../policy/shared-gate.js';
import type { ProviderAdapter } from '../providers/adapter.js';
import { KeyLane } from './key-worker.js';

export interface BuildWorkerInput {
  readonly provider: string;
  readonly key: ApiKey;
  readonly keyOptions: KeyOptions;
  readonly adapter: ProviderAdapter;
  readonly limiter: RateLimiter;
  readonly guard: EjectionGuard | undefined;
  readonly options: WorkerOptions;
  readonly events: EventBus;
  readonly notify: (scope?: 'pool') => void;
  /** Jobs waiting in the key's pool for any key. */
  readonly poolBacklog?: () => number;
  /** The key's state shared with other processes; undefined in a process alone. */
  readonly shared?: SharedGate | undefined;
}

/** Wires one key's worker: its health, concurrency limit, lazily built SDK client and header feed. */
export function buildWorker(input: BuildWorkerInput): KeyLane {
  const { provider, key, keyOptions, adapter, limiter, options, events, guard } = input;
  const ref: KeyRef = { provider, name: key.name, label: key.label };
  const concurrency = new AdaptiveConcurrency({
    maxConcurrentRequests: keyOptions.maxConcurrentRequests ?? options.maxConcurrentRequests,
    ...(options.maxConcurrencyCeiling === undefined
      ? {}
      : { maxConcurrencyCeiling: options.maxConcurrencyCeiling }),
    // Per ms, as the latencies it multiplies.
    allowedRate: () => worker.allowedRate(),
  });
  concurrency.onChange((limit) =>
    events.emit({ type: 'concurrency-changed', at: options.clock.now(), key: ref, concurrency: limit }),
  );
  let client: unknown;
  let built = false;
  const observingFetch: typeof fetch = async (url, init) => {
    const response = await globalThis.fetch(url, init);
    observeLimitHeaders(worker, adapter, response.headers);
    return response;
  };
  const clock = options.clock;
  const worker: KeyLane = new KeyLane({
    key,
    ref,
    weight: keyOptions.weight ?? 1,
    queueSize: keyOptions.queueSize ?? options.queueSize,
    health: new KeyHealth(options, options.random, keyOptions.enabled ?? true, () =>
      guard ? guard.mayEject(clock.now()) : true,
    ),
    limiter,
    concurrency,
    guard,
    clock,
    events,
    client: () => {
      if (!built) {
        client = adapter.createClient({
          apiKey: key.reveal(),
          baseURL: keyOptions.baseURL,
          fetch: observingFetch,
        });
        built = true;
      }
      return client;
    },
    classify: (error) => adapter.classify(error),
    chargesEstimate: adapter.chargesEstimate === true,
    attemptTimeoutMs: options.attemptTimeoutMs,
    priorityAgingMs: options.priorityAgingMs,
    ready: () => adapter.ready?.(),
    notify: input.notify,
    poolBacklog: input.poolBacklog,
    shared: input.shared,
  });
  return worker;
}

/**
 * Feeds one response's headers to the key (see KeyLane.observe). The key's SDK client does this for
 * every response through its observing fetch (build-worker.ts); a raw HTTP call on the key (the
 * gateway's) does it here.
 */
export function observeLimitHeaders(worker: KeyLane, adapter: ProviderAdapter, headers: Headers): void {
  const readLimits = adapter.readRateLimits;
  if (readLimits) worker.observe(readLimits(headers));
}
