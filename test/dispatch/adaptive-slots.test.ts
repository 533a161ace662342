import { describe, expect, it } from 'vitest';
import type { KeymuxEvent } from '../../src/core/events.js';
import { Multiplexer } from '../../src/multiplexer.js';
import { fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

/**
 * `maxConcurrentRequests: 'auto'` in the key workers: slots grow toward rate × latency while jobs wait and
 * latency stays flat, shrink on 5xx, ignore 429s, and a pinned number stays pinned. Calls take `latencyMs`
 * on the manual clock; `inFlight` records the most calls seen at once.
 */
function setup(opts: ConstructorParameters<typeof Multiplexer>[0], rpm: number, latencyMs: number) {
  const clock = new ManualClock(1_000_000);
  const mux = new Multiplexer({
    clock,
    random: () => 0.5,
    attemptTimeoutMs: Number.POSITIVE_INFINITY,
    ...opts,
  });
  mux.registerProvider(fakeAdapter());
  mux.addKey('fake', { name: 'k', apiKey: 'secret-k-0123456789', limits: { rpm } });
  const events: KeymuxEvent[] = [];
  mux.on('*', (e) => events.push(e));
  let now = 0;
  let most = 0;
  let fail: ((n: number) => HttpError | undefined) | undefined;
  let calls = 0;
  const job = () =>
    mux.execute('fake', async () => {
      const n = ++calls;
      now++;
      most = Math.max(most, now);
      try {
        await clock.sleep(latencyMs);
      } finally {
        now--;
      }
      const error = fail?.(n);
      if (error) throw error;
      return n;
    });
  return {
    clock,
    mux,
    events,
    job,
    most: () => most,
    limit: () => mux.getUsageStats().providers.fake!.keys[0]!.concurrency,
    failWith: (f: (n: number) => HttpError | undefined) => {
      fail = f;
    },
  };
}

describe("maxConcurrentRequests: 'auto' in the key workers", () => {
  it('is the default: a key starts at 5 slots and grows toward rate × latency when jobs wait', async () => {
    // 600 rpm = 10 calls/s at 2 s latency needs about 20 calls in flight; 5 slots give 2.5 calls/s.
    const { clock, mux, job, most, limit, events } = setup({ queueSize: 1000 }, 600, 2000);
    expect(limit()).toBe(5);
    const jobs = Array.from({ length: 600 }, job);
    for (let i = 0; i < 40; i++) await clock.advance(1000);
    expect(limit()).toBeGreaterThanOrEqual(20);
    // Little's law with its headroom: ceil(10/s × 2 s × 1.25) = 25, never far past it.
    expect(limit()).toBeLessThanOrEqual(26);
    expect(most()).toBeGreaterThan(5);
    const changes = events.filter((e) => e.type === 'concurrency-changed');
    expect(changes.length).toBeGreaterThan(0);
    await clock.runAll();
    await expect(Promise.all(jobs)).resolves.toHaveLength(600);
    await mux.close();
  });

  it('a number pins the slots: a key never has more calls in flight', async () => {
    const { clock, mux, job, most, limit, events } = setup(
      { maxConcurrentRequests: 5, queueSize: 1000 },
      600,
      2000,
    );
    const jobs = Array.from({ length: 200 }, job);
    for (let i = 0; i < 40; i++) await clock.advance(1000);
    expect(limit()).toBe(5);
    expect(most()).toBe(5);
    expect(events.filter((e) => e.type === 'concurrency-changed')).toHaveLength(0);
    await clock.runAll();
    await expect(Promise.all(jobs)).resolves.toHaveLength(200);
    await mux.close();
  });

  it('stays at or under maxConcurrencyCeiling', async () => {
    const { clock, mux, job, most, limit } = setup({ queueSize: 1000, maxConcurrencyCeiling: 8 }, 6000, 2000);
    const jobs = Array.from({ length: 300 }, job);
    for (let i = 0; i < 30; i++) await clock.advance(1000);
    expect(limit()).toBe(8);
    expect(most()).toBe(8);
    await clock.runAll();
    await expect(Promise.all(jobs)).resolves.toHaveLength(300);
    await mux.close();
  });

  it('5xx answers shrink the slots; 429s leave them to the rate limits', async () => {
    // 1200 rpm = 20 calls/s at 1 s: about 25 slots.
    const { clock, mux, job, limit, failWith } = setup({ queueSize: 1000, maxRetries: 50 }, 1200, 1000);
    const jobs = Array.from({ length: 700 }, job);
    for (let i = 0; i < 10; i++) await clock.advance(1000);
    const grown = limit();
    expect(grown).toBeGreaterThan(5);
    failWith((n) => (n % 4 === 0 ? new HttpError(429, 'slow down', 10) : undefined));
    for (let i = 0; i < 5; i++) await clock.advance(1000);
    expect(limit()).toBeGreaterThanOrEqual(grown);
    failWith((n) => (n % 3 === 0 ? new HttpError(503, 'overloaded') : undefined));
    for (let i = 0; i < 5; i++) await clock.advance(1000);
    expect(limit()).toBeLessThan(grown);
    failWith(() => undefined);
    await clock.runAll();
    await flush();
    await expect(Promise.all(jobs)).resolves.toHaveLength(700);
    await mux.close();
  });
});
