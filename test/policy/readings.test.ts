import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/policy/rate-limiter.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

describe('RateLimiter: a provider reading is what the provider says', () => {
  it('a learned rpm at remaining 0 holds the key until one request is back: one interval, not the reset', () => {
    // OpenAI: the reset is the time until the bucket is full again, refilled at 600 a minute.
    const limiter = new RateLimiter({}, true);
    expect(limiter.learning).toBe(true);
    limiter.observe({ requests: { limit: 600, remaining: 0, resetMs: 60_000, windowMs: MINUTE } }, 1000);
    expect(limiter.learning).toBe(false);
    expect(limiter.waitFor(0, 1000)).toBe(100);
    expect(limiter.waitFor(0, 1100)).toBe(0);
  });

  it('an empty bucket full again sooner than one interval holds the key until the reset', () => {
    const limiter = new RateLimiter({}, true);
    limiter.observe({ requests: { limit: 600, remaining: 0, resetMs: 40, windowMs: MINUTE } }, 1000);
    expect(limiter.waitFor(0, 1000)).toBe(40);
  });

  it("a daily limit at 0 (Groq's requests) waits for one request's refill, not the reset", () => {
    const limiter = new RateLimiter();
    limiter.observe({ requests: { limit: 14_400, remaining: 0, resetMs: 180_000, windowMs: DAY } }, 0);
    expect(limiter.waitFor(0, 0)).toBe(6000);
    expect(limiter.waitFor(0, 6000)).toBe(0);
  });

  it('an empty tokens bucket holds the key until a call of its usual size is back', () => {
    const limiter = new RateLimiter();
    limiter.observe({ tokens: { limit: 60_000, remaining: 50_000, windowMs: MINUTE } }, 0);
    for (let i = 0; i < 10; i++) limiter.take(1000, 0);
    limiter.observe({ tokens: { limit: 60_000, remaining: 0, resetMs: 60_000, windowMs: MINUTE } }, 0);
    expect(limiter.waitFor(1000, 0)).toBeGreaterThanOrEqual(1000);
  });

  it('a reading only tightens: a later, looser one does not shorten the wait', () => {
    const limiter = new RateLimiter();
    limiter.observe({ requests: { limit: 6, remaining: 0, resetMs: 5000, windowMs: MINUTE } }, 0);
    limiter.observe({ requests: { limit: 6, remaining: 5, resetMs: 100, windowMs: MINUTE } }, 10);
    expect(limiter.waitFor(0, 10)).toBe(4990);
  });

  it('remaining R ≥ 1, however long until full: the key may send now (the bucket holds them)', () => {
    const limiter = new RateLimiter({ rpm: 600 });
    limiter.observe({ requests: { limit: 600, remaining: 1, resetMs: 59_900, windowMs: MINUTE } }, 0);
    expect(limiter.waitFor(0, 0)).toBe(0);
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
