import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RateLimitInfo } from '../../src/core/rate-limit-info.js';
import { Multiplexer } from '../../src/multiplexer.js';
import type { ProviderAdapter } from '../../src/providers/adapter.js';
import { fakeAdapter, HttpError } from '../support/fake-provider.js';
import { flush, ManualClock } from '../support/manual-clock.js';

const MINUTE = 60_000;

type Step =
  | { kind: 'ok' }
  | { kind: '429'; hint: number | undefined }
  | { kind: 'reading'; remaining: number; resetMs: number }
  | { kind: 'quota'; hint: number }
  | { kind: '5xx' }
  | { kind: 'cut' }
  | { kind: 'abort' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.constant<Step>({ kind: 'ok' }),
  fc.record({
    kind: fc.constant('429' as const),
    hint: fc.option(fc.integer({ min: 0, max: 5000 }), { nil: undefined }),
  }),
  fc.record({
    kind: fc.constant('reading' as const),
    remaining: fc.integer({ min: 0, max: 3 }),
    resetMs: fc.integer({ min: 0, max: 3000 }),
  }),
  fc.record({ kind: fc.constant('quota' as const), hint: fc.integer({ min: 1, max: 5000 }) }),
  fc.constant<Step>({ kind: '5xx' }),
  fc.constant<Step>({ kind: 'cut' }),
  fc.constant<Step>({ kind: 'abort' }),
);

interface FakeFetchClient {
  readonly apiKey: string;
  readonly fetch: typeof fetch;
}

/** The fake provider, with limit headers: each response carries the reading the test set last. */
function adapterWithReadings(reading: { next: RateLimitInfo | undefined }): ProviderAdapter<FakeFetchClient> {
  const base = fakeAdapter();
  return {
    ...base,
    createClient: (spec) => ({ apiKey: spec.apiKey, fetch: spec.fetch }),
    readRateLimits: () => reading.next,
  } as ProviderAdapter<FakeFetchClient>;
}

describe('property: random interleavings of sends, readings, 429s, quota, 5xx, cuts, aborts and disable/enable', () => {
  it('every job settles exactly once, configured limits hold in every window, cooldowns are respected', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 20_000 }), steps: fc.array(step, { maxLength: 4 }) }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        fc.array(
          fc.record({ at: fc.integer({ min: 0, max: 20_000 }), key: fc.integer({ min: 0, max: 2 }) }),
          {
            maxLength: 4,
          },
        ),
        async (jobs, toggles) => {
          const clock = new ManualClock(0);
          const reading: { next: RateLimitInfo | undefined } = { next: undefined };
          const mux = new Multiplexer({ clock, random: () => 0.5, maxRetries: 3, attemptTimeoutMs: 30_000 });
          mux.registerProvider(adapterWithReadings(reading) as ProviderAdapter);
          const names = ['k0', 'k1', 'k2'];
          const rpm = 30;
          mux.addKey('fake', { name: 'k0', apiKey: 'secret-k0-0123456789', limits: { rpm } });
          mux.addKey('fake', { name: 'k1', apiKey: 'secret-k1-0123456789', limits: { rpm } });
          mux.addKey('fake', { name: 'k2', apiKey: 'secret-k2-0123456789' });
          const starts = new Map<string, number[]>(names.map((n) => [n, []]));
          const cooldownUntil = new Map<string, number>();
          mux.on('request', (e) => {
            starts.get(e.key.name)!.push(e.at);
            // A key never starts a call inside a cooldown the provider asked for.
            expect(e.at).toBeGreaterThanOrEqual(cooldownUntil.get(e.key.name) ?? 0);
          });
          mux.on('rate-limited', (e) => cooldownUntil.set(e.key.name, e.until));
          const settledCount = new Array<number>(jobs.length).fill(0);
          const pending: Promise<unknown>[] = [];
          let recovered = false;
          const ordered = jobs.map((j, i) => ({ ...j, i })).sort((a, b) => a.at - b.at);
          const events = [
            ...ordered.map((j) => ({ at: j.at, run: () => submit(j) })),
            ...toggles.map((t) => ({
              at: t.at,
              run: () => {
                const name = names[t.key]!;
                mux.disableKey('fake', name);
                void clock.sleep(2000).then(() => mux.enableKey('fake', name));
              },
            })),
          ].sort((a, b) => a.at - b.at);

          function submit(j: { steps: Step[]; i: number }): void {
            let n = 0;
            const controller = new AbortController();
            const p = mux
              .execute(
                'fake',
                async (client, ctx) => {
                  const c = client as FakeFetchClient;
                  const s: Step = recovered ? { kind: 'ok' } : (j.steps[n++] ?? { kind: 'ok' });
                  switch (s.kind) {
                    case 'ok':
                      return 'ok';
                    case 'reading':
                      reading.next = {
                        requests: {
                          limit: rpm,
                          remaining: s.remaining,
                          resetMs: s.resetMs,
                          windowMs: MINUTE,
                        },
                      };
                      await c.fetch('data:,reading');
                      reading.next = undefined;
                      return 'ok';
                    case '429':
                      throw new HttpError(429, 'slow down', s.hint);
                    case 'quota':
                      throw new HttpError(402, 'insufficient_quota', s.hint);
                    case '5xx':
                      throw new HttpError(503);
                    case 'cut': {
                      ctx.hold(Promise.reject(new Error('terminated')));
                      return 'streamed';
                    }
                    case 'abort':
                      controller.abort(new Error('caller gave up'));
                      throw ctx.signal.reason;
                  }
                },
                { signal: controller.signal },
              )
              .then(
                () => undefined,
                () => undefined,
              )
              .finally(() => {
                settledCount[j.i]! += 1;
              });
            pending.push(p);
          }

          let now = 0;
          for (const e of events) {
            await clock.advance(e.at - now);
            now = e.at;
            e.run();
            await flush();
          }
          // The keys recover: every key enabled and reset, every call answers.
          recovered = true;
          await clock.advance(5000);
          for (const name of names) {
            mux.enableKey('fake', name);
            mux.resetKey('fake', name);
          }
          await clock.runAll();
          await Promise.all(pending);
          expect(settledCount.every((c) => c === 1)).toBe(true);
          for (const name of ['k0', 'k1']) {
            const times = starts.get(name)!;
            for (const t of times) {
              const inWindow = times.filter((u) => u > t - MINUTE && u <= t).length;
              expect(inWindow).toBeLessThanOrEqual(rpm);
            }
          }
          await mux.close();
        },
      ),
      { numRuns: 40 },
    );
  });
});
