// Each key's counters, a fold over the event union (STYLE: stats are a fold over one event union): run on
// every event by the multiplexer's subscription, read by `getUsageStats()` (src/stats/usage-stats.ts).
import type { KeymuxEvent } from './events.js';
import type { FailureClass } from './failure.js';
import type { KeyCheckResult } from './key-check.js';

const LATENCY_SAMPLES = 512;

/** Counters of one key, folded from the event stream. */
export interface KeyCounters {
  requests: number;
  successes: number;
  failures: Record<FailureClass, number>;
  retries: number;
  rateLimited: number;
  inputTokens: number;
  outputTokens: number;
  /** The last latencies, a ring of LATENCY_SAMPLES. */
  readonly latencies: number[];
  latencyCursor: number;
  /** The key's last health check (`checkKeys` or `healthCheckInterval`), and when it ended. */
  lastCheck: { readonly at: number; readonly result: KeyCheckResult } | undefined;
}

/** The fold's state: counters per provider and key name. */
export type CounterState = Map<string, Map<string, KeyCounters>>;

export function emptyCounters(): KeyCounters {
  return {
    requests: 0,
    successes: 0,
    failures: {
      'rate-limited': 0,
      'quota-exhausted': 0,
      auth: 0,
      transient: 0,
      'bad-request': 0,
      aborted: 0,
    },
    retries: 0,
    rateLimited: 0,
    inputTokens: 0,
    outputTokens: 0,
    latencies: [],
    latencyCursor: 0,
    lastCheck: undefined,
  };
}

/** One step of the fold. Events without a key (job-settled) leave the counters alone. */
export function foldEvent(state: CounterState, event: KeymuxEvent): void {
  if (!('key' in event)) return;
  let byName = state.get(event.key.provider);
  if (!byName) {
    byName = new Map();
    state.set(event.key.provider, byName);
  }
  if (event.type === 'key-removed') {
    byName.delete(event.key.name);
    return;
  }
  let c = byName.get(event.key.name);
  if (!c) {
    c = emptyCounters();
    byName.set(event.key.name, c);
  }
  switch (event.type) {
    case 'request':
      c.requests++;
      if (event.attempt > 1) c.retries++;
      break;
    case 'success':
      c.successes++;
      c.inputTokens += event.usage?.inputTokens ?? 0;
      c.outputTokens += event.usage?.outputTokens ?? 0;
      recordLatency(c, event.latencyMs);
      break;
    case 'failure':
      c.failures[event.failureClass]++;
      if (event.failureClass !== 'aborted') recordLatency(c, event.latencyMs);
      break;
    case 'rate-limited':
      c.rateLimited++;
      break;
    case 'key-checked':
      c.lastCheck = { at: event.at, result: event.result };
      break;
    default:
      break;
  }
}

function recordLatency(c: KeyCounters, ms: number): void {
  if (c.latencies.length < LATENCY_SAMPLES) c.latencies.push(ms);
  else c.latencies[c.latencyCursor] = ms;
  c.latencyCursor = (c.latencyCursor + 1) % LATENCY_SAMPLES;
}

/** Nearest-rank percentile of the samples; 0 when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}
