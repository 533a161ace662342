import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/policy/rate-limiter.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('RateLimiter: a provider reading is what the provider says', () => {
  it('a learned rpm at remaining 0 with a 120 ms reset holds the key 120 ms, not a window', () => {
    const limiter = new RateLimiter({}, true);
    expect(limiter.learning).toBe(true);
    limiter.observe({ requests: { limit: 600, remaining: 0, resetMs: 120, windowMs: MINUTE } }, 1000);
    expect(limiter.learning).toBe(false);
    expect(limiter.waitFor(0, 1000)).toBe(120);
    expect(limiter.waitFor(0, 1120)).toBe(0);
  });

  it('a daily limit at 0 with a 3-minute reset waits 3 minutes, not a day', () => {
    const limiter = new RateLimiter();
    limiter.observe({ requests: { limit: 14_400, remaining: 0, resetMs: 180_000, windowMs: DAY } }, 0);
    expect(limiter.waitFor(0, 0)).toBe(180_000);
    expect(limiter.waitFor(0, 180_000)).toBe(0);
  });

  it('a reading only tightens: a later, looser one does not shorten the wait', () => {
    const limiter = new RateLimiter();
    limiter.observe({ requests: { limit: 600, remaining: 0, resetMs: 5000, windowMs: MINUTE } }, 0);
    limiter.observe({ requests: { limit: 600, remaining: 599, resetMs: 100, windowMs: MINUTE } }, 10);
    expect(limiter.waitFor(0, 10)).toBe(4990);
  });

  it('remaining R left until full in S: the R are spread over S', () => {
    const limiter = new RateLimiter({ rpm: 6000 });
    limiter.observe({ requests: { limit: 6000, remaining: 3, resetMs: 4000, windowMs: MINUTE } }, 0);
    expect(limiter.waitFor(0, 0)).toBe(1000);
  });

  it('a first response without limit headers ends the slow start with no limits', () => {
    const limiter = new RateLimiter({}, true);
    expect(limiter.observe(undefined, 0)).toBeUndefined();
    expect(limiter.learning).toBe(false);
    expect(limiter.hasLimits).toBe(false);
  });

  it('property: after any sequence of sends and readings, no wait exceeds the longest reset still pending', () => {
    const reading = fc.record({
      at: fc.integer({ min: 0, max: 10 * MINUTE }),
      limit: fc.integer({ min: 1, max: 1000 }),
      remaining: fc.integer({ min: 0, max: 1000 }),
      resetMs: fc.integer({ min: 0, max: 2 * MINUTE }),
      daily: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(reading, { minLength: 1, maxLength: 40 }), (readings) => {
        const limiter = new RateLimiter();
        let latestFull = Number.NEGATIVE_INFINITY;
        let now = 0;
        for (const r of [...readings].sort((a, b) => a.at - b.at)) {
          now = r.at;
          const remaining = Math.min(r.remaining, r.limit);
          const windowMs = r.daily ? DAY : MINUTE;
          limiter.observe({ requests: { limit: r.limit, remaining, resetMs: r.resetMs, windowMs } }, now);
          latestFull = Math.max(latestFull, now + r.resetMs);
          // Learned limits are paced on top of what the readings say: one interval at most.
          const pace = windowMs / r.limit;
          expect(limiter.waitFor(0, now)).toBeLessThanOrEqual(Math.max(0, latestFull - now) + pace);
        }
        // Once the last reset has passed and the schedule has caught up, the key may send.
        const settle = latestFull + DAY;
        expect(limiter.waitFor(0, settle)).toBe(0);
      }),
      { numRuns: 100 },
    );
  });
});
