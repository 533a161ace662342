import { type SimInput, simulate } from './adaptive-sim.js';

/**
 * `npm run bench:adaptive`: the adaptive concurrency limit against simulated providers on a virtual clock
 * (no real waits, same figures on every machine). 5 keys × 600 rpm, jobs always waiting.
 * (a) slot-bound: latency uniform in mean × [0.5, 1.5) at 1 s and 5 s mean; (b) a struggling provider:
 * above N (20 at 5 s, 8 at 1 s) concurrent calls per key, calls take twice as long and fail with a 5xx with
 * probability 1 − N / load. Goodput is successful calls per second as a share of the keys' rate limits.
 */
const KEYS = 5;
const JOBS = 30_000;
const scenarios: ReadonlyArray<{ name: string; server: SimInput['server'] }> = [
  { name: '1 s latency', server: { rpm: 600, latencyMs: 1000 } },
  { name: '5 s latency', server: { rpm: 600, latencyMs: 5000 } },
  { name: 'struggling, N = 20, 5 s', server: { rpm: 600, latencyMs: 5000, overloadAbove: 20 } },
  { name: 'struggling, N = 8, 1 s', server: { rpm: 600, latencyMs: 1000, overloadAbove: 8 } },
];
const settings: ReadonlyArray<number | 'auto'> = ['auto', 5, 100];

const rows = [];
for (const { name, server } of scenarios) {
  for (const concurrency of settings) {
    const run = simulate({ keys: KEYS, concurrency, server, jobs: JOBS });
    rows.push({
      scenario: name,
      maxConcurrentRequests: concurrency,
      'goodput req/s': round(run.goodputRps, 1),
      'of capacity': `${round(run.capacityShare * 100, 1)}%`,
      '5xx': run.failed5xx,
      'limit (2nd half mean)': round(run.settledLimit, 1),
      'virtual s': round(run.durationMs / 1000, 0),
    });
  }
}
console.log(`${KEYS} keys × 600 rpm (capacity ${KEYS * 10} req/s), ${JOBS} jobs, virtual clock`);
console.table(rows);

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
