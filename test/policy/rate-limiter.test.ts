import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/policy/rate-limiter.js';

const MINUTE = 60_000;

/** Sends requests as fast as the limiter allows, starting at the given arrival times; returns what was sent. */
function drive(limiter: RateLimiter, arrivals: ReadonlyArray<{ at: number; tokens: number }>) {
  const sent: Array<{ t: number; tokens: number }> = [];
  let now = 0;
  for (const { at, tokens } of [...arrivals].sort((a, b) => a.at - b.at)) {
    now = Math.max(now, at);
    for (let wait = limiter.waitFor(tokens, now); wait > 0; wait = limiter.waitFor(tokens, now)) now += wait;
    limiter.take(tokens, now);
    sent.push({ t: now, tokens });
  }
  return sent;
}

/** The most units any half-open window of `windowMs` holds, checked at every send time and window edge. */
function maxInWindow(sent: ReadonlyArray<{ t: number; units: number }>, windowMs: number): number {
  let max = 0;
  const starts = sent.flatMap((s) => [s.t, s.t - windowMs + 1e-6]);
  for (const start of starts) {
    let sum = 0;
    for (const s of sent) if (s.t >= start && s.t < start + windowMs) sum += s.units;
    max = Math.max(max, sum);
  }
  return max;
}

describe('RateLimiter', () => {
  it('paces requests evenly: 60 rpm is one a second, with no burst at the start', () => {
    const limiter = new RateLimiter({ rpm: 60 });
    const sent = drive(
      limiter,
      Array.from({ length: 5 }, () => ({ at: 0, tokens: 0 })),
    );
    expect(sent.map((s) => s.t)).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  it('a send that is a little late keeps the schedule; an idle gap restarts it without a burst', () => {
    const limiter = new RateLimiter({ rpm: 60 });
    limiter.take(0, 0);
    expect(limiter.waitFor(0, 1030)).toBe(0);
    limiter.take(0, 1030); // 30 ms late: the next is still due at 2000
    expect(limiter.waitFor(0, 1999)).toBe(1);
    limiter.take(0, 2000);
    limiter.take(0, 5000); // idle since 3000: the schedule restarts from 5000
    expect(limiter.waitFor(0, 5000)).toBe(1000);
  });

  it('paces tokens by each request’s cost', () => {
    const limiter = new RateLimiter({ tpm: 6000 });
    const sent = drive(limiter, [
      { at: 0, tokens: 1000 },
      { at: 0, tokens: 500 },
      { at: 0, tokens: 100 },
    ]);
    expect(sent.map((s) => s.t)).toEqual([0, 10_000, 15_000]);
  });

  it('never lets a day window exceed its limit, and does not pace within the day', () => {
    const limiter = new RateLimiter({ rpd: 3 });
    expect(limiter.waitFor(0, 0)).toBe(0);
    limiter.take(0, 0);
    limiter.take(0, 1);
    limiter.take(0, 2);
    // Sends closer than a thousandth of the window merge, stamped with the latest time: on the safe side.
    expect(limiter.waitFor(0, 3)).toBe(86_400_000 + 2 - 3);
    limiter.take(0, 100_000_000);
    expect(limiter.waitFor(0, 100_000_001)).toBe(0);
  });

  it('reconciles an estimate with the real usage', () => {
    const limiter = new RateLimiter({ tpm: 1000 });
    const r = limiter.take(800, 0);
    expect(limiter.usage(0).tpm?.used).toBe(800);
    limiter.reconcile(r, 300, 10);
    expect(limiter.usage(10).tpm?.used).toBe(300);
    expect(limiter.usage(10).tpm?.percent).toBe(30);
  });

  it('property: no sliding window ever holds more than rpm requests or tpm tokens, edges included', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 50, max: 2000 }),
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 3 * MINUTE }),
            tokens: fc.integer({ min: 0, max: 400 }),
          }),
          {
            minLength: 1,
            maxLength: 80,
          },
        ),
        (rpm, tpm, arrivals) => {
          const limiter = new RateLimiter({ rpm, tpm });
          const sent = drive(limiter, arrivals);
          expect(
            maxInWindow(
              sent.map((s) => ({ t: s.t, units: 1 })),
              MINUTE,
            ),
          ).toBeLessThanOrEqual(rpm);
          const big = sent.filter((s) => s.tokens > tpm);
          if (big.length === 0) {
            expect(
              maxInWindow(
                sent.map((s) => ({ t: s.t, units: s.tokens })),
                MINUTE,
              ),
            ).toBeLessThanOrEqual(tpm);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: the same holds at the day window for rpd, with no pacing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 3 * 86_400_000 }), { minLength: 1, maxLength: 60 }),
        (rpd, times) => {
          const limiter = new RateLimiter({ rpd });
          const sent = drive(
            limiter,
            times.map((at) => ({ at, tokens: 0 })),
          );
          expect(
            maxInWindow(
              sent.map((s) => ({ t: s.t, units: 1 })),
              86_400_000,
            ),
          ).toBeLessThanOrEqual(rpd);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('learns limits nobody configured from headers, counting what the provider already saw', () => {
    const limiter = new RateLimiter();
    expect(limiter.hasLimits).toBe(false);
    const learned = limiter.observe(
      {
        requests: { limit: 600, remaining: 590, windowMs: MINUTE },
        tokens: { limit: 60_000, remaining: 55_000, windowMs: MINUTE },
      },
      0,
    );
    expect(learned).toEqual({ rpm: 600, tpm: 60_000 });
    expect(limiter.usage(0)).toEqual({
      rpm: { limit: 600, used: 10, percent: 1.7, learned: true },
      tpm: { limit: 60_000, used: 5000, percent: 8.3, learned: true },
    });
    expect(
      limiter.observe({ requests: { limit: 600, remaining: 600, windowMs: MINUTE } }, 1),
    ).toBeUndefined();
  });

  it('keeps configured limits over the provider’s; its log holds real sends only', () => {
    const limiter = new RateLimiter({ rpm: 100 });
    expect(
      limiter.observe({ requests: { limit: 500, remaining: 80, resetMs: 4000, windowMs: MINUTE } }, 0),
    ).toBeUndefined();
    expect(limiter.usage(0).rpm).toEqual({ limit: 100, used: 0, percent: 0, learned: false });
    // 80 left: the provider's bucket holds the next send, nothing waits for the reading...
    expect(limiter.waitFor(0, 0)).toBe(0);
    // ...and an empty one holds it back until one request is back (at the provider's 500 a minute).
    limiter.observe({ requests: { limit: 500, remaining: 0, resetMs: 60_000, windowMs: MINUTE } }, 0);
    expect(limiter.waitFor(0, 0)).toBe(120);
  });

  it('maps a per-day requests reading (Groq) to rpd', () => {
    const limiter = new RateLimiter();
    expect(
      limiter.observe({ requests: { limit: 14_400, remaining: 14_399, windowMs: 86_400_000 } }, 0),
    ).toEqual({
      rpd: 14_400,
    });
  });

  it('headroom is the free fraction of the tightest limit', () => {
    const limiter = new RateLimiter({ rpm: 10, tpm: 1000 });
    expect(limiter.headroom(0)).toBe(1);
    limiter.take(500, 0);
    expect(limiter.headroom(0)).toBe(0.5);
  });
});
