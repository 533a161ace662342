import { describe, expect, it } from 'vitest';
import type { Strategy } from '../../src/config/options.js';
import { TokenBucket } from '../../src/emulator/limits/token-bucket.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { ManualClock } from '../support/manual-clock.js';

/**
 * The batch shape that stranded keys (every job submitted at once), in virtual time: 5 keys at 600 rpm
 * against a provider that enforces each as a GCRA bucket of 2 (strict), 100 ms per call, 1 200 jobs.
 * Capacity is 50 calls/s, so a perfect run takes 24 s; goodput = jobs / virtual seconds / 50.
 */
const KEYS = 5;
const RPM = 600;
const CAPACITY = (KEYS * RPM) / 60_000; // calls per ms

function run(strategy: Exclude<Strategy, 'specific'>, opts: { faultAtStart: boolean; jobs?: number }) {
  const clock = new ManualClock(0);
  let seed = 7;
  const mux = new Multiplexer({
    clock,
    random: () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    },
    strategy,
    queueSize: 10_000,
    attemptTimeoutMs: Number.POSITIVE_INFINITY,
  });
  mux.registerProvider(fakeAdapter());
  const buckets = new Map<string, TokenBucket>();
  const served = new Map<string, number>();
  const refused = new Map<string, number>();
  for (let i = 0; i < KEYS; i++) {
    mux.addKey('fake', { name: `k${i}`, apiKey: `secret-k${i}-0123456789`, limits: { rpm: RPM } });
    buckets.set(`k${i}`, new TokenBucket(RPM, 60_000, 2, 0, true));
  }
  let scripted = opts.faultAtStart;
  const call = async (client: unknown) => {
    const name = `k${(client as FakeClient).apiKey.split('-')[1]!.slice(1)}`;
    const now = clock.now();
    // The provider's answer to key 0's first request: one 429 with Retry-After 1 s.
    if (scripted && name === 'k0') {
      scripted = false;
      throw new HttpError(429, 'rate limited (scripted)', 1000);
    }
    const bucket = buckets.get(name)!;
    if (bucket.waitFor(1, now) > 0) {
      refused.set(name, (refused.get(name) ?? 0) + 1);
      throw new HttpError(429, 'rate limited', bucket.waitFor(1, now));
    }
    bucket.take(1, now);
    await clock.sleep(100);
    served.set(name, (served.get(name) ?? 0) + 1);
    return name;
  };
  const jobs = opts.jobs ?? 1200;
  let lastSettled = 0;
  mux.on('job-settled', (e) => {
    lastSettled = Math.max(lastSettled, e.at);
  });
  const all = Promise.allSettled(Array.from({ length: jobs }, () => mux.execute('fake', call)));
  return {
    async finish() {
      await clock.runAll();
      const results = await all;
      return {
        failed: results.filter((r) => r.status === 'rejected').length,
        goodput: jobs / lastSettled / CAPACITY,
        served,
        refused,
      };
    },
  };
}

describe('batch goodput in virtual time (strict provider, all jobs at once)', () => {
  it.each(['least-loaded', 'round-robin', 'random', 'lru', 'least-used', 'weighted'] as const)(
    '%s: at least 0.97 of capacity with or without a 429 at the start, even shares, no 429 of its own',
    async (strategy) => {
      for (const faultAtStart of [false, true]) {
        const { failed, goodput, served, refused } = await run(strategy, { faultAtStart }).finish();
        expect(failed).toBe(0);
        expect(goodput).toBeGreaterThanOrEqual(0.97);
        // keymux paces under the provider's bucket: no 429 beyond the scripted one.
        expect([...refused.values()].reduce((a, b) => a + b, 0)).toBe(0);
        // Every key carries its share, within ±5% of even (the faulted key loses its second, 10 calls).
        for (let i = 0; i < KEYS; i++) {
          expect(served.get(`k${i}`) ?? 0).toBeGreaterThanOrEqual(0.95 * (1200 / KEYS));
          expect(served.get(`k${i}`) ?? 0).toBeLessThanOrEqual(1.05 * (1200 / KEYS));
        }
      }
    },
    60_000,
  );
});
