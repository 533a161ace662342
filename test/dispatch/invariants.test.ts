import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Multiplexer } from '../../src/multiplexer.js';
import { type FakeClient, fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

const OUTCOMES = ['ok', 'ok', 'ok', 429, 500, 400, 401] as const;

describe('worker and dispatcher invariants (property)', () => {
  it('in flight ≤ concurrency, queued ≤ queueSize, every accepted job settles exactly once', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          keys: fc.integer({ min: 1, max: 4 }),
          concurrency: fc.integer({ min: 1, max: 3 }),
          queueSize: fc.integer({ min: 1, max: 4 }),
          strategy: fc.constantFrom(
            'round-robin',
            'least-loaded',
            'random',
            'lru',
            'least-used',
            'weighted' as const,
          ),
          jobs: fc.array(
            fc.record({
              at: fc.integer({ min: 0, max: 2000 }),
              duration: fc.integer({ min: 0, max: 500 }),
              outcome: fc.constantFrom(...OUTCOMES),
              abortAfter: fc.option(fc.integer({ min: 0, max: 1500 }), { nil: undefined }),
            }),
            { minLength: 1, maxLength: 25 },
          ),
        }),
        async ({ keys, concurrency, queueSize, strategy, jobs }) => {
          const clock = new ManualClock();
          let seed = 1;
          const mux = new Multiplexer({
            clock,
            random: () => {
              seed = (seed * 16807) % 2147483647;
              return seed / 2147483647;
            },
            maxConcurrentRequests: concurrency,
            queueSize,
            strategy,
            initialRetryDelay: 50,
            cooldownMs: 1000,
          });
          mux.registerProvider(fakeAdapter());
          for (let k = 0; k < keys; k++)
            mux.addKey('fake', { name: `k${k}`, apiKey: `key-${k}-abcdefghijkl` });
          const running = new Map<string, number>();
          const violations: string[] = [];
          const settledIds = new Map<number, number>();
          mux.on('job-settled', (e) => settledIds.set(e.jobId, (settledIds.get(e.jobId) ?? 0) + 1));
          mux.on('*', () => {
            for (const k of mux.getUsageStats().providers.fake!.keys) {
              if (k.inFlight > concurrency) violations.push(`${k.name} in flight ${k.inFlight}`);
              if (k.queued > queueSize + concurrency) violations.push(`${k.name} queued ${k.queued}`);
            }
          });
          let accepted = 0;
          let settled = 0;
          const order = [...jobs].sort((a, b) => a.at - b.at);
          const promises: Array<Promise<void>> = [];
          let now = 0;
          for (const job of order) {
            await clock.advance(job.at - now);
            now = job.at;
            const controller = new AbortController();
            if (job.abortAfter !== undefined) {
              void clock.sleep(job.abortAfter).then(() => controller.abort(new Error('abort')));
            }
            accepted++;
            promises.push(
              mux
                .execute(
                  'fake',
                  async (client, ctx) => {
                    const name = (client as FakeClient).apiKey;
                    running.set(name, (running.get(name) ?? 0) + 1);
                    if (running.get(name)! > concurrency) violations.push(`${name} ran ${running.get(name)}`);
                    try {
                      await clock.sleep(job.duration, ctx.signal);
                      if (job.outcome !== 'ok') throw new HttpError(job.outcome, 'x', 100);
                    } finally {
                      running.set(name, running.get(name)! - 1);
                    }
                  },
                  { signal: controller.signal },
                )
                .then(
                  () => {
                    settled++;
                  },
                  () => {
                    settled++;
                  },
                ),
            );
          }
          await clock.runAll();
          await Promise.all(promises);
          await flush();
          expect(violations).toEqual([]);
          expect(settled).toBe(accepted);
          expect(settledIds.size).toBe(accepted);
          expect([...settledIds.values()].every((n) => n === 1)).toBe(true);
          const stats = mux.getUsageStats().providers.fake!;
          expect(stats.inFlight).toBe(0);
          expect(stats.queued).toBe(0);
        },
      ),
      { numRuns: 60 },
    );
  });
});
